package sesh_test

import (
	"context"
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

func TestPolicyTable(t *testing.T) {
	noop := func(w http.ResponseWriter, r *http.Request) { sesh.From(r.Context()).Has("x") }
	untouched := func(w http.ResponseWriter, r *http.Request) {}
	clear := func(w http.ResponseWriter, r *http.Request) { sesh.From(r.Context()).Clear() }
	type want struct {
		cookie bool  // a Set-Cookie for the session
		expire bool  // ... that expires it
		writes int64 // store writes (Set/Swap/Touch/Delete)
	}
	cases := []struct {
		name     string
		cfg      func(*sesh.Config)
		existing bool
		handler  http.HandlerFunc
		want     want
	}{
		{"default/new/untouched", nil, false, untouched, want{}},
		{"default/new/read", nil, false, noop, want{}},
		{"default/new/set", nil, false, counter, want{cookie: true, writes: 1}},
		{"default/existing/read", nil, true, noop, want{}},
		{"default/existing/set", nil, true, counter, want{writes: 1}},
		{"saveUninitialized/new/untouched", func(c *sesh.Config) { c.SaveUninitialized = true }, false, untouched, want{cookie: true, writes: 1}},
		{"saveUninitialized/new/read", func(c *sesh.Config) { c.SaveUninitialized = true }, false, noop, want{cookie: true, writes: 1}},
		{"resave/existing/read", func(c *sesh.Config) { c.Resave = true }, true, noop, want{writes: 1}},
		{"resave/new/read", func(c *sesh.Config) { c.Resave = true }, false, noop, want{}},
		{"rolling/existing/read", func(c *sesh.Config) { c.Rolling = true }, true, noop, want{cookie: true}},
		{"rolling/existing/set", func(c *sesh.Config) { c.Rolling = true }, true, counter, want{cookie: true, writes: 1}},
		{"rolling/new/read", func(c *sesh.Config) { c.Rolling = true }, false, noop, want{}},
		{"persistent/existing/set", func(c *sesh.Config) { c.Cookie.MaxAge = time.Hour }, true, counter, want{cookie: true, writes: 1}},
		{"persistent/existing/read", func(c *sesh.Config) { c.Cookie.MaxAge = time.Hour }, true, noop, want{}},
		{"unsetKeep/existing/clear", nil, true, clear, want{writes: 1}},
		{"unsetDestroy/existing/clear", func(c *sesh.Config) { c.Unset = sesh.UnsetDestroy }, true, clear, want{cookie: true, expire: true, writes: 1}},
		{"unsetDestroy/existing/set", func(c *sesh.Config) { c.Unset = sesh.UnsetDestroy }, true, counter, want{writes: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.cfg)
			var cookies []string
			if tc.existing {
				cookies = append(cookies, cn+"="+cookieValue(t, do(e.m.Handler(http.HandlerFunc(counter)), "GET", "/").Header(), cn))
			}
			e.spy.reset()
			w := do(e.m.Handler(tc.handler), "GET", "/", cookies...)
			lines := sessionCookies(w.Header(), cn)
			if got := len(lines) == 1; got != tc.want.cookie {
				t.Fatalf("cookie sent = %v, want %v (%q)", got, tc.want.cookie, lines)
			}
			if tc.want.cookie && strings.Contains(lines[0], "Max-Age=0") != tc.want.expire {
				t.Fatalf("cookie %q: expire = %v", lines[0], tc.want.expire)
			}
			if got := e.spy.writes(); got != tc.want.writes {
				t.Fatalf("store writes = %d, want %d", got, tc.want.writes)
			}
			if len(lines) == 1 && w.Header().Get("Cache-Control") != "no-store" {
				t.Fatal("Set-Cookie without Cache-Control: no-store")
			}
		})
	}
}

func TestSecureAuto(t *testing.T) {
	cases := []struct {
		name   string
		trust  bool
		tls    bool
		header string
		secure bool
	}{
		{"plain", false, false, "", false},
		{"tls", false, true, "", true},
		{"proxy header untrusted", false, false, "https", false},
		{"proxy header trusted", true, false, "https", true},
		{"proxy list trusted", true, false, "https, http", true},
		{"proxy says http", true, false, "http", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *sesh.Config) { c.TrustProxy = tc.trust; c.Cookie.Secure = sesh.SecureAuto })
			r := httptest.NewRequest("GET", "/", nil)
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if tc.header != "" {
				r.Header.Set("X-Forwarded-Proto", tc.header)
			}
			w := httptest.NewRecorder()
			e.m.Handler(http.HandlerFunc(counter)).ServeHTTP(w, r)
			line := sessionCookies(w.Header(), "session")[0]
			if got := strings.Contains(line, "; Secure"); got != tc.secure {
				t.Fatalf("Secure = %v, want %v: %q", got, tc.secure, line)
			}
		})
	}
}

