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
)

// login stores a user after regenerating, as a sign-in handler should.
func login(w http.ResponseWriter, r *http.Request) {
	s := sesh.From(r.Context())
	s.Regenerate()
	if err := s.Set("user", "alice"); err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	s.SetUserID("alice")
	io.WriteString(w, "welcome")
}

func whoami(w http.ResponseWriter, r *http.Request) {
	u, _ := sesh.Get[string](sesh.From(r.Context()), "user")
	io.WriteString(w, u)
}

func logout(w http.ResponseWriter, r *http.Request) {
	sesh.From(r.Context()).Destroy()
	io.WriteString(w, "bye")
}

func routes(m *sesh.Manager) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/count", counter)
	mux.HandleFunc("/login", login)
	mux.HandleFunc("/me", whoami)
	mux.HandleFunc("/logout", logout)
	return m.Handler(mux)
}

func TestRegenerateDefeatsFixation(t *testing.T) {
	e := newEnv(t, nil)
	h := routes(e.m)
	s0 := cookieValue(t, do(h, "GET", "/count").Header(), cn)
	e.clock.Advance(time.Minute)
	w := do(h, "GET", "/login", cn+"="+s0)
	s1 := cookieValue(t, w.Header(), cn)
	if s1 == s0 {
		t.Fatal("ID unchanged by Regenerate")
	}
	ctx := context.Background()
	// The old key holds a tombstone (no data) for in-flight requests, or
	// nothing at all.
	if rec, err := e.mem.Get(ctx, sesh.HashID(s0)); err == nil && len(rec.Data) != 0 {
		t.Fatalf("old record still holds data: %q", rec.Data)
	} else if err != nil && !errors.Is(err, sesh.ErrNotFound) {
		t.Fatal(err)
	}
	if got := do(h, "GET", "/me", cn+"="+s0).Body.String(); got != "" {
		t.Fatalf("old ID still authenticates as %q", got)
	}
	if got := do(h, "GET", "/me", cn+"="+s1).Body.String(); got != "alice" {
		t.Fatalf("new ID reads %q", got)
	}
	// Data carried over, and the absolute deadline was not reset.
	if got := do(h, "GET", "/count", cn+"="+s1).Body.String(); got != "2" {
		t.Fatalf("counter after regenerate = %q, want 2", got)
	}
	s, err := e.m.Load(ctx, cn+"="+s1)
	must(t, err)
	if !s.Meta().Created.Equal(e.clock.Now().Add(-time.Minute)) {
		t.Fatalf("Created moved on Regenerate: %v", s.Meta().Created)
	}
}

func TestDestroyAndReplay(t *testing.T) {
	e := newEnv(t, func(c *sesh.Config) {
		c.Cookie.Secure = sesh.SecureAlways
		c.Cookie.Partitioned = true
		c.Cookie.Path = "/"
		c.Cookie.Domain = "example.com"
	})
	h := routes(e.m)
	// A Domain rules out __Host-: the default name is then "session".
	id := cookieValue(t, do(h, "GET", "/login").Header(), "session")
	w := do(h, "GET", "/logout", "session="+id)
	lines := sessionCookies(w.Header(), "session")
	if len(lines) != 1 {
		t.Fatalf("logout Set-Cookie: %q", lines)
	}
	for _, want := range []string{"session=;", "Path=/", "Domain=example.com", "Secure", "Partitioned", "Max-Age=0", "Expires=Thu, 01 Jan 1970 00:00:00 GMT", "HttpOnly"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("expiring cookie %q lacks %q", lines[0], want)
		}
	}
	if _, err := e.mem.Get(context.Background(), sesh.HashID(id)); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatal("record survives Destroy")
	}
	// Replay of the captured cookie: anonymous, and not re-adopted.
	w = do(h, "GET", "/me", cn+"="+id)
	if w.Body.String() != "" || len(w.Header().Values("Set-Cookie")) != 0 {
		t.Fatalf("replay after logout: body %q, cookies %v", w.Body.String(), w.Header().Values("Set-Cookie"))
	}
}

func TestDestroyThenSetStartsFreshSession(t *testing.T) {
	e := newEnv(t, nil)
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		s.Destroy()
		must(t, s.Flash("notice", "signed out"))
	}))
	id := cookieValue(t, do(routes(e.m), "GET", "/login").Header(), cn)
	w := do(h, "GET", "/", cn+"="+id)
	nid := cookieValue(t, w.Header(), cn)
	if nid == id || nid == "" {
		t.Fatalf("new cookie %q", nid)
	}
	if _, err := e.mem.Get(context.Background(), sesh.HashID(id)); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatal("old record survives")
	}
	s, _ := e.m.Load(context.Background(), cn+"="+nid)
	if v, _ := sesh.Get[string](s, "notice"); v != "signed out" || s.Has("user") {
		t.Fatalf("fresh session: notice %q, has user %v", v, s.Has("user"))
	}
}

