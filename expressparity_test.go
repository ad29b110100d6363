package sesh_test

import (
	"net/http"
	"net/http/httptest"
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

// The Path gate matches the path the browser asked for, not the one a
// router left in r.URL after stripping the prefix it mounts a handler
// under (express-session reads req.originalUrl).
func TestPathGateUsesRequestedPath(t *testing.T) {
	e := newEnv(t, func(c *sesh.Config) { c.Cookie.Path = "/foo/bar"; c.Cookie.Name = "s" })
	var setErr error
	app := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setErr = sesh.From(r.Context()).Set("k", 1)
	}))
	h := http.StripPrefix("/foo", app)
	for _, c := range []struct {
		path string
		in   bool
	}{{"/foo/bar", true}, {"/foo/bar/baz", true}, {"/foo/foo/bar", false}, {"/foo/barn", false}} {
		w := do(h, "GET", c.path)
		got := len(sessionCookies(w.Header(), "s")) == 1
		if got != c.in || (setErr == nil) != c.in {
			t.Errorf("%s: cookie %v, Set error %v; want in-path %v", c.path, got, setErr, c.in)
		}
	}
	// A request built without RequestURI (a handler called directly) is
	// matched on its URL.
	r, _ := http.NewRequest("GET", "http://example.com/foo/bar", nil)
	w := httptest.NewRecorder()
	app.ServeHTTP(w, r)
	if len(sessionCookies(w.Header(), "s")) != 1 {
		t.Fatalf("no RequestURI: %q", w.Header().Values("Set-Cookie"))
	}
}