func TestStoreFailureOnLoad(t *testing.T) {
	for _, lazy := range []bool{false, true} {
		t.Run(map[bool]string{false: "eager", true: "lazy"}[lazy], func(t *testing.T) {
			e := newEnv(t, func(c *sesh.Config) { c.LazyLoad = lazy })
			id := cookieValue(t, do(routes(e.m), "GET", "/login").Header(), cn)
			e.spy.failGet.Store(true)
			ran := false
			h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ran = true
				s := sesh.From(r.Context())
				if u, ok := sesh.Get[string](s, "user"); ok {
					t.Errorf("handler saw user %q from a failed load", u)
				}
				if !errors.Is(s.Err(), errInjected) {
					t.Errorf("Err() = %v", s.Err())
				}
				must(t, nil)
				if err := s.Set("x", 1); err == nil {
					t.Error("Set on a failed session succeeded")
				}
				w.Header().Set("Location", "/secret")
				io.WriteString(w, "secret page")
			}))
			w := do(h, "GET", "/", cn+"="+id)
			if w.Code != 500 || strings.Contains(w.Body.String(), "secret") || w.Header().Get("Location") != "" {
				t.Fatalf("code %d body %q", w.Code, w.Body.String())
			}
			if ran != lazy {
				t.Fatalf("handler ran = %v with LazyLoad = %v", ran, lazy)
			}
			if len(w.Header().Values("Set-Cookie")) != 0 {
				t.Fatal("Set-Cookie on a failed load: the client's cookie must be left alone")
			}
			e.spy.failGet.Store(false)
			if got := do(routes(e.m), "GET", "/me", cn+"="+id).Body.String(); got != "alice" {
				t.Fatalf("session lost after the outage: %q", got)
			}
		})
	}
}

