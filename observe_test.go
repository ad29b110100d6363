package sesh_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sesh-go/sesh"
)

// recorder is an Observer that records what it sees.
type recorder struct {
	mu     sync.Mutex
	calls  []string // op:outcome
	events []sesh.EventKind
}

func (r *recorder) StoreCall(ctx context.Context, c sesh.StoreCall) (context.Context, func(error)) {
	if !strings.Contains(c.Store, "spyStore") {
		panic("store type not reported: " + c.Store)
	}
	return ctx, func(err error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		out := "ok"
		if err != nil {
			out = "err"
		}
		r.calls = append(r.calls, c.Op+":"+out)
	}
}

func (r *recorder) Event(ctx context.Context, e sesh.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e.Kind)
}

func (r *recorder) take() ([]string, []sesh.EventKind) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, e := r.calls, r.events
	r.calls, r.events = nil, nil
	return c, e
}

func TestObserverSeesStoreCallsAndEvents(t *testing.T) {
	rec := &recorder{}
	e := newEnv(t, func(c *sesh.Config) { c.Observer = rec })
	h := routes(e.m)
	id := cookieValue(t, do(h, "GET", "/count").Header(), cn)
	calls, events := rec.take()
	if !slices.Equal(calls, []string{"swap:ok"}) || !slices.Equal(events, []sesh.EventKind{sesh.EventCreated}) {
		t.Fatalf("new session: calls %v events %v", calls, events)
	}
	do(h, "GET", "/me", cn+"="+id)
	if calls, events = rec.take(); !slices.Equal(calls, []string{"get:ok"}) || len(events) != 0 {
		t.Fatalf("read: calls %v events %v", calls, events)
	}
	id2 := cookieValue(t, do(h, "GET", "/login", cn+"="+id).Header(), cn)
	if calls, events = rec.take(); !slices.Equal(calls, []string{"get:ok", "swap:ok", "swap:ok"}) || !slices.Equal(events, []sesh.EventKind{sesh.EventRegenerated}) {
		t.Fatalf("regenerate: calls %v events %v", calls, events)
	}
	interleave(t, e, id2, func(s *sesh.Session) { sesh.Update(s, "n", inc) }, func(s *sesh.Session) { sesh.Update(s, "n", inc) })
	if _, events = rec.take(); !slices.Contains(events, sesh.EventReplay) {
		t.Fatalf("replay not reported: %v", events)
	}
	do(h, "GET", "/logout", cn+"="+id2)
	if calls, events = rec.take(); !slices.Contains(calls, "delete:ok") || !slices.Equal(events, []sesh.EventKind{sesh.EventDestroyed}) {
		t.Fatalf("logout: calls %v events %v", calls, events)
	}
	e.spy.failGet.Store(true)
	do(h, "GET", "/me", cn+"="+id2)
	if calls, events = rec.take(); !slices.Equal(calls, []string{"get:err"}) || !slices.Equal(events, []sesh.EventKind{sesh.EventFailClosed}) {
		t.Fatalf("failure: calls %v events %v", calls, events)
	}
	// A sign-in on a brand-new session (Regenerate, SetUserID) creates it.
	do(h, "GET", "/login")
	if _, events = rec.take(); !slices.Equal(events, []sesh.EventKind{sesh.EventCreated}) {
		t.Fatalf("sign-in on a new session: events %v, want created", events)
	}
	if sesh.EventCookieTooLarge.String() != "cookie_too_large" || sesh.EventKind(200).String() != "unknown" {
		t.Fatal("event names")
	}
}

// The hooks cost nothing measurable when no Observer is set: compare
// BenchmarkObserver/none with /nop (go test -bench Observer).
func BenchmarkObserver(b *testing.B) {
	for _, tc := range []struct {
		name string
		obs  sesh.Observer
	}{{"none", nil}, {"nop", nopObserver{}}} {
		b.Run(tc.name, func(b *testing.B) {
			e := newEnv(b, func(c *sesh.Config) { c.Observer = tc.obs; c.Logger = nil })
			h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n, _ := sesh.Get[int](sesh.From(r.Context()), "n")
				io.WriteString(w, "x")
				_ = n
			}))
			id := newSessionWith(b, e, map[string]any{"n": 1})
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				do(h, "GET", "/", cn+"="+id)
			}
		})
	}
}

type nopObserver struct{}

func (nopObserver) StoreCall(ctx context.Context, _ sesh.StoreCall) (context.Context, func(error)) {
	return ctx, func(error) {}
}
func (nopObserver) Event(context.Context, sesh.Event) {}
