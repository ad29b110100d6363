// Package redistest connects the tests of redisstore's packages to the
// Redis named by SESH_REDIS_URL, or to the local default one
// (storetest.Service).
package redistest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh/storetest"
)

// Client connects to the test Redis (storetest.Service "SESH_REDIS_URL")
// with ContextTimeoutEnabled, and reports its version (storetest.Engine);
// it skips (fails under SESH_REQUIRE_SERVICES=1) when there is none or it
// does not answer. The client is closed when the test ends.
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
		storetest.Unavailable(t, "redis at "+o.Addr, err)
	}
	info, _ := c.Info(ctx, "server").Result() // "" when refused: the version is then unknown
	storetest.Engine(t, "Redis", infoField(info, "redis_version"), o.Addr)
	return c
}

// infoField returns the value of field in the text of Redis's INFO.
func infoField(info, field string) string {
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return "(version unknown)"
}