func TestIdleTimeout(t *testing.T) {
	e := newEnv(t, func(c *sesh.Config) { c.IdleTimeout = 30 * time.Minute })
	h := routes(e.m)
	id := cookieValue(t, do(h, "GET", "/login").Header(), cn)
	for i := 0; i < 5; i++ { // active every 29 minutes: the idle deadline slides
		e.clock.Advance(29 * time.Minute)
		if got := do(h, "GET", "/me", cn+"="+id).Body.String(); got != "alice" {
			t.Fatalf("after %d×29m: %q", i+1, got)
		}
	}
	e.clock.Advance(31 * time.Minute)
	if got := do(h, "GET", "/me", cn+"="+id).Body.String(); got != "" {
		t.Fatalf("after 31m idle: still %q", got)
	}
}

func TestAbsoluteTimeout(t *testing.T) {
	e := newEnv(t, func(c *sesh.Config) {
		c.IdleTimeout = 30 * time.Minute
		c.AbsoluteTimeout = 2 * time.Hour
	})
	h := routes(e.m)
	id := cookieValue(t, do(h, "GET", "/login").Header(), cn)
	for e.clock.Advance(15 * time.Minute); ; e.clock.Advance(15 * time.Minute) {
		got := do(h, "GET", "/count", cn+"="+id)
		if e.clock.Now().Sub(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) >= 2*time.Hour {
			if got.Body.String() != "1" {
				t.Fatalf("at the absolute deadline the session lives on (count %s)", got.Body.String())
			}
			break
		}
		// Regenerate must not reset the absolute deadline.
		w := do(h, "GET", "/login", cn+"="+id)
		id = cookieValue(t, w.Header(), cn)
	}
}

func TestExpiryIsServerSide(t *testing.T) {
	// A record still present in the store past the session's absolute
	// deadline (as a lazy engine would keep it) is not loaded, and is deleted.
	e := newEnv(t, func(c *sesh.Config) { c.IdleTimeout = sesh.NoTimeout; c.AbsoluteTimeout = time.Hour })
	h := routes(e.m)
	id := cookieValue(t, do(h, "GET", "/login").Header(), cn)
	ctx := context.Background()
	rec, err := e.mem.Get(ctx, sesh.HashID(id))
	must(t, err)
	rec.Expires = e.clock.Now().Add(100 * time.Hour) // the engine would keep it
	must(t, e.mem.Set(ctx, sesh.HashID(id), rec))
	e.clock.Advance(61 * time.Minute)
	if got := do(h, "GET", "/me", cn+"="+id).Body.String(); got != "" {
		t.Fatalf("expired session loaded: %q", got)
	}
	if _, err := e.mem.Get(ctx, sesh.HashID(id)); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatal("expired record not deleted")
	}
}

func TestPersistentCookie(t *testing.T) {
	e := newEnv(t, func(c *sesh.Config) {
		c.Cookie.MaxAge = 7 * 24 * time.Hour
		c.AbsoluteTimeout = 48 * time.Hour
	})
	w := do(routes(e.m), "GET", "/count")
	c, err := http.ParseSetCookie(sessionCookies(w.Header(), cn)[0])
	must(t, err)
	// Capped at the remaining absolute lifetime, Max-Age and Expires agree.
	if c.MaxAge != 48*3600 {
		t.Fatalf("Max-Age = %d, want %d", c.MaxAge, 48*3600)
	}
	if !c.Expires.Equal(e.clock.Now().Add(48 * time.Hour)) {
		t.Fatalf("Expires = %v", c.Expires)
	}
	// Per-session "remember me".
	e2 := newEnv(t, nil)
	h := e2.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		must(t, s.Set("u", 1))
		s.Persist(time.Hour)
	}))
	c, err = http.ParseSetCookie(sessionCookies(do(h, "GET", "/").Header(), cn)[0])
	must(t, err)
	if c.MaxAge != 3600 {
		t.Fatalf("remember-me Max-Age = %d", c.MaxAge)
	}
}

