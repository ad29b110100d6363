package redisstore

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest/faultproxy"
)

// TestFaults puts a proxy between the store and the real server, cuts and
// slows the connection, and checks that every call returns promptly with
// an error, and that the store works again once the server is back.
func TestFaults(t *testing.T) {
	base := client(t)
	goroutines := runtime.NumGoroutine()
	proxy, err := faultproxy.New(base.Options().Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	o := *base.Options()
	o.Addr = proxy.Addr()
	c := redis.NewClient(&o)
	st, err := New(c, Options{Prefix: uniquePrefix(t)})
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour)
	rec := sesh.Record{Data: []byte("v"), Expires: exp, UserID: "u"}
	if err := st.Set(t.Context(), "k", rec); err != nil {
		t.Fatal(err)
	}

	// calls exercises every method once with a deadline; each must fail
	// within the deadline plus a margin.
	calls := map[string]func(ctx context.Context) error{
		"Get":    func(ctx context.Context) error { _, err := st.Get(ctx, "k"); return err },
		"Set":    func(ctx context.Context) error { return st.Set(ctx, "k", rec) },
		"Swap":   func(ctx context.Context) error { _, err := st.Swap(ctx, "k", rec); return err },
		"Touch":  func(ctx context.Context) error { return st.Touch(ctx, "k", exp) },
		"Delete": func(ctx context.Context) error { return st.Delete(ctx, "zz") },
		"Len":    func(ctx context.Context) error { _, err := st.Len(ctx); return err },
		"ByUser": func(ctx context.Context) error { _, err := st.ByUser(ctx, "u"); return err },
	}
	expectFail := func(t *testing.T, what string, wantDeadline bool) {
		for name, call := range calls {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			start := time.Now()
			err := call(ctx)
			took := time.Since(start)
			cancel()
			if err == nil || errors.Is(err, sesh.ErrNotFound) || errors.Is(err, sesh.ErrConflict) {
				t.Errorf("%s with the server %s: err = %v, want a connection error", name, what, err)
			}
			if wantDeadline && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s with the server %s: err = %v, want one wrapping context.DeadlineExceeded", name, what, err)
			}
			if took > 2*time.Second {
				t.Errorf("%s with the server %s took %v: the context allowed 300ms", name, what, took)
			}
		}
	}
	recovered := func(t *testing.T) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			got, err := st.Get(ctx, "k")
			cancel()
			if err == nil && string(got.Data) == "v" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("store did not recover: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	t.Run("Stopped", func(t *testing.T) {
		proxy.Cut()
		expectFail(t, "stopped", false)
		proxy.Restore()
		recovered(t)
	})
	t.Run("Slow", func(t *testing.T) {
		proxy.Slow(2 * time.Second)
		expectFail(t, "slow", true)
		proxy.Restore()
		recovered(t)
	})
	st.Clear(context.Background())
	c.Close()
	proxy.Close()
	// No goroutine outlives the client and the proxy.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines+2 {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Close, %d before: leaked\n%s", n, goroutines, buf[:runtime.Stack(buf, true)])
	}
}
