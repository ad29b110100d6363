package sesh_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/express"
	"github.com/sesh-go/sesh/cookie"
	"github.com/sesh-go/sesh/internal/alloctest"
	"github.com/sesh-go/sesh/memstore"
)

// Allocation bounds of Manager.Load, for Cookie headers up to 64 KB.
//
//   - Server-side sessions: cookie.Values (at most 7 bytes per byte, see
//     cookie/alloc_test.go), then a constant per candidate ID (at most
//     four reach the store: a key hash, a store read, the decoding of a
//     record this test wrote): loadAllocK.
//   - With a CookieValue codec (express's signed value): the same, plus one
//     HMAC verification per value, whose state is pooled; under the race
//     detector the pool drops some, and a verification may build a fresh
//     state (about 1.2 KB) for each value of at least 44 bytes: raceHMAC.
//   - Cookie-only sessions: cookie.Values for the name (7), joinChunks over
//     the chunk names (8, see chunks_internal_test.go), and the opening of
//     at most four candidates and the joined value (each body decoded
//     once, 3/4 of its length: 1): sealedLoadAllocK. Only a value that
//     authenticates reaches the codec, and only the seeds' do.
const (
	loadAllocK       = 7
	sealedLoadAllocK = 7 + 8 + 1
	loadAllocC       = 16 << 10
)

var raceHMAC = map[bool]uint64{false: 0, true: 1200/44 + 1}[alloctest.Race]

// loadTarget is one Manager under FuzzManagerLoad.
type loadTarget struct {
	name string
	m    *sesh.Manager
	spy  *spyStore // nil for cookie-only sessions
	// candidates returns the IDs the Manager may look up for header: the
	// well-formed ones among its session cookie's values, in order, without
	// repeats.
	candidates func(header string) []string
	k          uint64
}

func newLoadTarget(f *testing.F, name string, mod func(*sesh.Config), candidates func(cookieName, header string) []string, k uint64) *loadTarget {
	f.Helper()
	lt := &loadTarget{name: name, k: k}
	cfg := sesh.Config{Logger: slog.New(slog.DiscardHandler)}
	mod(&cfg)
	if cfg.Sealer == nil {
		mem := memstore.New(memstore.Options{SweepInterval: -1})
		f.Cleanup(func() { mem.Close() })
		lt.spy = &spyStore{Store: mem}
		cfg.Store = lt.spy
	}
	m, err := sesh.New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	lt.m = m
	lt.candidates = func(header string) []string { return candidates(m.Name(), header) }
	return lt
}

// liveCookie commits a session with one value and returns its cookie pair.
func (lt *loadTarget) liveCookie(f *testing.F) string {
	f.Helper()
	ctx := context.Background()
	s, err := lt.m.Load(ctx, "")
	if err != nil {
		f.Fatal(err)
	}
	if err := s.Set("user", "alice"); err != nil {
		f.Fatal(err)
	}
	line, err := lt.m.Commit(ctx, s)
	if err != nil {
		f.Fatal(err)
	}
	pair, _, _ := strings.Cut(line, ";")
	return pair
}

