package connectredis

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// corruptions are what a key under connect-redis's prefix can hold that
// the store cannot read: other types than a string (WRONGTYPE to GET). A
// string without a TTL is connect-redis's disableTTL record, which the
// store reads (TestDisableTTLRecords).
var corruptions = map[string]storetest.CorruptFunc{
	"hash": plant(true, func(ctx context.Context, c redis.UniversalClient, k string) error {
		return c.HSet(ctx, k, "cookie", "{}").Err()
	}),
	"list": plant(true, func(ctx context.Context, c redis.UniversalClient, k string) error {
		return c.RPush(ctx, k, "{}").Err()
	}),
}

func plant(ttl bool, write func(ctx context.Context, c redis.UniversalClient, full string) error) storetest.CorruptFunc {
	return func(t *testing.T, st sesh.Store, key string) {
		t.Helper()
		s := st.(*Store)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		k := s.prefix + key
		if err := s.c.Del(ctx, k).Err(); err != nil {
			t.Fatal(err)
		}
		if err := write(ctx, s.c, k); err != nil {
			t.Fatal(err)
		}
		if ttl {
			if err := s.c.Expire(ctx, k, time.Hour).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
}
