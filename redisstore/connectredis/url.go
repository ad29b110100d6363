package connectredis

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh"
)

func init() {
	sesh.Register("connectredis", openURL)
	sesh.Register("connectrediss", openURL)
}

// openURL opens connectredis://[:PASSWORD@]HOST:PORT/DB[?prefix=sess:&nottl=24h]
// (connectrediss:// for TLS): go-redis's URL with the redis scheme, plus
// the store's prefix (Options.Prefix) and nottl (Options.NoTTL). The
// store closes its client on Close.
func openURL(ctx context.Context, u *url.URL) (sesh.Store, error) {
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("connectredis: malformed query: %w", err)
	}
	var opts Options
	for _, name := range []string{"prefix", "nottl"} {
		vs, ok := q[name]
		if !ok {
			continue
		}
		if len(vs) != 1 || vs[0] == "" {
			return nil, fmt.Errorf("connectredis: %s given %d times or empty", name, len(vs))
		}
		q.Del(name)
		switch name {
		case "prefix":
			opts.Prefix = vs[0]
		case "nottl":
			d, err := time.ParseDuration(vs[0])
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("connectredis: nottl=%q: want a positive duration such as 24h", vs[0])
			}
			opts.NoTTL = d
		}
	}
	v := *u
	v.Scheme = strings.Replace(u.Scheme, "connectredis", "redis", 1)
	v.RawQuery = q.Encode()
	o, err := redis.ParseURL(v.String())
	if err != nil {
		return nil, fmt.Errorf("connectredis: %w", err)
	}
	o.ContextTimeoutEnabled = true
	client := redis.NewClient(o)
	s, err := New(client, opts)
	if err != nil {
		client.Close()
		return nil, err
	}
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("connectredis: %s: %w", u.Redacted(), err)
	}
	return &ownedStore{Store: s, client: client}, nil
}

// ownedStore is a Store opened by URL: Close closes its client.
type ownedStore struct {
	*Store
	client redis.UniversalClient
}

// Close closes the client the URL opened.
func (s *ownedStore) Close() error { return s.client.Close() }
