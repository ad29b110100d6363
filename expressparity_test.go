package sesh_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/cookie"
	"github.com/sesh-go/sesh/memstore"
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

// Config.CookieFor is express-session's cookie option as a function of
// req: the attributes, the lifetime and the Path gate follow it per
// request; an invalid result fails the request before the handler runs.
func TestCookieFor(t *testing.T) {
	var calls int
	e := newEnv(t, func(c *sesh.Config) {
		c.Cookie.Name = "s"
		c.CookieFor = func(r *http.Request, ck *sesh.CookieConfig) {
			calls++
			switch r.URL.Query().Get("mode") {
			case "rename":
				ck.Name = "other"
			case "none":
				ck.SameSite = http.SameSiteNoneMode
				ck.Secure = sesh.SecureNever
			case "remember":
				ck.MaxAge = time.Hour
			}
			ck.Path = r.URL.Path
			if r.URL.Query().Get("plain") != "" {
				ck.Secure = sesh.SecureNever
			}
		}
	})
	ran := false
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ran = true
		sesh.From(r.Context()).Set("k", 1)
	}))
	w := do(h, "GET", "/test?plain=1")
	line := w.Header().Get("Set-Cookie")
	if calls != 1 || !strings.Contains(line, "Path=/test") || strings.Contains(line, "Secure") || !strings.Contains(line, "HttpOnly") || strings.Contains(line, "Max-Age") {
		t.Fatalf("calls %d, Set-Cookie %q", calls, line)
	}
	if line = do(h, "GET", "/in/a?mode=remember").Header().Get("Set-Cookie"); !strings.Contains(line, "Path=/in/a") || !strings.Contains(line, "Max-Age=3600") || !strings.Contains(line, "Secure") {
		t.Fatalf("per-request lifetime: %q", line)
	}
	for _, mode := range []string{"rename", "none"} {
		ran = false
		w := do(h, "GET", "/x?mode="+mode)
		if ran || w.Code != http.StatusInternalServerError || len(w.Header().Values("Set-Cookie")) != 0 {
			t.Fatalf("%s: handler ran %v, %d %q", mode, ran, w.Code, w.Header().Values("Set-Cookie"))
		}
	}
	r := httptest.NewRequest("GET", "/x?mode=none", nil)
	if _, err := e.m.LoadRequest(r); !errors.Is(err, sesh.ErrConfig) {
		t.Fatalf("LoadRequest with an invalid CookieFor result: %v", err)
	}
	r = httptest.NewRequest("GET", "/y?mode=remember", nil)
	s, err := e.m.LoadRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	s.Set("k", 1)
	if line, err := e.m.Commit(t.Context(), s); err != nil || !strings.Contains(line, "Path=/y") || !strings.Contains(line, "Max-Age=3600") {
		t.Fatalf("LoadRequest + Commit: %q %v", line, err)
	}
}

// cookieRecorder is a CookieCodec that notes what the Manager tells it.
type cookieRecorder struct {
	sesh.JSONCodec
	got []sesh.CommitCookie
}

func (c *cookieRecorder) EncodeCookie(dst []byte, d *sesh.Data, ck *sesh.CommitCookie) ([]byte, error) {
	c.got = append(c.got, *ck)
	return c.Encode(dst, d)
}

