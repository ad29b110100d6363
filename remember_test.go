package sesh_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
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

// TestRememberCookieOnly: with cookie-only sessions the tokens live in
// Remember.Store, and everything but revoking a series' sessions works as
// with a store: the token is issued, restores a session, rotates on each
// use, and a copy used after the rotation is refused and revokes the token.
func TestRememberCookieOnly(t *testing.T) {
	sealer, err := cookie.NewSealer(key1)
	must(t, err)
	e := newEnv(t, nil)
	var thefts []sesh.RememberTheft
	m, err := sesh.New(sesh.Config{Sealer: sealer, Now: e.clock.Now, Remember: &sesh.RememberConfig{Store: e.mem,
		OnTheft: func(_ context.Context, th sesh.RememberTheft) { thefts = append(thefts, th) }}})
	must(t, err)
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		if r.URL.Path == "/login" {
			must(t, s.SetUserID("u"))
			must(t, s.Remember())
		}
		md := s.Meta()
		io.WriteString(w, md.UserID+" "+strconv.FormatBool(md.Restored))
	}))
	const rn = "__Host-remember"
	w := do(h, "GET", "/login")
	r1 := cookieValue(t, w.Header(), rn)
	if cookieValue(t, w.Header(), cn) == "" {
		t.Fatal("no session cookie")
	}
	// The browser restarts: the sealed session cookie is gone.
	e.clock.Advance(24 * time.Hour)
	w = do(h, "GET", "/", rn+"="+r1)
	if got := w.Body.String(); got != "u true" {
		t.Fatalf("restore: %q", got)
	}
	r2 := cookieValue(t, w.Header(), rn)
	if r2 == r1 || cookieValue(t, w.Header(), cn) == "" {
		t.Fatalf("restore: remember cookie %q → %q: want it rotated, with a session cookie", r1, r2)
	}
	// A copy of the first cookie, after the grace window: refused, and
	// the token is revoked.
	e.clock.Advance(time.Minute)
	if got := do(h, "GET", "/", rn+"="+r1).Body.String(); got != " false" {
		t.Fatalf("the rotated-out copy: %q", got)
	}
	if len(thefts) != 1 || thefts[0].UserID != "u" {
		t.Fatalf("OnTheft saw %+v", thefts)
	}
	if got := do(h, "GET", "/", rn+"="+r2).Body.String(); got != " false" {
		t.Fatalf("the revoked token still restores: %q", got)
	}
}

// rememberRoutes serves, with Config.Remember on: /login (sign in as "u"
// and remember the device), /others (end u's other sessions, then list
// them), /list (list them) and, elsewhere, the user ID of the session.
// Each listing is stored in *list.
func rememberRoutes(t *testing.T, list *[]sesh.SessionInfo) http.Handler {
	e := newEnv(t, func(c *sesh.Config) { c.Remember = &sesh.RememberConfig{} })
	return e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		switch r.URL.Path {
		case "/login":
			must(t, s.SetUserID("u"))
			must(t, s.Remember())
		case "/others":
			if _, err := e.m.EndUserSessions(r.Context(), "u", s); err != nil {
				t.Error(err)
			}
			fallthrough
		case "/list":
			var err error
			*list, err = e.m.UserSessions(r.Context(), "u", s)
			must(t, err)
		default:
			io.WriteString(w, s.Meta().UserID)
		}
	}))
}

func TestEndUserSessionsSparesThisDevicesToken(t *testing.T) {
	var list []sesh.SessionInfo
	h := rememberRoutes(t, &list)
	cookiesOf := func(w http.Header) (sess, rem string) {
		for _, l := range w.Values("Set-Cookie") {
			nv, _, _ := strings.Cut(l, ";")
			if strings.HasPrefix(nv, cn+"=") {
				sess = nv
			} else if strings.HasPrefix(nv, "__Host-remember=") {
				rem = nv
			}
		}
		return
	}
	aSess, aRem := cookiesOf(do(h, "GET", "/login").Header())
	_, bRem := cookiesOf(do(h, "GET", "/login").Header())
	do(h, "GET", "/others", aSess, aRem)
	var current, remembered int
	for _, in := range list {
		if in.Remembered {
			remembered++
			if in.Current {
				current++
			}
		}
	}
	if remembered != 1 || current != 1 {
		t.Fatalf("after sign-out elsewhere: %d remembered devices (%d current), want this one only: %+v", remembered, current, list)
	}
	if got := do(h, "GET", "/me", aRem).Body.String(); got != "u" {
		t.Fatalf("this device's token no longer restores (%q)", got)
	}
	if got := do(h, "GET", "/me", bRem).Body.String(); got != "" {
		t.Fatalf("the other device's token still restores (%q)", got)
	}
}

// The User-Agent is read when a session or a remember token is created: a
// remembered device and a session restored from it list the agent of the
// request that made each.
func TestRememberKeepsUserAgent(t *testing.T) {
	var list []sesh.SessionInfo
	h := rememberRoutes(t, &list)
	send := func(path, agent string, cookies ...string) http.Header {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("User-Agent", agent)
		for _, c := range cookies {
			r.Header.Add("Cookie", c)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Header()
	}
	rem := "__Host-remember=" + cookieValue(t, send("/login", "laptop"), "__Host-remember")
	// The remember cookie alone (the browser was closed) restores a new
	// session, made by a request with another agent.
	sess := cn + "=" + cookieValue(t, send("/", "laptop, restarted", rem), cn)
	send("/list", "ignored", sess)
	agents := map[string]bool{}
	for _, in := range list {
		agents[fmt.Sprintf("remembered=%v %s", in.Remembered, in.UserAgent)] = true
	}
	for _, want := range []string{"remembered=true laptop", "remembered=false laptop, restarted"} {
		if !agents[want] {
			t.Fatalf("UserSessions has no %q: %+v", want, list)
		}
	}
}
