package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/redisstore/internal/redistest"
	"github.com/sesh-go/sesh/storetest"
)

func client(t *testing.T) *redis.Client { return redistest.Client(t) }

var prefixSeq atomic.Int64

// uniquePrefix isolates one test's keys; cleanup removes them.
func uniquePrefix(t *testing.T) string {
	return fmt.Sprintf("seshtest:%d:%d:", time.Now().UnixNano(), prefixSeq.Add(1))
}

// factory returns storetest's factory over any client.
func factory(c redis.UniversalClient) storetest.Factory {
	return func(t *testing.T) sesh.Store {
		s, err := New(c, Options{Prefix: uniquePrefix(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := s.Clear(ctx); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		})
		return s
	}
}

func TestConformance(t *testing.T) {
	storetest.RunWith(t, factory(client(t)), storetest.Options{Corrupt: corruptions})
}

func TestPrefixIsolationAndLayout(t *testing.T) {
	c := client(t)
	ctx := t.Context()
	p := uniquePrefix(t)
	a, _ := New(c, Options{Prefix: p + "a:"})
	b, _ := New(c, Options{Prefix: p + "b:"})
	t.Cleanup(func() { a.Clear(context.Background()); b.Clear(context.Background()) })
	exp := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	if err := a.Set(ctx, "k", sesh.Record{Data: []byte("hello"), Expires: exp, UserID: "alice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "k"); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("another prefix sees the record: %v", err)
	}
	// The documented layout: value and expiry in one key, user set beside it.
	v, err := c.Get(ctx, p+"a:s:k").Result()
	if err != nil || v != fmt.Sprintf("%s:%d:5:alicehello", strings.SplitN(v, ":", 2)[0], exp.UnixMilli()) {
		t.Fatalf("stored value %q, %v", v, err)
	}
	at, err := c.PExpireTime(ctx, p+"a:s:k").Result()
	if err != nil || at != time.Duration(exp.UnixMilli())*time.Millisecond {
		t.Fatalf("PEXPIRETIME = %v, %v; want %d ms", at, err, exp.UnixMilli())
	}
	if ok, _ := c.SIsMember(ctx, p+"a:u:alice", "k").Result(); !ok {
		t.Fatal("user set does not hold the key")
	}
	if ttl, _ := c.PTTL(ctx, p+"a:u:alice").Result(); ttl <= 0 {
		t.Fatalf("user set has no expiry (PTTL %v): it would outlive its sessions", ttl)
	}
	if err := b.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get(ctx, "k"); err != nil {
		t.Fatalf("Clear of one prefix removed another's record: %v", err)
	}
}

func TestUserSetCleanedOnDelete(t *testing.T) {
	c := client(t)
	ctx := t.Context()
	st := factory(c)(t).(*Store)
	exp := time.Now().Add(time.Hour)
	for _, k := range []string{"x", "y"} {
		if err := st.Set(ctx, k, sesh.Record{Data: []byte(k), Expires: exp, UserID: "bob"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Delete(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	members, _ := c.SMembers(ctx, st.userKey("bob")).Result()
	if len(members) != 1 || members[0] != "y" {
		t.Fatalf("user set after delete = %q, want [y]", members)
	}
	// A session that moves to another user leaves a stale member that
	// ByUser removes.
	if err := st.Set(ctx, "y", sesh.Record{Data: []byte("y"), Expires: exp, UserID: "carol"}); err != nil {
		t.Fatal(err)
	}
	recs, err := st.ByUser(ctx, "bob")
	if err != nil || len(recs) != 0 {
		t.Fatalf("ByUser(bob) = %v, %v", recs, err)
	}
	if n, _ := c.SCard(ctx, st.userKey("bob")).Result(); n != 0 {
		t.Fatalf("stale member not removed: SCARD = %d", n)
	}
}

func TestForeignValueIsCorrupt(t *testing.T) {
	c := client(t)
	ctx := t.Context()
	st := factory(c)(t).(*Store)
	future := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
	for i, v := range []string{"garbage", "12:", "12:" + future + ":99:short", "0:" + future + ":0:", "-1:" + future + ":0:x",
		":" + future + ":0:x", "5:0:data", "5:x:0:data", "5:" + future + ":data"} {
		k := fmt.Sprintf("k%d", i)
		if err := c.Set(ctx, st.sessionKey(k), v, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Get(ctx, k); !errors.Is(err, sesh.ErrCorrupt) {
			t.Errorf("Get over %q = %v, want ErrCorrupt", v, err)
		}
	}
	if err := c.Set(ctx, st.sessionKey("k0"), "garbage", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if err := st.Touch(ctx, "k0", time.Now().Add(time.Hour)); !errors.Is(err, sesh.ErrCorrupt) {
		t.Errorf("Touch over garbage = %v, want ErrCorrupt", err)
	}
}

func TestNoScriptRecovery(t *testing.T) {
	c := client(t)
	ctx := t.Context()
	st := factory(c)(t).(*Store)
	v, err := st.Swap(ctx, "k", sesh.Record{Data: []byte("a"), Expires: time.Now().Add(time.Hour), UserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Swap(ctx, "k", sesh.Record{Data: []byte("b"), Expires: time.Now().Add(time.Hour), Version: v}); err != nil {
		t.Fatalf("Swap after SCRIPT FLUSH: %v", err)
	}
	c.ScriptFlush(ctx)
	if recs, err := st.ByUser(ctx, "u"); err != nil || len(recs) != 0 {
		t.Fatalf("ByUser after SCRIPT FLUSH = %v, %v (the record moved to no user)", recs, err)
	}
	c.ScriptFlush(ctx)
	if rec, err := st.Get(ctx, "k"); err != nil || string(rec.Data) != "b" {
		t.Fatalf("Get after SCRIPT FLUSH = %q, %v", rec.Data, err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(nil, Options{}); err == nil {
		t.Fatal("nil client accepted")
	}
	lax := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer lax.Close()
	if _, err := New(lax, Options{}); err == nil || !strings.Contains(err.Error(), "ContextTimeoutEnabled") {
		t.Fatalf("client without ContextTimeoutEnabled: err = %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	defer c.Close()
	for _, p := range []string{"a*", "a b", "x[", `q\`} {
		if _, err := New(c, Options{Prefix: p}); err == nil {
			t.Errorf("prefix %q accepted", p)
		}
	}
}

// Every write sets the key's Redis expiry to the record's millisecond: an
// insert too (a SET NX whose PXAT once went out as whole-second EXAT).
func TestRedisExpiryIsExactToTheMillisecond(t *testing.T) {
	c := client(t)
	ctx := t.Context()
	st := factory(c)(t).(*Store)
	exp := time.UnixMilli(time.Now().Add(time.Hour).UnixMilli()/1000*1000 + 777)
	for _, k := range []string{"insert", "indexed"} {
		user := ""
		if k == "indexed" {
			user = "u"
		}
		if _, err := st.Swap(ctx, k, sesh.Record{Data: []byte("x"), Expires: exp, UserID: user}); err != nil {
			t.Fatal(err)
		}
		ms, err := c.Do(ctx, "PEXPIRETIME", st.sessionKey(k)).Int64()
		if err != nil || ms != exp.UnixMilli() {
			t.Fatalf("%s: PEXPIRETIME = %d, %v; want %d", k, ms, err, exp.UnixMilli())
		}
	}
}