// A CookieCodec is told the cookie each commit sends: the attributes as
// resolved for the request, the lifetime, a CommitWith expiry and the
// Manager's clock.
func TestCookieCodecSeesTheCommittedCookie(t *testing.T) {
	rec := &cookieRecorder{}
	e := newEnv(t, func(c *sesh.Config) {
		c.Codec = rec
		c.TrustProxy = true
		c.Cookie.Secure = sesh.SecureAuto
		c.Cookie.SameSite = sesh.SameSiteAuto
		c.Cookie.Priority = cookie.PriorityHigh
		c.Cookie.MaxAge = time.Hour
	})
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		s.Set("k", r.URL.Path)
		if r.URL.Path == "/remember" {
			s.Persist(48 * time.Hour)
		}
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Forwarded-Proto", "https")
	h.ServeHTTP(httptest.NewRecorder(), r)
	do(h, "GET", "/remember")
	if len(rec.got) != 2 {
		t.Fatalf("%d EncodeCookie calls, want 2", len(rec.got))
	}
	a, b := rec.got[0], rec.got[1]
	if !a.Attrs.Secure || a.Attrs.SameSite != cookie.SameSiteNone || a.Attrs.Priority != cookie.PriorityHigh ||
		!a.Attrs.HttpOnly || a.Attrs.Path != "/" || a.Lifetime != time.Hour || !a.Expires.IsZero() || !a.Now.Equal(e.clock.Now()) {
		t.Fatalf("over https: %+v", a)
	}
	if b.Attrs.Secure || b.Attrs.SameSite != cookie.SameSiteLax || b.Lifetime != 48*time.Hour {
		t.Fatalf("plain, remembered: %+v", b)
	}
	s, err := e.m.Load(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	s.Set("k", 1)
	until := e.clock.Now().Add(10 * time.Minute)
	if _, err := e.m.CommitWith(t.Context(), s, sesh.CommitOptions{Expires: until}); err != nil {
		t.Fatal(err)
	}
	if c := rec.got[len(rec.got)-1]; !c.Expires.Equal(until) {
		t.Fatalf("CommitWith's expiry: %+v", c)
	}
}

// noExpiryStore reads a record as a peer left it without an expiry (as
// connect-redis with disableTTL does) until something writes or touches it.
type noExpiryStore struct {
	*memstore.Store
	stripped bool // Get still hides the expiry
	touches  int
}

func (s *noExpiryStore) Get(ctx context.Context, key string) (sesh.Record, error) {
	rec, err := s.Store.Get(ctx, key)
	if s.stripped {
		rec.Expires = time.Time{}
	}
	return rec, err
}

func (s *noExpiryStore) Touch(ctx context.Context, key string, exp time.Time) error {
	s.touches++
	s.stripped = false
	return s.Store.Touch(ctx, key, exp)
}

func (s *noExpiryStore) Swap(ctx context.Context, key string, rec sesh.Record) (int64, error) {
	s.stripped = false
	return s.Store.Swap(ctx, key, rec)
}

// A stored session without an expiry gets sesh's idle deadline at the first
// request that reads it, unmodified as it is: every session expires.
func TestRecordWithoutExpiryGetsDeadline(t *testing.T) {
	clock := newClock()
	st := &noExpiryStore{Store: memstore.New(memstore.Options{Now: clock.Now})}
	t.Cleanup(func() { st.Close() })
	m, err := sesh.New(sesh.Config{Store: st, Now: clock.Now, Cookie: sesh.CookieConfig{Name: "s"}})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		if r.URL.Path == "/set" {
			s.Set("k", 1)
		} else {
			sesh.Get[int](s, "k")
		}
	}))
	id := cookieValue(t, do(h, "GET", "/set").Header(), "s")
	st.stripped = true
	do(h, "GET", "/", "s="+id)
	if st.stripped {
		t.Fatal("a record without an expiry was read and left without one")
	}
	rec, err := st.Store.Get(t.Context(), sesh.HashID(id))
	if err != nil || !rec.Expires.Equal(clock.Now().Add(sesh.DefaultIdleTimeout)) {
		t.Fatalf("record expiry %v (%v), want now + idle timeout", rec.Expires, err)
	}
	// With its expiry back, the next request is throttled as usual.
	n := st.touches
	do(h, "GET", "/", "s="+id)
	if st.touches != n {
		t.Fatal("an unmodified session with an expiry was touched again at once")
	}
}

// CommitWith on an unmodified session rewrites the record when the codec
// records the cookie, so the recorded cookie carries the new lifetime.
func TestCommitWithRewritesCookieRecord(t *testing.T) {
	rec := &cookieRecorder{}
	e := newEnv(t, func(c *sesh.Config) { c.Codec = rec })
	s, _ := e.m.Load(t.Context(), "")
	s.Set("k", 1)
	line, err := e.m.Commit(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	s, err = e.m.Load(t.Context(), strings.SplitN(line, ";", 2)[0])
	if err != nil || s.Status() != sesh.StatusUnmodified {
		t.Fatalf("load: %v %v", err, s.Status())
	}
	e.spy.reset()
	until := e.clock.Now().Add(5 * time.Minute)
	if _, err := e.m.CommitWith(t.Context(), s, sesh.CommitOptions{Expires: until}); err != nil {
		t.Fatal(err)
	}
	if e.spy.writes() != 1 || !rec.got[len(rec.got)-1].Expires.Equal(until) {
		t.Fatalf("%d writes, last cookie %+v", e.spy.writes(), rec.got[len(rec.got)-1])
	}
}
