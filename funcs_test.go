package sesh_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
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

func TestStoreFuncsMintIDs(t *testing.T) {
	ts := &tableStore{}
	m, err := sesh.New(sesh.Config{Store: ts.funcs()})
	must(t, err)
	h := routes(m)
	w := do(h, "GET", "/login")
	id := cookieValue(t, w.Header(), "session")
	if _, ok := ts.rows[id]; !ok || len(id) != 32 || ts.creates != 1 {
		t.Fatalf("cookie %q is not the ID the store minted (%d creates)", id, ts.creates)
	}
	if got := do(h, "GET", "/me", "session="+id).Body.String(); got != "alice" {
		t.Fatalf("reads %q", got)
	}
	do(h, "GET", "/count", "session="+id)
	if ts.updates != 1 {
		t.Fatalf("updates = %d", ts.updates)
	}
	// An ID the store never minted is not adopted, and a malformed one never
	// reaches ReadData.
	for _, bad := range []string{"0123456789abcdef0123456789abcdef", "../x"} {
		w := do(h, "GET", "/count", "session="+bad)
		if got := cookieValue(t, w.Header(), "session"); got == bad {
			t.Fatalf("adopted %q", bad)
		}
	}
	do(h, "GET", "/logout", "session="+id)
	if _, ok := ts.rows[id]; ok {
		t.Fatal("DeleteData not called")
	}
	// Incomplete StoreFuncs fail clearly.
	if _, err := (sesh.StoreFuncs{}).Get(context.Background(), "abc"); err == nil {
		t.Fatal("incomplete StoreFuncs worked")
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
	if !strings.HasPrefix(line, "session=") {
		t.Fatal(line)
	}
}
