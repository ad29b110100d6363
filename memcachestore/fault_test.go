package memcachestore

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/testserver"
	"github.com/sesh-go/sesh/storetest"
	"github.com/sesh-go/sesh/storetest/faultproxy"
)

// TestFaults cuts and slows the connection to the real server through
// storetest's proxy.
func TestFaults(t *testing.T) {
	target := server(t)
	storetest.Faults(t, target, func(t *testing.T, addr string) (sesh.Store, func()) {
		c := memcache.New(addr)
		c.Timeout = time.Second
		c.MaxIdleConns = 8
		st, err := New(c, Options{Prefix: uniquePrefix()})
		if err != nil {
			t.Fatal(err)
		}
		return st, func() { st.Close(); c.Close() }
	})
}

// TestAbandonedCalls: a call whose context ends while memcached is slow
// returns at once with the context's error; the call it abandoned goes on
// until the client's timeout, and Close waits for it, so no goroutine
// outlives Close.
func TestAbandonedCalls(t *testing.T) {
	target := server(t)
	before := runtime.NumGoroutine()
	proxy, err := faultproxy.New(target)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	c := memcache.New(proxy.Addr())
	c.Timeout = time.Second
	st, err := New(c, Options{Prefix: uniquePrefix()})
	if err != nil {
		t.Fatal(err)
	}
	hour := time.Now().Add(time.Hour)
	if err := st.Set(t.Context(), "k", sesh.Record{Data: []byte("x"), Expires: hour}); err != nil {
		t.Fatal(err)
	}
	proxy.Slow(3 * time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	start := time.Now()
	_, err = st.Get(ctx, "k")
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("Get with a 50ms deadline on a slow server = %v after %v", err, time.Since(start))
	}

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start = time.Now()
	err = st.Set(ctx, "k", sesh.Record{Data: []byte("y"), Expires: hour})
	if !errors.Is(err, context.Canceled) || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("Set cancelled after 50ms on a slow server = %v after %v", err, time.Since(start))
	}
	abandoned := time.Now()

	// Both calls are still waiting for the slow proxy (it holds every
	// chunk 3 s, the client gives up after 1 s): Close must wait for them.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(abandoned); waited < 500*time.Millisecond {
		t.Fatalf("Close returned after %v: it did not wait for the abandoned calls", waited)
	}
	c.Close()
	proxy.Close()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

// TestNoCAS: against a memcached that keeps no CAS uniques (-C), where cas
// would overwrite anything, Swap and Touch refuse to write.
func TestNoCAS(t *testing.T) {
	bin, err := testserver.Binary("memcached", "memcached")
	if err != nil {
		storetest.Unavailable(t, "memcached binary", err)
	}
	port, err := testserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-l", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "0", "-m", "8", "-t", "1", "-C"}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "nobody")
	}
	p, err := testserver.Launch(exec.Command(bin, args...), testserver.HostPort(port))
	if err != nil {
		storetest.Unavailable(t, "memcached -C", err)
	}
	t.Cleanup(p.Stop)
	c := newClient(t, p.Addr)
	st := newStore(t, c, Options{})
	ctx := t.Context()
	hour := time.Now().Add(time.Hour)
	v, err := st.Swap(ctx, "k", sesh.Record{Data: []byte("a"), Expires: hour}) // add needs no CAS
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Swap(ctx, "k", sesh.Record{Data: []byte("b"), Expires: hour, Version: v}); !errors.Is(err, ErrNoCAS) {
		t.Fatalf("Swap without CAS uniques = %v, want ErrNoCAS", err)
	}
	if err := st.Touch(ctx, "k", hour.Add(time.Hour)); !errors.Is(err, ErrNoCAS) {
		t.Fatalf("Touch without CAS uniques = %v, want ErrNoCAS", err)
	}
	rec, err := st.Get(ctx, "k")
	if err != nil || string(rec.Data) != "a" || rec.Version != v {
		t.Fatalf("Get after the refused writes = %+v, %v", rec, err)
	}
}
