package sesh

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/sesh-go/sesh/cookie"
)

// headerVals shares one backing array between header values; appending to
// one of them must never write into another.
func TestHeaderValsDoNotAlias(t *testing.T) {
	lines := cookieLines(nil, []byte("a=b"))
	h := http.Header{}
	h["Set-Cookie"] = lines[:1:1]
	spare := headerVals(lines[1:])
	spare.set(h, "Vary", "Cookie")
	spare.set(h, "Cache-Control", "no-store")
	spare.set(h, "X-Third", "allocated") // no room left: a slice of its own
	h.Add("Set-Cookie", "c=d")
	h.Add("Vary", "Accept")
	h.Add("Cache-Control", "private")
	if got := h["Vary"]; len(got) != 2 || got[0] != "Cookie" || got[1] != "Accept" {
		t.Errorf("Vary = %q", got)
	}
	if got := h["Cache-Control"]; len(got) != 2 || got[0] != "no-store" || got[1] != "private" {
		t.Errorf("Cache-Control = %q", got)
	}
	if got := h["Set-Cookie"]; len(got) != 2 || got[0] != "a=b" || got[1] != "c=d" {
		t.Errorf("Set-Cookie = %q", got)
	}
	if got := h.Get("X-Third"); got != "allocated" {
		t.Errorf("X-Third = %q", got)
	}
}

type otherKey struct{}

// The context Handler attaches behaves as context.WithValue would: the
// parent's values, deadline and cancellation show through it.
func TestSessionContextDelegates(t *testing.T) {
	parent, cancel := context.WithTimeout(context.WithValue(context.Background(), otherKey{}, "v"), time.Hour)
	m := mustManagerForCtx(t)
	var got context.Context
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Context()
		if From(got) == nil {
			t.Error("no session")
		}
		if got.Value(otherKey{}) != "v" {
			t.Error("parent value hidden")
		}
		if dl, ok := got.Deadline(); !ok || time.Until(dl) < 59*time.Minute {
			t.Errorf("deadline = %v, %v", dl, ok)
		}
		child, stop := context.WithCancel(got)
		defer stop()
		cancel()
		select {
		case <-child.Done():
		case <-time.After(5 * time.Second):
			t.Error("cancelling the parent did not reach a context derived in the handler")
		}
		if context.Cause(got) != context.Canceled {
			t.Errorf("Cause = %v", context.Cause(got))
		}
	}))
	r, _ := http.NewRequestWithContext(parent, "GET", "/", nil)
	h.ServeHTTP(discard{}, r)
	if got == nil {
		t.Fatal("handler did not run")
	}
}

type discard struct{ h http.Header }

func (d discard) Header() http.Header {
	if d.h == nil {
		return http.Header{}
	}
	return d.h
}
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

func mustManagerForCtx(t *testing.T) *Manager {
	t.Helper()
	sealer, err := cookie.NewSealer(cookie.Key{ID: "k", Secret: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(Config{Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