func TestExplicitAPI(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	s, err := e.m.Load(ctx, "")
	must(t, err)
	must(t, s.Set("theme", "dark"))
	must(t, s.Flash("msg", "saved"))
	sc, err := e.m.Commit(ctx, s)
	must(t, err)
	if !strings.HasPrefix(sc, cn+"=") || !strings.Contains(sc, "HttpOnly") {
		t.Fatalf("Commit cookie %q", sc)
	}
	if !strings.Contains(sc, "Secure") {
		t.Fatalf("header-only load under SecureAuto must yield a Secure cookie: %q", sc)
	}
	header := sc[:strings.IndexByte(sc, ';')]

	s2, err := e.m.Load(ctx, "a=b; "+header)
	must(t, err)
	if v, _ := sesh.Get[string](s2, "msg"); v != "saved" {
		t.Fatalf("flash = %q", v)
	}
	sc2, err := e.m.Commit(ctx, s2) // consumes the flash; cookie unchanged
	must(t, err)
	if sc2 != "" {
		t.Fatalf("re-commit of an existing session sent a cookie: %q", sc2)
	}
	s3, _ := e.m.Load(ctx, header)
	if s3.Has("msg") || !s3.Has("theme") {
		t.Fatal("flash not consumed by commit, or theme lost")
	}

	// LoadID (Astro's session.load) and its refusal of unknown IDs.
	id := header[len(cn+"="):]
	s4, err := e.m.LoadID(ctx, id)
	must(t, err)
	if v, _ := sesh.Get[string](s4, "theme"); v != "dark" {
		t.Fatalf("LoadID theme = %q", v)
	}
	if _, err := e.m.LoadID(ctx, sesh.NewID()); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("LoadID(unknown) err = %v", err)
	}
	if _, err := e.m.LoadID(ctx, "../x"); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("LoadID(malformed) err = %v", err)
	}

	// Reload discards unsaved changes.
	must(t, s4.Set("theme", "light"))
	must(t, e.m.Reload(ctx, s4))
	if v, _ := sesh.Get[string](s4, "theme"); v != "dark" || s4.Status() != sesh.StatusUnmodified {
		t.Fatalf("after Reload: %q %v", v, s4.Status())
	}

	// Destroy returns the expiring cookie.
	dc, err := e.m.Destroy(ctx, s4)
	must(t, err)
	if !strings.HasPrefix(dc, cn+"=;") || !strings.Contains(dc, "Max-Age=0") {
		t.Fatalf("Destroy cookie %q", dc)
	}
	if _, err := e.m.LoadID(ctx, id); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatal("session survives explicit Destroy")
	}
}

func TestExplicitSavePreventsSecondSave(t *testing.T) {
	e := newEnv(t, nil)
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		must(t, s.Set("a", 1))
		must(t, e.m.Save(r.Context(), s))
		if s.Status() != sesh.StatusUnmodified {
			t.Errorf("status after Save = %v", s.Status())
		}
	}))
	w := do(h, "GET", "/")
	if e.spy.swaps.Load()+e.spy.sets.Load() != 1 {
		t.Fatalf("writes = %d, want exactly 1", e.spy.swaps.Load()+e.spy.sets.Load())
	}
	cookieValue(t, w.Header(), cn) // the new session's cookie is still sent
}

func TestTouchMovesIdleDeadline(t *testing.T) {
	e := newEnv(t, func(c *sesh.Config) { c.IdleTimeout = time.Hour; c.TouchInterval = 10 * time.Minute })
	h := routes(e.m)
	id := cookieValue(t, do(h, "GET", "/login").Header(), cn)
	e.spy.reset()
	e.clock.Advance(5 * time.Minute)
	do(h, "GET", "/me", cn+"="+id)
	if e.spy.touches.Load() != 0 {
		t.Fatal("touched before the interval")
	}
	e.clock.Advance(6 * time.Minute)
	do(h, "GET", "/me", cn+"="+id)
	if e.spy.touches.Load() != 1 || e.spy.swaps.Load()+e.spy.sets.Load() != 0 {
		t.Fatalf("touches %d writes %d: want one expiry-only touch", e.spy.touches.Load(), e.spy.swaps.Load()+e.spy.sets.Load())
	}
	rec, err := e.mem.Get(context.Background(), sesh.HashID(id))
	must(t, err)
	if !rec.Expires.Equal(e.clock.Now().Add(time.Hour)) {
		t.Fatalf("expires %v, want now+1h", rec.Expires)
	}
	// Session.Touch forces it.
	th := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sesh.From(r.Context()).Touch() }))
	e.clock.Advance(time.Second)
	do(th, "GET", "/", cn+"="+id)
	if e.spy.touches.Load() != 2 {
		t.Fatalf("Touch did not force a touch (%d)", e.spy.touches.Load())
	}
}

func TestLogsNeverContainIDs(t *testing.T) {
	e := newEnv(t, nil)
	h := routes(e.m)
	var ids []string
	id := cookieValue(t, do(h, "GET", "/count").Header(), cn)
	ids = append(ids, id)
	id2 := cookieValue(t, do(h, "GET", "/login", cn+"="+id).Header(), cn)
	ids = append(ids, id2)
	do(h, "GET", "/logout", cn+"="+id2)
	unknown := sesh.NewID()
	ids = append(ids, unknown)
	do(h, "GET", "/me", cn+"="+unknown)
	e.spy.failGet.Store(true)
	do(h, "GET", "/me", cn+"="+id2)
	logs := e.logs.String()
	if !strings.Contains(logs, "session regenerated") || !strings.Contains(logs, "session destroyed") || !strings.Contains(logs, "loading the session failed") {
		t.Fatalf("lifecycle events missing from logs:\n%s", logs)
	}
	for _, id := range ids {
		for _, frag := range []string{id, id[:16], sesh.HashID(id)} {
			if strings.Contains(logs, frag) {
				t.Fatalf("log contains an ID or store key fragment %q:\n%s", frag, logs)
			}
		}
	}
}
