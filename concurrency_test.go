package sesh_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/sesh-go/sesh"
)

// parallelKeys runs n requests at once on one session, each adding its own
// key, and checks none is lost.
func parallelKeys(t *testing.T, m *sesh.Manager, n int) {
	t.Helper()
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		if k := r.URL.Query().Get("k"); k != "" {
			must(t, s.Set(k, k))
		}
		fmt.Fprint(w, len(s.Keys()))
	}))
	id := cookieValue(t, do(h, "GET", "/?k=seed").Header(), cn)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			w := do(h, "GET", fmt.Sprintf("/?k=key%03d", i), cn+"="+id)
			if w.Code != 200 {
				t.Errorf("request %d: %d %s", i, w.Code, w.Body.String())
			}
		}()
	}
	close(start)
	wg.Wait()
	w := do(h, "GET", "/", cn+"="+id)
	if w.Body.String() != fmt.Sprint(n+1) {
		s, _ := m.Load(context.Background(), cn+"="+id)
		t.Fatalf("keys after %d parallel requests: %s, want %d (%v)", n, w.Body.String(), n+1, s.Keys())
	}
}

func TestParallelRequestsLoseNoKey(t *testing.T) {
	e := newEnv(t, nil)
	parallelKeys(t, e.m, 100)
}

func TestParallelSameKeyLaterWins(t *testing.T) {
	e := newEnv(t, nil)
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		must(t, sesh.From(r.Context()).Set("color", r.URL.Query().Get("c")))
	}))
	id := cookieValue(t, do(h, "GET", "/?c=red").Header(), cn)
	do(h, "GET", "/?c=green", cn+"="+id)
	do(h, "GET", "/?c=blue", cn+"="+id)
	s, _ := e.m.Load(context.Background(), cn+"="+id)
	if c, _ := sesh.Get[string](s, "color"); c != "blue" {
		t.Fatalf("color = %q, want the later commit", c)
	}
}

// A request that loaded a session before another request destroyed it
// must not bring it back when it commits.
func TestDestroyWinsOverInflightSave(t *testing.T) {
	e := newEnv(t, nil)
	id := cookieValue(t, do(routes(e.m), "GET", "/login").Header(), cn)
	loaded := make(chan struct{})
	proceed := make(chan struct{})
	slow := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		s.Has("user") // loaded
		close(loaded)
		<-proceed
		must(t, s.Set("cart", []string{"apple"}))
		io.WriteString(w, "done")
	}))
	var wg sync.WaitGroup
	var slowResp http.Header
	wg.Add(1)
	go func() {
		defer wg.Done()
		slowResp = do(slow, "GET", "/", cn+"="+id).Header()
	}()
	<-loaded
	do(routes(e.m), "GET", "/logout", cn+"="+id)
	close(proceed)
	wg.Wait()
	if _, err := e.mem.Get(context.Background(), sesh.HashID(id)); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatal("the in-flight save resurrected a destroyed session")
	}
	if got := do(routes(e.m), "GET", "/me", cn+"="+id).Body.String(); got != "" {
		t.Fatalf("destroyed session still signed in as %q", got)
	}
	lines := sessionCookies(slowResp, cn)
	if len(lines) != 1 || cookieValue(t, slowResp, cn) != "" {
		t.Fatalf("the late request should expire the cookie, got %q", lines)
	}
	if n, _ := e.mem.Len(context.Background()); n != 0 {
		t.Fatalf("%d records left", n)
	}
}

// Without compare-and-set (a plain Store), the Manager still works; lost
// updates are then possible, which the documentation states.
func TestPlainStoreWorks(t *testing.T) {
	e := newEnv(t, func(c *sesh.Config) { c.Store = plainStore{c.Store} })
	srvH := routes(e.m)
	id := cookieValue(t, do(srvH, "GET", "/login").Header(), cn)
	if got := do(srvH, "GET", "/me", cn+"="+id).Body.String(); got != "alice" {
		t.Fatalf("plain store: %q", got)
	}
	do(srvH, "GET", "/logout", cn+"="+id)
	if got := do(srvH, "GET", "/me", cn+"="+id).Body.String(); got != "" {
		t.Fatalf("plain store after logout: %q", got)
	}
}
