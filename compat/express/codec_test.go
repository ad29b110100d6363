package express

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/cookie"
	"github.com/sesh-go/sesh/memstore"
)

// clock is a settable clock shared by a Manager and its memstore.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// rig is a Manager configured by Configure over a memstore.
type rig struct {
	t     *testing.T
	clock *clock
	st    *memstore.Store
	m     *Manager
}

// Manager is sesh.Manager (a shorter name for the tests).
type Manager = sesh.Manager

func newRig(t *testing.T, mod func(*sesh.Config)) *rig {
	t.Helper()
	r := &rig{t: t, clock: &clock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}}
	r.st = memstore.New(memstore.Options{Now: r.clock.Now})
	t.Cleanup(func() { r.st.Close() })
	cfg := sesh.Config{Store: r.st, Now: r.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if mod != nil {
		mod(&cfg)
	}
	if err := ConfigureWith(&cfg, SecretOptions{AllowShortSecrets: true}, []byte("keyboard cat")); err != nil {
		t.Fatal(err)
	}
	m, err := sesh.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.m = m
	return r
}

// record returns the stored JSON of the session whose Set-Cookie is line.
func (r *rig) record(id string) map[string]json.RawMessage {
	r.t.Helper()
	rec, err := r.st.Get(context.Background(), id)
	if err != nil {
		r.t.Fatalf("stored record: %v", err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(rec.Data, &top); err != nil {
		r.t.Fatal(err)
	}
	return top
}

// put rewrites the stored record of id as a Node app would, keeping its
// expiry.
func (r *rig) put(id string, top map[string]json.RawMessage) {
	r.t.Helper()
	rec, err := r.st.Get(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	b, _ := json.Marshal(top)
	if err := r.st.Set(context.Background(), id, sesh.Record{Data: b, Expires: rec.Expires}); err != nil {
		r.t.Fatal(err)
	}
}

func cookieObject(t *testing.T, top map[string]json.RawMessage) map[string]any {
	t.Helper()
	var c map[string]any
	if err := json.Unmarshal(top["cookie"], &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// idOf reads the session ID out of an express Set-Cookie line.
func idOf(t *testing.T, line string) string {
	t.Helper()
	v, _, _ := strings.Cut(strings.TrimPrefix(line, DefaultCookieName+"="), ";")
	cv, _ := NewCookieValueWith(SecretOptions{AllowShortSecrets: true}, []byte("keyboard cat"))
	id, ok := cv.DecodeID(unescape(t, v))
	if !ok {
		t.Fatalf("Set-Cookie %q does not carry a signed ID", line)
	}
	return id
}

func serve(h http.Handler, path, cookieLine string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", path, nil)
	if cookieLine != "" {
		v, _, _ := strings.Cut(cookieLine, ";")
		r.Header.Set("Cookie", v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// The Node app's req.session.cookie.maxAge is the truth for the cookie's
// lifetime: a Go write keeps what Node set last (remember me, then back to
// a browser-session cookie), even over a "__sesh" an older sesh wrote with
// its own lifetime in it.
func TestPeerLifetimeSurvivesGoWrite(t *testing.T) {
	r := newRig(t, func(c *sesh.Config) {
		c.Cookie.MaxAge = time.Hour
		c.IdleTimeout = time.Hour
		c.AbsoluteTimeout = 30 * 24 * time.Hour
	})
	h := r.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s := sesh.From(req.Context())
		n, _ := sesh.Get[int](s, "n")
		s.Set("n", n+1)
	}))
	first := serve(h, "/", "").Header().Get("Set-Cookie")
	id := idOf(t, first)
	if c := cookieObject(t, r.record(id)); c["originalMaxAge"] != 3600000.0 {
		t.Fatalf("Go's own lifetime: %v", c)
	}

	// Node: req.session.cookie.maxAge = one week, saved (and an older sesh's
	// "__sesh" still saying one hour).
	week := 7 * 24 * time.Hour
	top := r.record(id)
	top["cookie"] = json.RawMessage(`{"originalMaxAge":604800000,"expires":"` + r.clock.Now().Add(week).UTC().Format(jsDate) + `","httpOnly":true,"path":"/"}`)
	top["__sesh"] = json.RawMessage(`{"c":` + jsonInt(r.clock.Now().UnixMilli()) + `,"p":3600000}`)
	r.put(id, top)

	r.clock.Advance(time.Minute)
	line := serve(h, "/", first).Header().Get("Set-Cookie")
	if !strings.Contains(line, "Expires="+r.clock.Now().Add(week).UTC().Format(http.TimeFormat)) {
		t.Fatalf("Go's cookie after Node's remember-me: %q", line)
	}
	c := cookieObject(t, r.record(id))
	if c["originalMaxAge"] != float64(week.Milliseconds()) || c["expires"] != r.clock.Now().Add(week).UTC().Format(jsDate) {
		t.Fatalf("Go's write reverted Node's lifetime: %v", c)
	}
	if strings.Contains(string(r.record(id)["__sesh"]), `"p"`) {
		t.Fatalf("__sesh still carries a lifetime: %s", r.record(id)["__sesh"])
	}

	// Node: req.session.cookie.maxAge = null (a browser-session cookie).
	top = r.record(id)
	top["cookie"] = json.RawMessage(`{"originalMaxAge":null,"expires":null,"httpOnly":true,"path":"/"}`)
	r.put(id, top)
	w := serve(h, "/", first)
	if got := w.Header().Values("Set-Cookie"); len(got) != 0 {
		t.Fatalf("a modified browser-session session re-sent its cookie: %q", got)
	}
	if c := cookieObject(t, r.record(id)); c["originalMaxAge"] != nil || c["expires"] != nil {
		t.Fatalf("Go's write made Node's browser-session cookie persistent again: %v", c)
	}
	// Go itself asks for the configured lifetime again.
	h2 := r.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		sesh.From(req.Context()).Persist(0)
	}))
	serve(h2, "/", first)
	if c := cookieObject(t, r.record(id)); c["originalMaxAge"] != 3600000.0 {
		t.Fatalf("Persist(0) after Node's null: %v", c)
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// The record's cookie object describes the cookie sesh sends: Partitioned
// and Priority included, in express-session's field order, and an absolute
// expiry from CommitWith recorded as Node records cookie.expires = date.
func TestRecordedCookieObject(t *testing.T) {
	r := newRig(t, func(c *sesh.Config) {
		c.Cookie.Partitioned = true
		c.Cookie.Priority = cookie.PriorityHigh
		c.Cookie.Domain = "example.com"
		c.Cookie.SameSite = http.SameSiteStrictMode
	})
	s, err := r.m.Load(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	s.Set("k", 1)
	line, err := r.m.Commit(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	id := idOf(t, line)
	want := `{"originalMaxAge":null,"partitioned":true,"priority":"high","expires":null,"secure":true,"httpOnly":true,"domain":"example.com","path":"/","sameSite":"strict"}`
	if got := string(r.record(id)["cookie"]); got != want {
		t.Fatalf("cookie object\n%s\nwant\n%s", got, want)
	}

	until := r.clock.Now().Add(90 * time.Minute)
	s, err = r.m.Load(context.Background(), DefaultCookieName+"="+strings.TrimPrefix(strings.SplitN(line, ";", 2)[0], DefaultCookieName+"="))
	if err != nil || s.Status() != sesh.StatusUnmodified {
		t.Fatalf("reload: %v %v", err, s.Status())
	}
	line, err = r.m.CommitWith(context.Background(), s, sesh.CommitOptions{Expires: until})
	if err != nil || !strings.Contains(line, "Expires="+until.Format(http.TimeFormat)) {
		t.Fatalf("CommitWith: %q %v", line, err)
	}
	c := cookieObject(t, r.record(id))
	if c["expires"] != until.UTC().Format(jsDate) || c["originalMaxAge"] != float64((90*time.Minute).Milliseconds()) {
		t.Fatalf("CommitWith's expiry not recorded: %v", c)
	}
}

// SecureAuto and SameSiteAuto are recorded as resolved for the request, as
// express-session resolves 'auto' for the session it generates.
func TestRecordedAutoAttributes(t *testing.T) {
	r := newRig(t, func(c *sesh.Config) {
		c.Cookie.Secure = sesh.SecureAuto
		c.Cookie.SameSite = sesh.SameSiteAuto
		c.TrustProxy = true
	})
	h := r.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { sesh.From(req.Context()).Set("k", 1) }))
	plain := idOf(t, serve(h, "/", "").Header().Get("Set-Cookie"))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	secure := idOf(t, w.Header().Get("Set-Cookie"))
	if c := cookieObject(t, r.record(plain)); c["secure"] != nil || c["sameSite"] != "lax" {
		t.Fatalf("plain request: %v", c)
	}
	if c := cookieObject(t, r.record(secure)); c["secure"] != true || c["sameSite"] != "none" {
		t.Fatalf("https request: %v", c)
	}
}

// Node's browser-session spellings (expires and originalMaxAge null or
// false) read as one; a lifetime is read to the millisecond.
func TestDecodeLifetimes(t *testing.T) {
	for src, want := range map[string]time.Duration{
		`{"cookie":{"originalMaxAge":false,"expires":false,"httpOnly":true,"path":"/"}}`: sesh.BrowserSession,
		`{"cookie":{"httpOnly":true,"path":"/"}}`:                                        sesh.BrowserSession,
		`{"cookie":{"originalMaxAge":-5000,"expires":"1970-01-01T00:00:00.000Z"}}`:       sesh.BrowserSession,
		`{"cookie":{"originalMaxAge":1999.6}}`:                                           2 * time.Second,
		`{"cookie":{"originalMaxAge":3000000000}}`:                                       3000000 * time.Second,
		`{"cookie":{"originalMaxAge":1e300}}`:                                            time.Duration(maxLifetimeMS) * time.Millisecond,
	} {
		var d sesh.Data
		if err := (Codec{}).Decode([]byte(src), &d); err != nil || d.Persist != want {
			t.Errorf("%s: Persist %v, %v; want %v", src, d.Persist, err, want)
		}
	}
	var d sesh.Data
	err := (Codec{}).Decode([]byte(`{"cookie":{"originalMaxAge":true}}`), &d)
	if !errors.Is(err, sesh.ErrDecode) {
		t.Fatalf("originalMaxAge true: %v", err)
	}
}
