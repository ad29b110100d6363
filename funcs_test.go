package sesh_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

// tableStore is an application's own "sessions table" behind the four
// Remix-style functions.
type tableStore struct {
	mu   sync.Mutex
	rows map[string]struct {
		data []byte
		exp  time.Time
	}
	creates, updates int
}

func (ts *tableStore) funcs() sesh.StoreFuncs {
	ts.rows = map[string]struct {
		data []byte
		exp  time.Time
	}{}
	return sesh.StoreFuncs{
		CreateData: func(ctx context.Context, data []byte, exp time.Time) (string, error) {
			ts.mu.Lock()
			defer ts.mu.Unlock()
			b := make([]byte, 16)
			rand.Read(b)
			id := hex.EncodeToString(b)
			ts.rows[id] = struct {
				data []byte
				exp  time.Time
			}{data, exp}
			ts.creates++
			return id, nil
		},
		ReadData: func(ctx context.Context, id string) ([]byte, time.Time, error) {
			ts.mu.Lock()
			defer ts.mu.Unlock()
			r, ok := ts.rows[id]
			if !ok {
				return nil, time.Time{}, sesh.ErrNotFound
			}
			return r.data, r.exp, nil
		},
		UpdateData: func(ctx context.Context, id string, data []byte, exp time.Time) error {
			ts.mu.Lock()
			defer ts.mu.Unlock()
			ts.rows[id] = struct {
				data []byte
				exp  time.Time
			}{data, exp}
			ts.updates++
			return nil
		},
		DeleteData: func(ctx context.Context, id string) error {
			ts.mu.Lock()
			defer ts.mu.Unlock()
			delete(ts.rows, id)
			return nil
		},
	}
}

var idSecret = []byte("a 32-byte secret for signing IDs")

func TestStoreFuncsMintIDs(t *testing.T) {
	ts := &tableStore{}
	signed, err := sesh.SignedIDs(idSecret)
	must(t, err)
	m, err := sesh.New(sesh.Config{Store: ts.funcs(), CookieValue: signed})
	must(t, err)
	h := routes(m)
	w := do(h, "GET", "/login")
	cv := cookieValue(t, w.Header(), cn)
	id, mac, _ := strings.Cut(cv, ".")
	if _, ok := ts.rows[id]; !ok || len(id) != 32 || mac == "" || ts.creates != 1 {
		t.Fatalf("cookie %q does not carry the ID the store minted, signed (%d creates)", cv, ts.creates)
	}
	if got := do(h, "GET", "/me", cn+"="+cv).Body.String(); got != "alice" {
		t.Fatalf("reads %q", got)
	}
	do(h, "GET", "/count", cn+"="+cv)
	if ts.updates != 1 {
		t.Fatalf("updates = %d", ts.updates)
	}
	// An ID the store never minted is not adopted, a malformed one never
	// reaches ReadData, and the bare ID the store minted, unsigned, is
	// nobody's session.
	for _, bad := range []string{"0123456789abcdef0123456789abcdef", "../x", id, id + ".AAAA"} {
		w := do(h, "GET", "/me", cn+"="+bad)
		if w.Body.String() != "" {
			t.Fatalf("cookie %q reads the session of %q", bad, w.Body.String())
		}
	}
	do(h, "GET", "/logout", cn+"="+cv)
	if _, ok := ts.rows[id]; ok {
		t.Fatal("DeleteData not called")
	}
	// Incomplete StoreFuncs fail clearly.
	if _, err := (sesh.StoreFuncs{}).Get(context.Background(), "abc"); err == nil {
		t.Fatal("incomplete StoreFuncs worked")
	}
}

// A database's IDs are guessable: the first user's session is "1". Signed
// IDs keep a client from naming it, and New refuses a store that mints IDs
// without them.
func TestGuessableStoreIDsAreSigned(t *testing.T) {
	next := 0
	rows := map[string][]byte{}
	var mu sync.Mutex
	funcs := sesh.StoreFuncs{
		CreateData: func(ctx context.Context, data []byte, exp time.Time) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			next++
			id := strconv.Itoa(next)
			rows[id] = data
			return id, nil
		},
		ReadData: func(ctx context.Context, id string) ([]byte, time.Time, error) {
			mu.Lock()
			defer mu.Unlock()
			d, ok := rows[id]
			if !ok {
				return nil, time.Time{}, sesh.ErrNotFound
			}
			return d, time.Now().Add(time.Hour), nil
		},
		UpdateData: func(ctx context.Context, id string, data []byte, exp time.Time) error {
			mu.Lock()
			defer mu.Unlock()
			rows[id] = data
			return nil
		},
		DeleteData: func(ctx context.Context, id string) error { return nil },
	}
	if _, err := sesh.New(sesh.Config{Store: funcs}); !errors.Is(err, sesh.ErrConfig) || !strings.Contains(err.Error(), "SignedIDs") {
		t.Fatalf("New with a Creator store and no CookieValue = %v, want ErrConfig naming SignedIDs", err)
	}
	signed, err := sesh.SignedIDs(idSecret)
	must(t, err)
	m, err := sesh.New(sesh.Config{Store: funcs, CookieValue: signed})
	must(t, err)
	h := routes(m)
	do(h, "GET", "/login") // the first user: row "1"
	if got := do(h, "GET", "/me", cn+"=1").Body.String(); got != "" {
		t.Fatalf("cookie session=1 signs in as %q", got)
	}
}