func TestStoreFailureOnSave(t *testing.T) {
	e := newEnv(t, nil)
	e.spy.failSet.Store(true)
	var werr error
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		must(t, sesh.From(r.Context()).Set("a", 1))
		w.Header().Set("Content-Type", "application/json")
		_, werr = io.WriteString(w, `{"ok":true}`)
	}))
	w := do(h, "GET", "/")
	if w.Code != 500 || strings.Contains(w.Body.String(), "ok") {
		t.Fatalf("code %d body %q", w.Code, w.Body.String())
	}
	if len(w.Header().Values("Set-Cookie")) != 0 {
		t.Fatal("Set-Cookie points at an uncommitted record")
	}
	if werr == nil {
		t.Fatal("the handler's Write reported success after the response was replaced")
	}
	// Also when the handler writes nothing.
	h2 := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		must(t, sesh.From(r.Context()).Set("a", 1))
	}))
	w = do(h2, "GET", "/")
	if w.Code != 500 || len(w.Header().Values("Set-Cookie")) != 0 {
		t.Fatalf("silent handler: code %d cookies %v", w.Code, w.Header().Values("Set-Cookie"))
	}
	// Custom ErrorHandler sees the error.
	var seen error
	e2 := newEnv(t, func(c *sesh.Config) {
		c.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			seen = err
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	e2.spy.failSet.Store(true)
	w = do(e2.m.Handler(http.HandlerFunc(counter)), "GET", "/")
	if w.Code != 503 || !errors.Is(seen, errInjected) {
		t.Fatalf("custom handler: code %d err %v", w.Code, seen)
	}
}

func TestStoreCallsUseRequestContext(t *testing.T) {
	e := newEnv(t, nil)
	id := cookieValue(t, do(routes(e.m), "GET", "/count").Header(), cn)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
	r.Header.Set("Cookie", cn+"="+id)
	w := httptest.NewRecorder()
	e.m.Handler(http.HandlerFunc(counter)).ServeHTTP(w, r)
	if w.Code != 500 {
		t.Fatalf("cancelled request context: code %d, want the store's ctx error to fail closed", w.Code)
	}
}

func TestConfigValidation(t *testing.T) {
	store := newEnv(t, nil).mem
	bad := map[string]sesh.Config{
		"no store":               {},
		"name not a token":       {Store: store, Cookie: sesh.CookieConfig{Name: "sess id"}},
		"name with semicolon":    {Store: store, Cookie: sesh.CookieConfig{Name: "a;b"}},
		"path with CRLF":         {Store: store, Cookie: sesh.CookieConfig{Path: "/\r\nX: y"}},
		"domain with semicolon":  {Store: store, Cookie: sesh.CookieConfig{Domain: "a.com;x"}},
		"SameSite=None insecure": {Store: store, Cookie: sesh.CookieConfig{SameSite: http.SameSiteNoneMode, Secure: sesh.SecureAuto}},
		"SameSite=None auto":     {Store: store, Cookie: sesh.CookieConfig{SameSite: http.SameSiteNoneMode, Secure: sesh.SecureAuto}},
		"Partitioned insecure":   {Store: store, Cookie: sesh.CookieConfig{Partitioned: true, Secure: sesh.SecureNever}},
		"__Host- with Domain":    {Store: store, Cookie: sesh.CookieConfig{Name: "__Host-s", Domain: "a.com", Secure: sesh.SecureAlways}},
		"__host- with Path":      {Store: store, Cookie: sesh.CookieConfig{Name: "__host-s", Path: "/app", Secure: sesh.SecureAlways}},
		"__HOST- auto secure":    {Store: store, Cookie: sesh.CookieConfig{Name: "__HOST-s", Secure: sesh.SecureAuto}},
		"__Secure- never secure": {Store: store, Cookie: sesh.CookieConfig{Name: "__Secure-s", Secure: sesh.SecureNever}},
		"both timeouts off":      {Store: store, IdleTimeout: sesh.NoTimeout, AbsoluteTimeout: sesh.NoTimeout},
		"negative timeout":       {Store: store, IdleTimeout: -5 * time.Second},
		"negative max age":       {Store: store, Cookie: sesh.CookieConfig{MaxAge: -time.Second}},
		"GenID without ValidID":  {Store: store, GenID: func() string { return "x" }},
		"ValidID rejects GenID":  {Store: store, GenID: func() string { return "abc" }, ValidID: func(string) bool { return false }},
		"StoreKey invalid":       {Store: store, StoreKey: func(id string) string { return "../" + id }},
		"unknown unset":          {Store: store, Unset: 9},
		"unknown secure mode":    {Store: store, Cookie: sesh.CookieConfig{Secure: 9}},
		"unknown SameSite":       {Store: store, Cookie: sesh.CookieConfig{SameSite: 42}},
	}
	for name, cfg := range bad {
		t.Run(name, func(t *testing.T) {
			m, err := sesh.New(cfg)
			if err == nil || m != nil {
				t.Fatalf("New accepted %s", name)
			}
			if !errors.Is(err, sesh.ErrConfig) {
				t.Fatalf("error %v does not wrap ErrConfig", err)
			}
		})
	}
	good := []sesh.Config{
		{Store: store},
		{Store: store, Cookie: sesh.CookieConfig{Name: "__Host-session", Secure: sesh.SecureAlways}},
		{Store: store, Cookie: sesh.CookieConfig{Name: "__Secure-s", Secure: sesh.SecureAlways, Domain: "example.com"}},
		{Store: store, Cookie: sesh.CookieConfig{SameSite: http.SameSiteNoneMode, Secure: sesh.SecureAlways, Partitioned: true}},
		{Store: store, IdleTimeout: sesh.NoTimeout},
	}
	for i, cfg := range good {
		if _, err := sesh.New(cfg); err != nil {
			t.Errorf("good config %d rejected: %v", i, err)
		}
	}
}

// A record the store cannot read back is treated as absent: the request
// gets a new, working session instead of an error, and the event is logged.
func TestCorruptRecordStartsNewSession(t *testing.T) {
	e := newEnv(t, nil)
	h := routes(e.m)
	id := cookieValue(t, do(h, "GET", "/login").Header(), cn)
	e.spy.corruptGet.Store(true)
	w := do(h, "GET", "/count", cn+"="+id)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d for a corrupt record, want 200", w.Code)
	}
	fresh := cookieValue(t, w.Header(), cn)
	if fresh == "" || fresh == id {
		t.Fatalf("no new session for a corrupt record: cookie %q", fresh)
	}
	if !strings.Contains(e.logs.String(), "corrupt session record") {
		t.Fatalf("corrupt record not logged:\n%s", e.logs.String())
	}
}
