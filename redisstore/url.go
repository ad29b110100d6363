package redisstore

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh"
)

func init() {
	sesh.Register("redis", openURL)
	sesh.Register("rediss", openURL)
	sesh.Register("redis+cluster", openURL)
	sesh.Register("rediss+cluster", openURL)
	sesh.Register("redis+sentinel", openURL)
}

// openURL opens a store from one of the URLs the package doc lists. The
// prefix parameter is the store's; the rest are go-redis's.
// maxPoolParam bounds the pool sizes a URL may ask for.
const maxPoolParam = 10000

func openURL(ctx context.Context, u *url.URL) (sesh.Store, error) {
	q := u.Query()
	var opts Options
	if p, ok := q["prefix"]; ok {
		if len(p) != 1 || p[0] == "" {
			return nil, fmt.Errorf("redisstore: prefix given %d times or empty", len(p))
		}
		opts.Prefix = p[0]
		q.Del("prefix")
	}
	// go-redis sizes its pools by these at construction: an absurd value
	// from a URL must not allocate (or dial) in proportion.
	for _, name := range []string{"pool_size", "min_idle_conns", "max_idle_conns", "max_active_conns"} {
		if v := q.Get(name); v != "" {
			if n, err := strconv.Atoi(v); err != nil || n < 0 || n > maxPoolParam {
				return nil, fmt.Errorf("redisstore: %s=%q: want a number from 0 to %d", name, v, maxPoolParam)
			}
		}
	}
	v := *u
	v.RawQuery = q.Encode()
	var client redis.UniversalClient
	switch u.Scheme {
	case "redis", "rediss":
		o, err := redis.ParseURL(v.String())
		if err != nil {
			return nil, fmt.Errorf("redisstore: %w", err)
		}
		o.ContextTimeoutEnabled = true
		client = redis.NewClient(o)
	case "redis+cluster", "rediss+cluster":
		v.Scheme = strings.TrimSuffix(u.Scheme, "+cluster")
		o, err := redis.ParseClusterURL(v.String())
		if err != nil {
			return nil, fmt.Errorf("redisstore: %w", err)
		}
		o.ContextTimeoutEnabled = true
		client = redis.NewClusterClient(o)
	case "redis+sentinel":
		o, err := parseSentinel(&v)
		if err != nil {
			return nil, err
		}
		client = redis.NewFailoverClient(o)
	default:
		return nil, fmt.Errorf("redisstore: unknown scheme %q", u.Scheme)
	}
	s, err := New(client, opts)
	if err != nil {
		client.Close()
		return nil, err
	}
	s.owns = true
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("redisstore: %s: %w", u.Redacted(), err)
	}
	return s, nil
}

// parseSentinel reads redis+sentinel://[:password@]host:port[,host:port]/master[?db=N].
func parseSentinel(u *url.URL) (*redis.FailoverOptions, error) {
	const form = "want redis+sentinel://[:password@]host:port[,host:port…]/master[?db=N]"
	master := strings.Trim(u.Path, "/")
	if u.Host == "" || master == "" || strings.Contains(master, "/") {
		return nil, fmt.Errorf("redisstore: %s", form)
	}
	o := &redis.FailoverOptions{MasterName: master, SentinelAddrs: strings.Split(u.Host, ","), ContextTimeoutEnabled: true}
	if u.User != nil {
		o.Password, _ = u.User.Password()
	}
	for k, vs := range u.Query() {
		switch k {
		case "db":
			db, err := strconv.Atoi(vs[0])
			if err != nil || db < 0 || len(vs) != 1 {
				return nil, fmt.Errorf("redisstore: db=%q: want one non-negative integer", vs[0])
			}
			o.DB = db
		default:
			return nil, fmt.Errorf("redisstore: unknown parameter %q for redis+sentinel (known: db, prefix)", k)
		}
	}
	return o, nil
}