// Rotation completes: a cookie verified by an old secret is signed again
// with the current one on the next response, even an unmodified one.
func TestSignedIDsReissueOnRotation(t *testing.T) {
	ts := &tableStore{}
	oldSecret := []byte("the old 32-byte secret, retiring")
	before, err := sesh.SignedIDs(oldSecret)
	must(t, err)
	after, err := sesh.SignedIDs(idSecret, oldSecret)
	must(t, err)
	funcs := ts.funcs()
	m1, err := sesh.New(sesh.Config{Store: funcs, CookieValue: before})
	must(t, err)
	cv := cookieValue(t, do(routes(m1), "GET", "/login").Header(), cn)
	m2, err := sesh.New(sesh.Config{Store: funcs, CookieValue: after})
	must(t, err)
	w := do(routes(m2), "GET", "/me", cn+"="+cv)
	if w.Body.String() != "alice" {
		t.Fatalf("old-secret cookie reads %q", w.Body.String())
	}
	fresh := cookieValue(t, w.Header(), cn)
	if fresh == cv {
		t.Fatal("not re-signed")
	}
	only, err := sesh.SignedIDs(idSecret)
	must(t, err)
	m3, err := sesh.New(sesh.Config{Store: funcs, CookieValue: only})
	must(t, err)
	if got := do(routes(m3), "GET", "/me", cn+"="+fresh).Body.String(); got != "alice" {
		t.Fatalf("re-signed cookie after the old secret is retired reads %q", got)
	}
	if w := do(routes(m3), "GET", "/me", cn+"="+fresh); len(sessionCookies(w.Header(), cn)) != 0 {
		t.Fatal("a current cookie was re-sent")
	}
}

func TestCommitWithExpiryPrecedence(t *testing.T) {
	e := newEnv(t, func(c *sesh.Config) { c.Cookie.MaxAge = 24 * time.Hour; c.IdleTimeout = sesh.NoTimeout })
	ctx := context.Background()
	cookieOf := func(line string) *http.Cookie {
		c, err := http.ParseSetCookie(line)
		must(t, err)
		return c
	}
	s, _ := e.m.Load(ctx, "")
	must(t, s.Set("a", 1))
	// maxAge wins over expires.
	line, err := e.m.CommitWith(ctx, s, sesh.CommitOptions{MaxAge: time.Minute, Expires: e.clock.Now().Add(time.Hour)})
	must(t, err)
	if c := cookieOf(line); c.MaxAge != 60 || !c.Expires.Equal(e.clock.Now().Add(time.Minute)) {
		t.Fatalf("maxAge commit: %q", line)
	}
	rec, err := e.mem.Get(ctx, sesh.HashID(s.ID()))
	must(t, err)
	if !rec.Expires.Equal(e.clock.Now().Add(time.Minute)) {
		t.Fatalf("record expires %v, want now+1m", rec.Expires)
	}
	// Then expires; a cookie is returned even for an unchanged session.
	exp := e.clock.Now().Add(2 * time.Hour)
	line, err = e.m.CommitWith(ctx, s, sesh.CommitOptions{Expires: exp})
	must(t, err)
	if c := cookieOf(line); !c.Expires.Equal(exp) {
		t.Fatalf("expires commit: %q", line)
	}
	rec, _ = e.mem.Get(ctx, sesh.HashID(s.ID()))
	if !rec.Expires.Equal(exp) {
		t.Fatalf("record expires %v, want %v", rec.Expires, exp)
	}
	// Then the cookie's own lifetime.
	must(t, s.Set("b", 2))
	line, err = e.m.CommitWith(ctx, s, sesh.CommitOptions{})
	must(t, err)
	if c := cookieOf(line); c.MaxAge != 12*3600 { // capped by the absolute deadline
		t.Fatalf("default commit: %q", line)
	}
	if !strings.HasPrefix(line, cn+"=") {
		t.Fatal(line)
	}
}
