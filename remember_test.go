package sesh_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/cookie"
)

func TestRememberConfig(t *testing.T) {
	mem := newEnv(t, nil).mem
	sealer, err := cookie.NewSealer(key1)
	must(t, err)
	for _, tc := range []struct {
		name string
		cfg  sesh.Config
		want string
	}{
		{"cookie-only without a token store", sesh.Config{Sealer: sealer, Remember: &sesh.RememberConfig{}}, "cookie-only"},
		{"store without user index", sesh.Config{Store: plainStore{mem}, Remember: &sesh.RememberConfig{}}, "UserIndex"},
		{"same cookie name", sesh.Config{Store: mem, Cookie: sesh.CookieConfig{Name: "x"}, Remember: &sesh.RememberConfig{Cookie: sesh.CookieConfig{Name: "x"}}}, "cannot share"},
		{"negative max age", sesh.Config{Store: mem, Remember: &sesh.RememberConfig{MaxAge: -1}}, "negative"},
	} {
		if _, err := sesh.New(tc.cfg); !errors.Is(err, sesh.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrConfig saying %q", tc.name, err, tc.want)
		}
	}
	// Cookie-only sessions with a store for the tokens are fine.
	if _, err := sesh.New(sesh.Config{Sealer: sealer, Remember: &sesh.RememberConfig{Store: mem}}); err != nil {
		t.Fatalf("cookie-only with Remember.Store: %v", err)
	}
}

func TestRememberErrors(t *testing.T) {
	e := newEnv(t, nil)
	s, _ := e.m.Load(context.Background(), "")
	if err := s.Remember(); !errors.Is(err, sesh.ErrConfig) {
		t.Fatalf("Remember without Config.Remember = %v", err)
	}
	e2 := newEnv(t, func(c *sesh.Config) { c.Remember = &sesh.RememberConfig{} })
	s, _ = e2.m.Load(context.Background(), "")
	if err := s.Remember(); !errors.Is(err, sesh.ErrNotSignedIn) {
		t.Fatalf("Remember without a user = %v", err)
	}
	// The explicit API: Remember needs CommitHeader (two cookies).
	must(t, s.SetUserID("u"))
	must(t, s.Remember())
	h := http.Header{}
	must(t, e2.m.CommitHeader(context.Background(), s, h))
	if lines := h.Values("Set-Cookie"); len(lines) != 2 || !strings.HasPrefix(lines[1], "__Host-remember=") || !strings.Contains(lines[1], "Max-Age=2592000") {
		t.Fatalf("CommitHeader with Remember: %q", lines)
	}
}

func TestRequireRecentAuth(t *testing.T) {
	e := newEnv(t, nil)
	signIn := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/login", http.StatusSeeOther) })
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) { sesh.From(r.Context()).SetUserID("u") })
	mux.Handle("/settings", e.m.RequireRecentAuth(10*time.Minute, signIn)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "sensitive")
	})))
	h := e.m.Handler(mux)
	if w := do(h, "GET", "/settings"); w.Code != http.StatusSeeOther {
		t.Fatalf("anonymous: %d", w.Code)
	}
	id := cookieValue(t, do(h, "GET", "/login").Header(), cn)
	if w := do(h, "GET", "/settings", cn+"="+id); w.Body.String() != "sensitive" {
		t.Fatalf("fresh sign-in: %d %s", w.Code, w.Body.String())
	}
	e.clock.Advance(11 * time.Minute)
	if w := do(h, "GET", "/settings", cn+"="+id); w.Code != http.StatusSeeOther {
		t.Fatalf("11 minutes after sign-in: %d", w.Code)
	}
	// Signing in again (the same user) resets the age.
	do(h, "GET", "/login", cn+"="+id)
	if w := do(h, "GET", "/settings", cn+"="+id); w.Body.String() != "sensitive" {
		t.Fatalf("after re-authenticating: %d", w.Code)
	}
}
