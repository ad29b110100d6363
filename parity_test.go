package sesh_test

import (
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

// express-session's behaviours that sesh follows (each is also a case of
// the ported express-session suite).

func TestSetToSameValueIsNoModification(t *testing.T) {
	e := newEnv(t, func(c *sesh.Config) { c.Cookie.MaxAge = time.Hour })
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sesh.From(r.Context()).Set("user", "alice")
	}))
	id := cookieValue(t, do(h, "GET", "/").Header(), cn)
	e.spy.reset()
	w := do(h, "GET", "/", cn+"="+id)
	if e.spy.writes() != 0 || len(sessionCookies(w.Header(), cn)) != 0 {
		t.Fatalf("setting the same value wrote %d times, Set-Cookie %q", e.spy.writes(), sessionCookies(w.Header(), cn))
	}
}

func TestResaveSendsNoCookieForUnmodifiedSession(t *testing.T) {
	e := newEnv(t, func(c *sesh.Config) { c.Resave = true; c.Cookie.MaxAge = time.Hour })
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		switch r.URL.Path {
		case "/set":
			s.Set("n", 1)
		case "/save":
			s.Set("n", 2)
			must(t, e.m.Save(r.Context(), s))
		}
	}))
	id := cookieValue(t, do(h, "GET", "/set").Header(), cn)
	e.spy.reset()
	w := do(h, "GET", "/", cn+"="+id)
	if e.spy.swaps.Load()+e.spy.sets.Load() != 1 {
		t.Fatalf("Resave wrote %d times, want 1", e.spy.swaps.Load()+e.spy.sets.Load())
	}
	if got := sessionCookies(w.Header(), cn); len(got) != 0 {
		t.Fatalf("Resave of an unmodified session sent %q", got)
	}
	e.spy.reset()
	w = do(h, "GET", "/save", cn+"="+id)
	if n := e.spy.swaps.Load() + e.spy.sets.Load(); n != 1 {
		t.Fatalf("explicit Save then the end of the request wrote %d times, want 1", n)
	}
	if got := sessionCookies(w.Header(), cn); len(got) != 1 {
		t.Fatalf("a modified persistent session sent %q, want its cookie", got)
	}
}

func TestRequestOutsideCookiePathHasNoSession(t *testing.T) {
	e := newEnv(t, func(c *sesh.Config) { c.Cookie.Path = "/admin"; c.Cookie.Name = "s" })
	var setErr error
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setErr = sesh.From(r.Context()).Set("k", 1)
		io.WriteString(w, "ok")
	}))
	for _, p := range []string{"/", "/administrator", "/adm"} {
		w := do(h, "GET", p)
		if !errors.Is(setErr, sesh.ErrOutsidePath) || len(w.Header().Values("Set-Cookie")) != 0 || w.Body.String() != "ok" {
			t.Fatalf("%s: Set = %v, cookies %q", p, setErr, w.Header().Values("Set-Cookie"))
		}
	}
	if n, _ := e.mem.Len(t.Context()); n != 0 {
		t.Fatalf("%d sessions left behind", n)
	}
	for _, p := range []string{"/admin", "/admin/", "/admin/users"} {
		w := do(h, "GET", p)
		if setErr != nil || len(sessionCookies(w.Header(), "s")) != 1 {
			t.Fatalf("%s: Set = %v, cookies %q", p, setErr, w.Header().Values("Set-Cookie"))
		}
	}
}

func TestSameSiteAuto(t *testing.T) {
	e := newEnv(t, func(c *sesh.Config) { c.Cookie.SameSite = sesh.SameSiteAuto; c.Cookie.Secure = sesh.SecureAuto })
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sesh.From(r.Context()).Set("k", 1) }))
	plain := do(h, "GET", "/").Header().Get("Set-Cookie")
	r := httptest.NewRequest("GET", "/", nil)
	r.TLS = &tls.ConnectionState{}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	secure := w.Header().Get("Set-Cookie")
	if !strings.Contains(plain, "SameSite=Lax") || strings.Contains(plain, "Secure") ||
		!strings.Contains(secure, "SameSite=None") || !strings.Contains(secure, "Secure") {
		t.Fatalf("SameSiteAuto: plain %q, TLS %q", plain, secure)
	}
}

func TestGenIDRequest(t *testing.T) {
	e := newEnv(t, func(c *sesh.Config) {
		c.GenIDRequest = func(r *http.Request) string { return r.Header.Get("X-Tenant") + "-" + sesh.NewID() }
		c.ValidID = func(id string) bool { return strings.HasPrefix(id, "acme-") && sesh.ValidID(id[len("acme-"):]) }
	})
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sesh.From(r.Context()).Set("k", 1) }))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Tenant", "acme")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if id := cookieValue(t, w.Header(), cn); !strings.HasPrefix(id, "acme-") {
		t.Fatalf("ID %q not minted from the request", id)
	}
	// An ID its ValidID rejects fails the commit rather than set a cookie
	// that could never be read back.
	r = httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Tenant", "other")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusInternalServerError || len(sessionCookies(w.Header(), cn)) != 0 {
		t.Fatalf("rejected ID: %d %q", w.Code, w.Header().Values("Set-Cookie"))
	}
}

func TestBrowserSessionOverridesMaxAge(t *testing.T) {
	e := newEnv(t, func(c *sesh.Config) { c.Cookie.MaxAge = 24 * time.Hour })
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		s.Set("k", 1)
		if r.URL.Path == "/shared-computer" {
			s.Persist(sesh.BrowserSession)
		}
	}))
	if l := do(h, "GET", "/").Header().Get("Set-Cookie"); !strings.Contains(l, "Max-Age=") {
		t.Fatalf("MaxAge not applied: %q", l)
	}
	w := do(h, "GET", "/shared-computer")
	if l := w.Header().Get("Set-Cookie"); strings.Contains(l, "Max-Age") || strings.Contains(l, "Expires") {
		t.Fatalf("BrowserSession cookie has a lifetime: %q", l)
	}
	id := cookieValue(t, w.Header(), cn)
	if l := do(h, "GET", "/", cn+"="+id).Header().Get("Set-Cookie"); l != "" {
		t.Fatalf("BrowserSession not kept in the record: %q", l)
	}
}
