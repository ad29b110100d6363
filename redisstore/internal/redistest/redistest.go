// Package redistest connects the tests of redisstore's packages to the
// Redis named by SESH_REDIS_URL.
package redistest

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh/storetest"
)

// Client connects to SESH_REDIS_URL with ContextTimeoutEnabled; it skips
// (fails under SESH_REQUIRE_SERVICES=1) when the variable is unset or the
// server does not answer. The client is closed when the test ends.
func Client(t *testing.T) *redis.Client {
	t.Helper()
	o, err := redis.ParseURL(storetest.Service(t, "SESH_REDIS_URL"))
	if err != nil {
		t.Fatalf("SESH_REDIS_URL: %v", err)
	}
	o.ContextTimeoutEnabled = true
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		storetest.Unavailable(t, "redis at SESH_REDIS_URL", err)
	}
	return c
}
