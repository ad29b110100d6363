package sesh_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/cookie"
)

// TestOmitMaxAgeOnDelete: the line that deletes the cookie carries Expires
// at the epoch and no Max-Age=0 (Remix's destroySession), for server-side
// and cookie-only sessions, with and without a configured lifetime; without
// the switch it keeps Max-Age=0.
func TestOmitMaxAgeOnDelete(t *testing.T) {
	ctx := context.Background()
	plain := func(c *sesh.Config) {
		c.Cookie.Name, c.Cookie.Secure, c.Cookie.Order = "s", sesh.SecureNever, cookie.OrderJS
	}
	for _, tc := range []struct {
		name   string
		omit   bool
		maxAge bool
		want   string
	}{
		{"omit", true, false, "s=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax"},
		{"omit with MaxAge", true, true, "s=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax"},
		{"default", false, false, "s=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax"},
	} {
		mod := func(c *sesh.Config) {
			plain(c)
			c.Cookie.OmitMaxAgeOnDelete = tc.omit
			if tc.maxAge {
				c.Cookie.MaxAge = 3600e9
			}
		}
		t.Run(tc.name+"/server-side", func(t *testing.T) {
			e := newEnv(t, mod)
			s, err := e.m.Load(ctx, "")
			must(t, err)
			must(t, s.Set("user", "alice"))
			line, err := e.m.Commit(ctx, s)
			must(t, err)
			s, err = e.m.Load(ctx, line[:strings.IndexByte(line, ';')])
			must(t, err)
			if s.Status() != sesh.StatusUnmodified {
				t.Fatalf("reloaded session: %v", s.Status())
			}
			got, err := e.m.Destroy(ctx, s)
			must(t, err)
			if got != tc.want {
				t.Fatalf("Destroy =\n%s\nwant\n%s", got, tc.want)
			}
		})
		t.Run(tc.name+"/cookie-only", func(t *testing.T) {
			e := newSealed(t, []cookie.Key{key1}, mod)
			v := sealedValue(t, e)
			s, err := e.m.Load(ctx, "s="+v)
			must(t, err)
			got, err := e.m.Destroy(ctx, s)
			must(t, err)
			if got != tc.want {
				t.Fatalf("Destroy =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// looseSealer is a sealer whose SealedLen is a loose bound, as Remix's is
// (every byte escaped at worst).
type looseSealer struct{ sesh.CookieSealer }

func (l looseSealer) SealedLen(n int) int { return 3 * l.CookieSealer.SealedLen(n) }

// TestSealedLenIsOnlyABound: a session whose cookie fits commits even when
// the sealer's SealedLen bound passes the limit; data over the limit is
// still refused before it is sealed.
func TestSealedLenIsOnlyABound(t *testing.T) {
	sealer, err := cookie.NewSealer(key1)
	must(t, err)
	sc := &sealCounter{CookieSealer: looseSealer{sealer}}
	m, err := sesh.New(sesh.Config{Sealer: sc})
	must(t, err)
	ctx := context.Background()
	s, _ := m.Load(ctx, "")
	must(t, s.Set("blob", strings.Repeat("x", 2000)))
	line, err := m.Commit(ctx, s)
	if err != nil || len(line) > sesh.MaxCookieLine || len(line) < 2000 {
		t.Fatalf("a 2000-byte value under a loose SealedLen: %d-byte line, %v", len(line), err)
	}
	s, _ = m.Load(ctx, "")
	must(t, s.Set("blob", strings.Repeat("x", sesh.MaxCookieLine)))
	seals := sc.seals.Load()
	if _, err := m.Commit(ctx, s); !errors.Is(err, sesh.ErrCookieTooLarge) {
		t.Fatalf("data over the limit: %v", err)
	}
	if sc.seals.Load() != seals {
		t.Fatal("data over the limit was sealed before it was refused")
	}
}

// TestCookieExpires: a fixed Expires on the configuration is written as
// Expires only, on every cookie the session sends; MaxAge, Persist and
// CommitWith take precedence, as in Remix; the absolute deadline caps it.
func TestCookieExpires(t *testing.T) {
	ctx := context.Background()
	fixed := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC) // 6 h after the test clock's start
	mod := func(extra func(*sesh.Config)) func(*sesh.Config) {
		return func(c *sesh.Config) {
			c.Cookie.Name, c.Cookie.Secure, c.Cookie.Order = "s", sesh.SecureNever, cookie.OrderJS
			c.Cookie.Expires = fixed
			if extra != nil {
				extra(c)
			}
		}
	}
	commit := func(t *testing.T, m *sesh.Manager, header string, fn func(s *sesh.Session)) string {
		t.Helper()
		s, err := m.Load(ctx, header)
		must(t, err)
		fn(s)
		line, err := m.Commit(ctx, s)
		must(t, err)
		return line
	}
	set := func(s *sesh.Session) { must(t, s.Set("n", 1)) }
	attrs := func(line string) string { return line[strings.IndexByte(line, ';'):] }

	t.Run("fixed", func(t *testing.T) {
		const want = "; Path=/; Expires=Fri, 02 Jan 2026 09:00:00 GMT; HttpOnly; SameSite=Lax"
		// A server-side session's cookie is sent when the session is
		// created (its ID does not change later); a cookie-only session's
		// on every change.
		e := newEnv(t, mod(nil)).m
		if got := attrs(commit(t, e, "", set)); got != want {
			t.Fatalf("server-side: %q, want %q", got, want)
		}
		c := newSealed(t, []cookie.Key{key1}, mod(nil)).m
		line := commit(t, c, "", set)
		if got := attrs(line); got != want {
			t.Fatalf("cookie-only: first commit %q, want %q", got, want)
		}
		line = commit(t, c, line[:strings.IndexByte(line, ';')], func(s *sesh.Session) { must(t, s.Set("n", 2)) })
		if got := attrs(line); got != want {
			t.Fatalf("cookie-only: later commit %q, want %q", got, want)
		}
	})
	t.Run("MaxAge wins", func(t *testing.T) {
		e := newEnv(t, mod(func(c *sesh.Config) { c.Cookie.MaxAge = time.Hour }))
		if got := attrs(commit(t, e.m, "", set)); !strings.HasPrefix(got, "; Max-Age=3600; Path=/; Expires=Fri, 02 Jan 2026 04:04:05 GMT;") {
			t.Fatalf("MaxAge and Expires: %q", got)
		}
	})
	t.Run("Persist wins", func(t *testing.T) {
		e := newEnv(t, mod(nil))
		if got := attrs(commit(t, e.m, "", func(s *sesh.Session) { set(s); s.Persist(sesh.BrowserSession) })); strings.Contains(got, "Expires") {
			t.Fatalf("BrowserSession: %q", got)
		}
		if got := attrs(commit(t, e.m, "", func(s *sesh.Session) { set(s); s.Persist(2 * time.Hour) })); !strings.HasPrefix(got, "; Max-Age=7200; Path=/; Expires=Fri, 02 Jan 2026 05:04:05 GMT;") {
			t.Fatalf("Persist(2h): %q", got)
		}
	})
	t.Run("CommitWith wins", func(t *testing.T) {
		e := newEnv(t, mod(nil))
		s, err := e.m.Load(ctx, "")
		must(t, err)
		set(s)
		line, err := e.m.CommitWith(ctx, s, sesh.CommitOptions{Expires: time.Date(2026, 1, 2, 3, 30, 0, 0, time.UTC)})
		must(t, err)
		if !strings.Contains(line, "; Expires=Fri, 02 Jan 2026 03:30:00 GMT;") {
			t.Fatalf("CommitWith(Expires): %q", line)
		}
	})
	t.Run("absolute deadline caps it", func(t *testing.T) {
		e := newEnv(t, mod(func(c *sesh.Config) { c.AbsoluteTimeout = 2 * time.Hour; c.IdleTimeout = time.Hour }))
		if got := attrs(commit(t, e.m, "", set)); got != "; Path=/; Expires=Fri, 02 Jan 2026 05:04:05 GMT; HttpOnly; SameSite=Lax" {
			t.Fatalf("capped: %q", got)
		}
	})
}

// TestFirstSeenGivesWay: a cookie-only session a peer created (no creation
// time in its data) gets a first-seen time on its first Go write, unless
// the cookie would then not fit: a session as large as the peer could
// write still commits after a one-key change, without the time.
func TestFirstSeenGivesWay(t *testing.T) {
	ctx := context.Background()
	sealer, err := cookie.NewSealer(key1)
	must(t, err)
	e := newSealed(t, []cookie.Key{key1}, func(c *sesh.Config) { c.Cookie.Name, c.Cookie.Secure = "s", sesh.SecureNever })
	const attrs = "; Path=/; HttpOnly; SameSite=Lax"
	peer := func(n int) string { // the peer's cookie: values only, no "c"
		payload := `{"v":{"blob":"` + strings.Repeat("x", n) + `","k":"a"}}`
		return string(sealer.Seal(nil, "s", e.clock.Now().Add(time.Hour), []byte(payload)))
	}
	n := 2000
	for len("s="+peer(n+1)+attrs) <= sesh.MaxCookieLine {
		n++
	}
	if l := len("s=" + peer(n) + attrs); l > sesh.MaxCookieLine || l < sesh.MaxCookieLine-4 {
		t.Fatalf("test setup: the largest peer cookie is %d bytes", l)
	}
	change := func(t *testing.T, header string) (string, error) {
		t.Helper()
		s, err := e.m.Load(ctx, header)
		must(t, err)
		if s.Status() != sesh.StatusUnmodified || !s.Meta().Created.IsZero() {
			t.Fatalf("peer's session: %v, created %v", s.Status(), s.Meta().Created)
		}
		must(t, s.Set("k", "b"))
		return e.m.Commit(ctx, s)
	}
	created := func(t *testing.T, line string) time.Time {
		t.Helper()
		s, err := e.m.Load(ctx, line[:strings.IndexByte(line, ';')])
		must(t, err)
		if v, _ := sesh.Get[string](s, "k"); v != "b" {
			t.Fatalf("after the commit k = %q", v)
		}
		return s.Meta().Created
	}

	line, err := change(t, "s="+peer(n))
	if err != nil || len(line) > sesh.MaxCookieLine {
		t.Fatalf("largest peer session after a one-key change: %d bytes, %v", len(line), err)
	}
	if c := created(t, line); !c.IsZero() {
		t.Fatalf("the first-seen time was kept (%v) in a cookie it does not fit", c)
	}
	if !strings.Contains(e.logs.String(), "first-seen time left out") {
		t.Fatalf("not logged:\n%s", e.logs.String())
	}

	line, err = change(t, "s="+peer(100))
	must(t, err)
	if c := created(t, line); !c.Equal(e.clock.Now()) {
		t.Fatalf("a small peer session: first-seen time %v, want %v", c, e.clock.Now())
	}

	// A session sesh created carries its time from the start: no exception.
	s, err := e.m.Load(ctx, "")
	must(t, err)
	must(t, s.Set("blob", strings.Repeat("x", n)))
	must(t, s.Set("k", "b"))
	if _, err := e.m.Commit(ctx, s); !errors.Is(err, sesh.ErrCookieTooLarge) {
		t.Fatalf("a new session of the peer's largest size: %v, want ErrCookieTooLarge", err)
	}
}
