// Package shared holds what redisstore and connectredis both need: client
// and prefix validation and the SCAN walk over every primary.
package shared

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// CheckClient refuses a nil client and one that ignores context deadlines
// (go-redis's ContextTimeoutEnabled off): with it a slow Redis would hold
// every request past its deadline.
func CheckClient(pkg string, client redis.UniversalClient) error {
	if client == nil {
		return errors.New(pkg + ": nil client")
	}
	if !contextTimeouts(client) {
		return errors.New(pkg + ": the client ignores context deadlines: set ContextTimeoutEnabled: true in its options")
	}
	return nil
}

// contextTimeouts reports whether client honours context deadlines (true
// for client types whose options it cannot read).
func contextTimeouts(client redis.UniversalClient) bool {
	switch c := client.(type) {
	case *redis.Client:
		return c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		return c.Options().ContextTimeoutEnabled
	}
	return true
}

// CheckPrefix refuses a key prefix with SCAN pattern characters or
// whitespace.
func CheckPrefix(pkg, p string) error {
	if strings.ContainsAny(p, "*?[]\\ \t\r\n") {
		return fmt.Errorf("%s: prefix %q contains a SCAN pattern character or whitespace", pkg, p)
	}
	return nil
}

// forEachPrimary calls fn with a client for every primary: each master of
// a Cluster, each shard of a Ring, or the client itself. Cluster and Ring
// run fn concurrently; it is serialized here, so callers (a Range
// callback) see one walk at a time.
func forEachPrimary(ctx context.Context, client redis.UniversalClient, fn func(ctx context.Context, c redis.Cmdable) error) error {
	var mu sync.Mutex
	serial := func(ctx context.Context, m *redis.Client) error {
		mu.Lock()
		defer mu.Unlock()
		return fn(ctx, m)
	}
	switch c := client.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, serial)
	case *redis.Ring:
		return c.ForEachShard(ctx, serial)
	default:
		return fn(ctx, client)
	}
}

// Scan calls batch with each page of keys matching pattern (SCAN with
// COUNT count, never KEYS) on every primary, each key once per primary,
// until batch returns false or an error.
func Scan(ctx context.Context, client redis.UniversalClient, pattern string, count int64,
	batch func(ctx context.Context, c redis.Cmdable, keys []string) (bool, error)) error {
	stop := errors.New("stop")
	stopped := false // forEachPrimary serializes the walks: no lock needed
	err := forEachPrimary(ctx, client, func(ctx context.Context, c redis.Cmdable) error {
		if stopped {
			return stop
		}
		seen := map[string]struct{}{}
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, pattern, count).Result()
			if err != nil {
				return err
			}
			fresh := keys[:0]
			for _, k := range keys {
				if _, dup := seen[k]; !dup {
					seen[k] = struct{}{}
					fresh = append(fresh, k)
				}
			}
			if len(fresh) > 0 {
				more, err := batch(ctx, c, fresh)
				if err != nil {
					return err
				}
				if !more {
					stopped = true
					return stop
				}
			}
			if next == 0 {
				return nil
			}
			cursor = next
		}
	})
	if errors.Is(err, stop) {
		return nil
	}
	return err
}
