// Package connectredis is a sesh.Store in connect-redis's key layout, so a
// sesh Manager configured with compat/express shares live sessions with an
// Express app using express-session and connect-redis (7, 8 or 9). The same
// layout is unstorage's Redis driver, which Astro's sessions use: with
// Prefix set to the driver's base plus ":" and Options.NoTTL set, a Manager
// configured with compat/astro shares sessions with an Astro site.
//
//	<prefix><sid>   the record as a string (express-session's JSON), with a
//	                TTL of ceil(seconds to expiry) set by SET … EX
//
// The default prefix is connect-redis's "sess:". A record whose expiry has
// passed is deleted instead of written (connect-redis does the same), Touch
// is EXPIRE only, and listing walks the prefix with SCAN. Expiry has
// connect-redis's one-second precision, rounded up.
//
// A record without a TTL is what connect-redis writes with disableTTL: true
// (SET without EX; its touch then does nothing). Unless Options.NoTTL says
// otherwise, such a record expires when the express-session cookie it
// holds says: Get reads the time in its "cookie":{"expires":…} (an ISO 8601
// string) as the record's expiry, and reads a record past it as absent
// (connect-redis would still return it; sesh does not serve a session whose
// cookie has expired). A record whose cookie.expires is null, false or
// absent (a browser-session cookie), or that is not express-session's JSON,
// has no expiry (a zero Record.Expires): a sesh Manager then puts its own
// deadline on it (EXPIRE, or a full write the first time) at the first
// request that reads it, and its absolute timeout counts from then. Node's
// next write removes that TTL again, and under disableTTL connect-redis's
// touch leaves cookie.expires as Node's last save wrote it, so a session
// used only in Node keeps the expiry of its last save.
//
// connect-redis has no compare-and-set, and neither has this store (it
// implements neither sesh.Swapper nor sesh.UserIndex): two requests that
// change one session at once may lose an update, as they may in Node.
package connectredis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/storekit"
	"github.com/sesh-go/sesh/redisstore/internal/shared"
)

// DefaultPrefix is connect-redis's default key prefix.
const DefaultPrefix = "sess:"

// Options configures a Store.
type Options struct {
	// Prefix as connect-redis's prefix option; empty means DefaultPrefix.
	Prefix string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NoTTL, when > 0, is how long from now a record without a TTL is taken
	// to live: unstorage's Redis driver (Astro) sets no TTL unless configured
	// with a ttl, so an Astro pairing sets this. Zero (the default) reads such
	// a record's expiry from its express-session cookie (connect-redis's
	// disableTTL; see the package doc).
	NoTTL time.Duration
}

// Store is a sesh.Store, sesh.Toucher and sesh.Lister in connect-redis's
// layout.
type Store struct {
	c      redis.UniversalClient
	prefix string
	now    func() time.Time
	noTTL  time.Duration
}

var (
	_ sesh.Store   = (*Store)(nil)
	_ sesh.Toucher = (*Store)(nil)
	_ sesh.Lister  = (*Store)(nil)
)

