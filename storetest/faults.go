package storetest

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest/faultproxy"
)

// FaultTimeout is the context deadline Faults gives each call while the
// server is cut off or slow. Returning within three times that is part of
// the contract Faults checks (a call honours its context's deadline), not
// a guess at the machine's speed, so it stays short.
const FaultTimeout = 300 * time.Millisecond

// Faults checks a network store against a server that stops answering and
// one that is slow. It starts a faultproxy in front of target
// ("host:port"), calls open with the proxy's address (open returns a store
// that reaches the server only through that address, and a function that
// closes it and its client), and checks that:
//
//   - with the connection cut, every method returns an error (not
//     ErrNotFound, not a success) within three times its context's
//     deadline, and no call panics;
//   - with the server slow, every method returns an error wrapping
//     context.DeadlineExceeded, as promptly;
//   - after each fault, the store serves reads again without being
//     re-created;
//   - after close, no goroutine the store or its client started is left.
func Faults(t *testing.T, target string, open func(t *testing.T, addr string) (sesh.Store, func())) {
	t.Helper()
	goroutines := runtime.NumGoroutine()
	proxy, err := faultproxy.New(target)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	st, closeStore := open(t, proxy.Addr())
	exp := time.Now().Add(time.Hour)
	rec := sesh.Record{Data: []byte("v"), Expires: exp, UserID: "u"}
	if err := st.Set(testCtx(t), "fault", rec); err != nil {
		t.Fatal(err)
	}
	calls := map[string]func(ctx context.Context) error{
		"Get":    func(ctx context.Context) error { _, err := st.Get(ctx, "fault"); return err },
		"Set":    func(ctx context.Context) error { return st.Set(ctx, "fault", rec) },
		"Delete": func(ctx context.Context) error { return st.Delete(ctx, "absent") },
	}
	if sw, ok := st.(sesh.Swapper); ok {
		calls["Swap"] = func(ctx context.Context) error { _, err := sw.Swap(ctx, "fault", rec); return err }
	}
	if tc, ok := st.(sesh.Toucher); ok {
		calls["Touch"] = func(ctx context.Context) error { return tc.Touch(ctx, "fault", exp) }
	}
	if l, ok := st.(sesh.Lister); ok {
		calls["Len"] = func(ctx context.Context) error { _, err := l.Len(ctx); return err }
		calls["Range"] = func(ctx context.Context) error {
			return l.Range(ctx, func(string, sesh.Record) bool { return true })
		}
	}
	if ui, ok := st.(sesh.UserIndex); ok {
		calls["ByUser"] = func(ctx context.Context) error { _, err := ui.ByUser(ctx, "u"); return err }
	}
	expectFail := func(t *testing.T, what string, wantDeadline bool) {
		t.Helper()
		for name, call := range calls {
			ctx, cancel := context.WithTimeout(context.Background(), FaultTimeout)
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
			if took > 3*FaultTimeout {
				t.Errorf("%s with the server %s took %v: its context allowed %v", name, what, took, FaultTimeout)
			}
		}
	}
	// recovered polls until a read succeeds again. Each try gets twice the
	// time of the last (from 2 s, at most a minute), so a slow machine
	// cannot keep every try too short; only a store still failing at the
	// hang deadline fails.
	recovered := func(t *testing.T) {
		t.Helper()
		deadline := hangDeadline(t)
		limit := time.Until(deadline).Round(time.Second)
		try := 2 * time.Second
		for {
			ctx, cancel := context.WithTimeout(context.Background(), try)
			got, err := st.Get(ctx, "fault")
			cancel()
			if err == nil && string(got.Data) == "v" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("store did not recover within %v, the suite's limit for a hang: %v", limit, err)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				try = min(2*try, time.Minute)
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
	if err := st.Delete(testCtx(t), "fault"); err != nil {
		t.Errorf("Delete after recovery: %v", err)
	}
	closeStore()
	proxy.Close()
	// Goroutines wind down at the machine's pace: only those still there
	// at the hang deadline count as leaked.
	deadline := hangDeadline(t)
	limit := time.Until(deadline).Round(time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines %v after close, %d before: leaked\n%s", n, limit, goroutines, buf[:runtime.Stack(buf, true)])
	}
}
