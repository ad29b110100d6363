package storetest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

// counter counts the calls a Manager makes to a store.
type counter struct {
	reads, writes atomic.Int64
}

// countingStore wraps a store and counts calls. The variants below keep
// exactly the optional capabilities of the wrapped store, since the Manager
// changes its behaviour by type assertion.
type countingStore struct {
	sesh.Store
	c *counter
}

func (s countingStore) Get(ctx context.Context, k string) (sesh.Record, error) {
	s.c.reads.Add(1)
	return s.Store.Get(ctx, k)
}

func (s countingStore) Set(ctx context.Context, k string, r sesh.Record) error {
	s.c.writes.Add(1)
	return s.Store.Set(ctx, k, r)
}

func (s countingStore) Delete(ctx context.Context, k string) error {
	s.c.writes.Add(1)
	return s.Store.Delete(ctx, k)
}

type countingSwapper struct{ countingStore }

func (s countingSwapper) Swap(ctx context.Context, k string, r sesh.Record) (int64, error) {
	s.c.writes.Add(1)
	return s.Store.(sesh.Swapper).Swap(ctx, k, r)
}

type countingToucher struct{ countingStore }

func (s countingToucher) Touch(ctx context.Context, k string, exp time.Time) error {
	s.c.writes.Add(1)
	return s.Store.(sesh.Toucher).Touch(ctx, k, exp)
}

type countingBoth struct{ countingSwapper }

func (s countingBoth) Touch(ctx context.Context, k string, exp time.Time) error {
	s.c.writes.Add(1)
	return s.Store.(sesh.Toucher).Touch(ctx, k, exp)
}

func counted(st sesh.Store) (sesh.Store, *counter) {
	c := &counter{}
	base := countingStore{Store: st, c: c}
	_, sw := st.(sesh.Swapper)
	_, to := st.(sesh.Toucher)
	switch {
	case sw && to:
		return countingBoth{countingSwapper{base}}, c
	case sw:
		return countingSwapper{base}, c
	case to:
		return countingToucher{base}, c
	}
	return base, c
}

// testManager drives a sesh.Manager over the store through real HTTP
// handlers: the request shapes every store must serve.
func (s *suite) testManager(t *testing.T) {
	t.Run("UnmodifiedRequestIsOneRead", func(t *testing.T) {
		st, c := counted(s.newStore(t))
		m := s.manager(t, st)
		h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sess := sesh.From(r.Context())
			if r.URL.Path == "/set" {
				if err := sess.Set("user", "alice"); err != nil {
					t.Error(err)
				}
				// A real change on every call: setting a value to what it
				// holds is no modification.
				if _, err := sesh.Update(sess, "visits", func(n int, _ bool) (int, error) { return n + 1, nil }); err != nil {
					t.Error(err)
				}
				return
			}
			u, _ := sesh.Get[string](sess, "user")
			fmt.Fprint(w, u)
		}))
		cookie := sessionCookie(t, serve(h, "/set", ""))
		c.reads.Store(0)
		c.writes.Store(0)
		w := serve(h, "/", cookie)
		if w.Body.String() != "alice" {
			t.Fatalf("session not read back: %q", w.Body.String())
		}
		if r, wr := c.reads.Load(), c.writes.Load(); r != 1 || wr != 0 {
			t.Fatalf("an unmodified request made %d reads and %d writes, want 1 and 0", r, wr)
		}
		c.reads.Store(0)
		serve(h, "/set", cookie)
		if r, wr := c.reads.Load(), c.writes.Load(); r != 1 || wr != 1 {
			t.Fatalf("a modifying request made %d reads and %d writes, want 1 and 1", r, wr)
		}
	})
	t.Run("ParallelRequestsLoseNoKey", func(t *testing.T) {
		st := s.newStore(t)
		if _, ok := st.(sesh.Swapper); !ok {
			t.Skip("store does not implement sesh.Swapper: concurrent requests may lose updates (documented)")
		}
		m := s.manager(t, st)
		h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sess := sesh.From(r.Context())
			if k := r.URL.Query().Get("k"); k != "" {
				if err := sess.Set(k, true); err != nil {
					t.Error(err)
				}
			}
			fmt.Fprint(w, len(sess.Keys()))
		}))
		cookie := sessionCookie(t, serve(h, "/?k=seed", ""))
		const n = 50
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if w := serve(h, fmt.Sprintf("/?k=k%02d", i), cookie); w.Code != http.StatusOK {
					t.Errorf("request %d: %d %s", i, w.Code, w.Body.String())
				}
			}()
		}
		close(start)
		wg.Wait()
		if got := serve(h, "/", cookie).Body.String(); got != fmt.Sprint(n+1) {
			t.Fatalf("after %d parallel requests each adding a key the session has %s keys, want %d", n, got, n+1)
		}
	})
	t.Run("DestroyWins", func(t *testing.T) {
		st := s.newStore(t)
		if _, ok := st.(sesh.Swapper); !ok {
			t.Skip("store does not implement sesh.Swapper: a save racing a destroy may resurrect the session (documented)")
		}
		m := s.manager(t, st)
		loaded, proceed := make(chan struct{}), make(chan struct{})
		h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sess := sesh.From(r.Context())
			switch r.URL.Path {
			case "/set":
				sess.Set("user", "alice")
			case "/slow":
				sess.Has("user")
				close(loaded)
				<-proceed
				sess.Set("late", true)
			case "/logout":
				sess.Destroy()
			default:
				u, _ := sesh.Get[string](sess, "user")
				fmt.Fprint(w, u)
			}
		}))
		cookie := sessionCookie(t, serve(h, "/set", ""))
		done := make(chan struct{})
		go func() { defer close(done); serve(h, "/slow", cookie) }()
		<-loaded
		serve(h, "/logout", cookie)
		close(proceed)
		<-done
		if got := serve(h, "/", cookie).Body.String(); got != "" {
			t.Fatalf("a save racing Destroy resurrected the session (user %q)", got)
		}
	})
}

func (s *suite) manager(t *testing.T, st sesh.Store) *sesh.Manager {
	t.Helper()
	m, err := sesh.New(s.config(t, st))
	if err != nil {
		t.Fatalf("sesh.New over the store: %v", err)
	}
	return m
}

func serve(h http.Handler, target, cookie string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", target, nil)
	if cookie != "" {
		r.Header.Set("Cookie", cookie)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func sessionCookie(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	for _, c := range w.Result().Cookies() {
		if c.Name == cookieName && c.Value != "" {
			return cookieName + "=" + c.Value
		}
	}
	t.Fatalf("no session cookie in %v (status %d: %s)", w.Header(), w.Code, w.Body.String())
	return ""
}
