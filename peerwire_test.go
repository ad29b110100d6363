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
