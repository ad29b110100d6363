package connectredis

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/redisstore/internal/redistest"
	"github.com/sesh-go/sesh/storetest"
)

func client(t *testing.T) *redis.Client { return redistest.Client(t) }

var seq atomic.Int64

func prefix() string { return fmt.Sprintf("seshtest-cr:%d:%d:", time.Now().UnixNano(), seq.Add(1)) }

func newStore(t *testing.T, c *redis.Client, p string) *Store {
	t.Helper()
	st, err := New(c, Options{Prefix: p})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Clear(context.Background()) })
	return st
}

func TestConformance(t *testing.T) {
	c := client(t)
	storetest.RunWith(t, func(t *testing.T) sesh.Store { return newStore(t, c, prefix()) },
		storetest.Options{Precision: time.Second, Corrupt: corruptions})
}

// TestLayout: the key and TTL connect-redis reads.
func TestLayout(t *testing.T) {
	c := client(t)
	p := prefix()
	st := newStore(t, c, p)
	ctx := t.Context()
	data := `{"cookie":{"originalMaxAge":null,"expires":null,"httpOnly":true,"path":"/"},"n":1}`
	if err := st.Set(ctx, "abc", sesh.Record{Data: []byte(data), Expires: time.Now().Add(90*time.Second + 100*time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx, p+"abc").Result(); err != nil || v != data {
		t.Fatalf("value under %sabc: %q, %v", p, v, err)
	}
	if ttl, _ := c.TTL(ctx, p+"abc").Result(); ttl != 91*time.Second {
		t.Fatalf("TTL %v, want ceil(90.1s) = 91s", ttl)
	}
	if err := st.Touch(ctx, "abc", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Get(ctx, p+"abc").Result(); v != data {
		t.Fatal("Touch rewrote the record")
	}
	if err := st.Set(ctx, "abc", sesh.Record{Data: []byte(data), Expires: time.Now().Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Exists(ctx, p+"abc").Result(); n != 0 {
		t.Fatal("an expired record was written instead of deleted")
	}
	if DefaultPrefix != "sess:" {
		t.Fatal("connect-redis's default prefix is sess:")
	}
}
