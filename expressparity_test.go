package sesh_test

import (
	"net/http"
	"testing"

	"github.com/sesh-go/sesh"
)

// The middleware mounted twice on one Manager serves one session: the
// inner Handler passes the request through (express-session's "should do
// nothing if req.session exists").
func TestHandlerNestedOnSameManagerIsNoOp(t *testing.T) {
	e := newEnv(t, func(c *sesh.Config) { c.SaveUninitialized = true })
	var inner *sesh.Session
	h := e.m.Handler(e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner = sesh.From(r.Context())
		inner.Set("k", 1)
	})))
	w := do(h, "GET", "/")
	if got := sessionCookies(w.Header(), cn); len(got) != 1 {
		t.Fatalf("Set-Cookie %q, want one", got)
	}
	if n, _ := e.mem.Len(t.Context()); n != 1 {
		t.Fatalf("%d sessions stored, want 1", n)
	}
	if e.spy.writes() != 1 {
		t.Fatalf("%d writes, want 1", e.spy.writes())
	}
	id := cookieValue(t, w.Header(), cn)
	if inner.ID() != id {
		t.Fatal("the handler's session is not the one whose cookie was sent")
	}
}