// validIDs returns the distinct values of name in header that decode (if
// decode is set) and pass valid, in order.
func validIDs(name, header string, decode func(string) (string, bool), valid func(string) bool) []string {
	var ids []string
	if header == "" {
		return nil
	}
	for _, v := range cookie.Values([]string{header}, name) {
		if decode != nil {
			id, ok := decode(v)
			if !ok {
				continue
			}
			v = id
		}
		if valid(v) && !contains(ids, v) {
			ids = append(ids, v)
		}
	}
	return ids
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// manyIDs returns a header of n session cookies with distinct IDs, the
// last being live's.
func manyIDs(n int, live string) string {
	var b strings.Builder
	for range n - 1 {
		b.WriteString("session=" + sesh.NewID() + ";")
	}
	b.WriteString(live)
	return b.String()
}

// FuzzManagerLoad feeds Cookie header lines through Manager.Load: the
// default Manager (server-side sessions, IDs minted here), one configured
// for express-session's signed cookie, and one with cookie-only sessions
// in chunks. Load never fails over a working store, never writes, never
// reads the store for a header without a well-formed ID, reads it once at
// most per well-formed ID (four at most), adopts no ID the header did not
// carry, and allocates within the bounds above.
func FuzzManagerLoad(f *testing.F) {
	cv, err := express.NewCookieValueWith(express.SecretOptions{AllowShortSecrets: true}, []byte("keyboard cat"))
	if err != nil {
		f.Fatal(err)
	}
	sealer, err := cookie.NewSealer(key1)
	if err != nil {
		f.Fatal(err)
	}
	targets := []*loadTarget{
		newLoadTarget(f, "default", func(*sesh.Config) {}, func(name, h string) []string {
			return validIDs(name, h, nil, sesh.ValidID)
		}, loadAllocK),
		newLoadTarget(f, "express", func(c *sesh.Config) {
			if err := express.ConfigureWith(c, express.SecretOptions{AllowShortSecrets: true}, []byte("keyboard cat")); err != nil {
				f.Fatal(err)
			}
		}, func(name, h string) []string {
			return validIDs(name, h, cv.DecodeID, express.ValidID)
		}, loadAllocK+raceHMAC),
		newLoadTarget(f, "sealed", func(c *sesh.Config) {
			c.Sealer = sealer
			c.Cookie.MaxChunks = 3
		}, func(string, string) []string { return nil }, sealedLoadAllocK),
	}
	var lives []string
	for _, lt := range targets {
		lives = append(lives, lt.liveCookie(f))
	}
	id := sesh.NewID()
	for _, s := range []string{
		"", "session=", "session=" + id, "session=" + id + "; session=" + id, "session=\"" + id + "\"",
		"session=" + id[:42] + "B", // not canonical base64
		"connect.sid=s%3Aabc.x", "connect.sid=s:" + id, "session.0=v1.k1.; session.1=x",
		strings.Join(lives, "; "),
		lives[0] + "; " + lives[0],
		// 64 KB: the most values, escaped values, many candidates.
		strings.Repeat("session=;", 3000) + strings.Repeat(" ", 64<<10-27000),
		strings.Repeat("session="+strings.Repeat("%41", 1365)+";", 15),
		strings.Repeat("connect.sid=s%3A"+strings.Repeat("x", 40)+".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA;", 64<<10/102),
		manyIDs(64<<10/(len(id)+9), lives[0]),
		strings.Repeat("session.0=v1.k1."+strings.Repeat("A", 4000)+"; session.1=v1;", 16),
	} {
		f.Add(s)
	}
	for _, l := range lives {
		f.Add(l)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, header string) {
		for _, lt := range targets {
			var gets, writes int64
			if lt.spy != nil {
				gets, writes = lt.spy.gets.Load(), lt.spy.writes()
			}
			s, err := lt.m.Load(ctx, header)
			if err != nil {
				t.Fatalf("%s: Load(%q): %v", lt.name, header, err)
			}
			if lt.spy != nil {
				cands := lt.candidates(header)
				gets = lt.spy.gets.Load() - gets
				if w := lt.spy.writes() - writes; w != 0 {
					t.Fatalf("%s: Load(%q) wrote to the store %d times", lt.name, header, w)
				}
				if len(cands) == 0 && gets != 0 {
					t.Fatalf("%s: Load(%q) read the store %d times with no well-formed ID", lt.name, header, gets)
				}
				if gets > int64(min(len(cands), 4)) {
					t.Fatalf("%s: Load(%q) read the store %d times for %d well-formed IDs", lt.name, header, gets, len(cands))
				}
				if s.Status() == sesh.StatusUnmodified && !contains(cands, s.ID()) {
					t.Fatalf("%s: Load(%q) adopted an ID the header did not carry", lt.name, header)
				}
			}
			if s.Status() == sesh.StatusUnmodified {
				if v, _ := sesh.Get[string](s, "user"); v != "alice" {
					t.Fatalf("%s: Load(%q) loaded a session without the value it was saved with", lt.name, header)
				}
			}
			alloctest.Check(t, lt.name+" Manager.Load", len(header), lt.k, loadAllocC, func() { lt.m.Load(ctx, header) })

		}
	})
}