// New returns a store over client (which must have ContextTimeoutEnabled,
// as for redisstore). It does not close client.
func New(client redis.UniversalClient, opts Options) (*Store, error) {
	if err := shared.CheckClient("connectredis", client); err != nil {
		return nil, err
	}
	p := opts.Prefix
	if p == "" {
		p = DefaultPrefix
	}
	if err := shared.CheckPrefix("connectredis", p); err != nil {
		return nil, err
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	if opts.NoTTL < 0 {
		return nil, fmt.Errorf("connectredis: negative NoTTL %v", opts.NoTTL)
	}
	return &Store{c: client, prefix: p, now: now, noTTL: opts.NoTTL}, nil
}

func check(ctx context.Context, key string) error { return storekit.CheckKey(ctx, key) }

// errWrongType reports a key under the prefix that holds a hash, a list or
// another type than a string. It wraps sesh.ErrCorrupt and holds no key.
var errWrongType = fmt.Errorf("connectredis: a key of the wrong type: %w", sesh.ErrCorrupt)

// wrongType reports Redis's WRONGTYPE error.
func wrongType(err error) bool { return redis.HasErrorPrefix(err, "WRONGTYPE") }

func wrap(ctx context.Context, op string, err error) error {
	return storekit.Wrap(ctx, "connectredis", op, err)
}

// ttl is connect-redis's: ceil(seconds until exp).
func (s *Store) ttl(exp time.Time) time.Duration {
	d := exp.Sub(s.now())
	if d <= 0 {
		return 0
	}
	return (d + time.Second - 1) / time.Second * time.Second
}

// Get returns the record under key with its Redis expiry (for a key
// without a TTL, see the package doc), or sesh.ErrNotFound. A key of
// another type than a string yields an error wrapping sesh.ErrCorrupt.
func (s *Store) Get(ctx context.Context, key string) (sesh.Record, error) {
	if err := check(ctx, key); err != nil {
		return sesh.Record{}, err
	}
	k := s.prefix + key
	var get *redis.StringCmd
	var exp *redis.DurationCmd
	_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, k)
		exp = p.PExpireTime(ctx, k)
		return nil
	})
	if errors.Is(err, redis.Nil) {
		return sesh.Record{}, sesh.ErrNotFound
	}
	if wrongType(get.Err()) {
		return sesh.Record{}, errWrongType
	}
	if err != nil {
		return sesh.Record{}, wrap(ctx, "get", err)
	}
	data := []byte(get.Val())
	rec := sesh.Record{Data: data, Expires: s.expiry(exp.Val(), data)}
	if !rec.Expires.IsZero() && !s.now().Before(rec.Expires) {
		return sesh.Record{}, sesh.ErrNotFound
	}
	return rec, nil
}

// expiry is the expiry of a record from its PEXPIRETIME (ms, -1 for none)
// and, for a record without a TTL, its data.
func (s *Store) expiry(ms time.Duration, data []byte) time.Time {
	switch {
	case ms >= 0:
		return time.UnixMilli(int64(ms / time.Millisecond))
	case s.noTTL > 0:
		return s.now().Add(s.noTTL)
	}
	return cookieExpires(data)
}

// cookieExpires is the time in express-session's "cookie":{"expires":…},
// zero if the data holds none.
func cookieExpires(data []byte) time.Time {
	var rec struct {
		Cookie struct {
			Expires json.RawMessage `json:"expires"`
		} `json:"cookie"`
	}
	if json.Unmarshal(data, &rec) != nil {
		return time.Time{}
	}
	var v string
	if json.Unmarshal(rec.Cookie.Expires, &v) != nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Set writes the record with SET … EX ceil(seconds), or deletes it if its
// expiry has passed.
func (s *Store) Set(ctx context.Context, key string, rec sesh.Record) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	ttl := s.ttl(rec.Expires)
	if ttl <= 0 {
		return s.Delete(ctx, key)
	}
	if err := s.c.Set(ctx, s.prefix+key, rec.Data, ttl).Err(); err != nil {
		return wrap(ctx, "set", err)
	}
	return nil
}

// touchScript is connect-redis's touch, EXPIRE (or DEL for an expiry
// already past: ARGV[1] is "0"), on a string only: it returns 1 done, 0
// absent, -1 a key of another type, left alone. A record without a TTL
// gets one.
var touchScript = redis.NewScript(`
local t = redis.call('TYPE', KEYS[1]).ok
if t == 'none' then return 0 end
if t ~= 'string' then return -1 end
if ARGV[1] == '0' then
  redis.call('DEL', KEYS[1])
else
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return 1
`)

// Touch is connect-redis's touch: EXPIRE only; the JSON is not rewritten.
// It returns sesh.ErrNotFound if the key is absent, and an error wrapping
// sesh.ErrCorrupt, changing nothing, if it holds another type than a
// string.
func (s *Store) Touch(ctx context.Context, key string, expires time.Time) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	secs := int64(s.ttl(expires) / time.Second)
	n, err := touchScript.Run(ctx, s.c, []string{s.prefix + key}, secs).Int64()
	if err != nil {
		return wrap(ctx, "touch", err)
	}
	switch n {
	case 1:
		return nil
	case 0:
		return sesh.ErrNotFound
	default:
		return errWrongType
	}
}

