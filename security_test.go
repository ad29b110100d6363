package sesh_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sesh-go/sesh"
)

func TestCacheControlOnSignedInPages(t *testing.T) {
	e := newEnv(t, nil)
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/own":
			w.Header().Set("Cache-Control", "public, max-age=60")
		case "/login":
			sesh.From(r.Context()).Set("user", "alice")
		}
		io.WriteString(w, "page")
	}))
	id := cookieValue(t, do(h, "GET", "/login").Header(), cn)
	// A page served to a live session, with no cookie set: private, no-store.
	if got := do(h, "GET", "/", cn+"="+id).Header().Get("Cache-Control"); got != "private, no-store" {
		t.Fatalf("signed-in page Cache-Control = %q, want private, no-store", got)
	}
	// The handler's own Cache-Control is kept.
	if got := do(h, "GET", "/own", cn+"="+id).Header().Get("Cache-Control"); got != "public, max-age=60" {
		t.Fatalf("handler's Cache-Control replaced: %q", got)
	}
	// An anonymous page is left to the handler.
	if got := do(h, "GET", "/").Header().Get("Cache-Control"); got != "" {
		t.Fatalf("anonymous page Cache-Control = %q", got)
	}
	// The option turns it off.
	e2 := newEnv(t, func(c *sesh.Config) { c.DisableCacheControl = true })
	h2 := e2.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sesh.From(r.Context()).Set("k", 1) }))
	id2 := cookieValue(t, do(h2, "GET", "/").Header(), cn)
	if got := do(h2, "GET", "/", cn+"="+id2).Header().Get("Cache-Control"); got != "" {
		t.Fatalf("DisableCacheControl: %q", got)
	}
}

func TestClearSiteDataOnDestroy(t *testing.T) {
	e := newEnv(t, func(c *sesh.Config) { c.ClearSiteData = []string{"cache", "cookies"} })
	h := routes(e.m)
	id := cookieValue(t, do(h, "GET", "/login").Header(), cn)
	if got := do(h, "GET", "/me", cn+"="+id).Header().Get("Clear-Site-Data"); got != "" {
		t.Fatalf("Clear-Site-Data on a normal page: %q", got)
	}
	if got := do(h, "GET", "/logout", cn+"="+id).Header().Get("Clear-Site-Data"); got != `"cache", "cookies"` {
		t.Fatalf("Clear-Site-Data on logout = %q", got)
	}
	if _, err := sesh.New(sesh.Config{Store: e.mem, ClearSiteData: []string{"everything"}}); err == nil {
		t.Fatal("unknown directive accepted")
	}
}

func TestSecureByDefaultWarnsOnPlainHTTP(t *testing.T) {
	e := newEnv(t, nil)
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sesh.From(r.Context()).Set("k", 1) }))
	for _, host := range []string{"localhost:8080", "127.0.0.1", "[::1]:80", "app.localhost"} {
		r := httptest.NewRequest("GET", "http://"+host+"/", nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if !strings.Contains(w.Header().Get("Set-Cookie"), "; Secure") {
			t.Fatalf("cookie not Secure on %s", host)
		}
	}
	if strings.Contains(e.logs.String(), "plain HTTP") {
		t.Fatalf("warned for localhost:\n%s", e.logs.String())
	}
	for range 3 {
		do(h, "GET", "http://shop.example/")
	}
	if n := strings.Count(e.logs.String(), "came over plain HTTP"); n != 1 || !strings.Contains(e.logs.String(), "SecureAuto") {
		t.Fatalf("want one warning naming the setting, got %d:\n%s", n, e.logs.String())
	}
	// Behind a trusted proxy that says https: no warning.
	e2 := newEnv(t, func(c *sesh.Config) { c.TrustProxy = true })
	h2 := e2.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sesh.From(r.Context()).Set("k", 1) }))
	r := httptest.NewRequest("GET", "http://shop.example/", nil)
	r.Header.Set("X-Forwarded-Proto", "https")
	h2.ServeHTTP(httptest.NewRecorder(), r)
	if strings.Contains(e2.logs.String(), "plain HTTP") {
		t.Fatal("warned behind a trusted https proxy")
	}
	// The explicit opt-out for plain-HTTP deployments.
	e3 := newEnv(t, func(c *sesh.Config) { c.Cookie.Secure = sesh.SecureAuto })
	if e3.m.Name() != "session" {
		t.Fatalf("name with SecureAuto = %q, want session (no __Host- without Secure)", e3.m.Name())
	}
	s, _ := e3.m.LoadRequest(httptest.NewRequest("GET", "http://shop.example/", nil))
	s.Set("k", 1)
	line, err := e3.m.Commit(context.Background(), s)
	must(t, err)
	if strings.Contains(line, "Secure") {
		t.Fatalf("SecureAuto on plain HTTP: %q", line)
	}
}
