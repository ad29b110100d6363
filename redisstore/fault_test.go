package redisstore

import (
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// TestFaults cuts and slows the connection to the real server through a
// proxy (storetest.Faults).
func TestFaults(t *testing.T) {
	base := client(t)
	storetest.Faults(t, base.Options().Addr, func(t *testing.T, addr string) (sesh.Store, func()) {
		o := *base.Options()
		o.Addr = addr
		c := redis.NewClient(&o)
		st, err := New(c, Options{Prefix: uniquePrefix(t)})
		if err != nil {
			t.Fatal(err)
		}
		return st, func() { c.Close() }
	})
}