// Delete removes the record. An absent key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	if err := s.c.Del(ctx, s.prefix+key).Err(); err != nil {
		return wrap(ctx, "delete", err)
	}
	return nil
}

// scan calls fn with each page of keys (without the prefix) under the
// prefix, on every primary.
func (s *Store) scan(ctx context.Context, fn func(keys []string) (bool, error)) error {
	return shared.Scan(ctx, s.c, s.prefix+"*", 256, func(_ context.Context, _ redis.Cmdable, keys []string) (bool, error) {
		var fresh []string
		for _, k := range keys {
			if k = strings.TrimPrefix(k, s.prefix); sesh.ValidateKey(k) == nil {
				fresh = append(fresh, k)
			}
		}
		if len(fresh) == 0 {
			return true, nil
		}
		return fn(fresh)
	})
}

// Range calls fn for each live record under the prefix.
func (s *Store) Range(ctx context.Context, fn func(key string, rec sesh.Record) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.scan(ctx, func(keys []string) (bool, error) {
		for _, k := range keys {
			rec, err := s.Get(ctx, k)
			if errors.Is(err, sesh.ErrNotFound) || errors.Is(err, sesh.ErrCorrupt) {
				continue
			}
			if err != nil {
				return false, err
			}
			if !fn(k, rec) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return wrap(ctx, "range", err)
	}
	return nil
}

// Len counts the records under the prefix that Get would return: it
// reads each key's type and expiry (TYPE, PEXPIRETIME, one pipeline per
// SCAN page), and leaves out keys of another type than a string. It reads
// the value only of keys without a TTL (without Options.NoTTL), whose
// expiry is in it.
func (s *Store) Len(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := 0
	err := s.scan(ctx, func(keys []string) (bool, error) {
		types := make([]*redis.StatusCmd, len(keys))
		exps := make([]*redis.DurationCmd, len(keys))
		_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range keys {
				types[i] = p.Type(ctx, s.prefix+k)
				exps[i] = p.PExpireTime(ctx, s.prefix+k)
			}
			return nil
		})
		if err != nil {
			return false, err
		}
		now := s.now()
		var noTTL []string
		for i := range keys {
			if types[i].Val() != "string" {
				continue
			}
			switch ms := exps[i].Val(); {
			case ms >= 0:
				if now.Before(time.UnixMilli(int64(ms / time.Millisecond))) {
					n++
				}
			case ms == -1 && s.noTTL > 0: // no TTL (-2: gone meanwhile)
				n++
			case ms == -1:
				noTTL = append(noTTL, s.prefix+keys[i])
			}
		}
		if len(noTTL) == 0 {
			return true, nil
		}
		// One GET each (not MGET: the keys may be on several Cluster slots).
		vals := make([]*redis.StringCmd, len(noTTL))
		_, err = s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range noTTL {
				vals[i] = p.Get(ctx, k)
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) && !wrongType(err) {
			return false, err
		}
		for _, v := range vals {
			// A key gone or of another type meanwhile is not counted.
			if v.Err() == nil {
				if exp := cookieExpires([]byte(v.Val())); exp.IsZero() || now.Before(exp) {
					n++
				}
			}
		}
		return true, nil
	})
	if err != nil {
		return 0, wrap(ctx, "len", err)
	}
	return n, nil
}

// Clear deletes every record under the prefix.
func (s *Store) Clear(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.scan(ctx, func(keys []string) (bool, error) {
		full := make([]string, len(keys))
		for i, k := range keys {
			full[i] = s.prefix + k
		}
		return true, s.c.Unlink(ctx, full...).Err()
	})
	if err != nil {
		return wrap(ctx, "clear", err)
	}
	return nil
}
