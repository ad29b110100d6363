package sesh_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/memstore"
)

// fakeClock is a settable clock shared by a Manager and its store.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// spyStore counts the calls that reach a real store, and can inject faults.
// It wraps a real engine (memstore); it never stands in for one.
type spyStore struct {
	sesh.Store
	gets, sets, deletes, swaps, touches atomic.Int64
	failGet, failSet, failDelete        atomic.Bool
	corruptGet                          atomic.Bool      // Get reports a corrupt record
	conflictSwap, conflictTouch         atomic.Bool      // Swap / Touch lose a compare-and-set
	onGet                               func(key string) // optional hook, called before Get
}

var errInjected = errors.New("injected store failure")

func (s *spyStore) Get(ctx context.Context, key string) (sesh.Record, error) {
	s.gets.Add(1)
	if s.onGet != nil {
		s.onGet(key)
	}
	if s.failGet.Load() {
		return sesh.Record{}, errInjected
	}
	if s.corruptGet.Load() {
		return sesh.Record{}, fmt.Errorf("spy: %w", sesh.ErrCorrupt)
	}
	return s.Store.Get(ctx, key)
}

func (s *spyStore) Set(ctx context.Context, key string, rec sesh.Record) error {
	s.sets.Add(1)
	if s.failSet.Load() {
		return errInjected
	}
	return s.Store.Set(ctx, key, rec)
}

func (s *spyStore) Delete(ctx context.Context, key string) error {
	s.deletes.Add(1)
	if s.failDelete.Load() {
		return errInjected
	}
	return s.Store.Delete(ctx, key)
}

func (s *spyStore) Swap(ctx context.Context, key string, rec sesh.Record) (int64, error) {
	s.swaps.Add(1)
	if s.failSet.Load() {
		return 0, errInjected
	}
	if s.conflictSwap.Load() && rec.Version != 0 {
		return 0, fmt.Errorf("spy: %w", sesh.ErrConflict)
	}
	return s.Store.(sesh.Swapper).Swap(ctx, key, rec)
}

func (s *spyStore) Touch(ctx context.Context, key string, exp time.Time) error {
	s.touches.Add(1)
	if s.failSet.Load() {
		return errInjected
	}
	if s.conflictTouch.Load() {
		return fmt.Errorf("spy: %w", sesh.ErrConflict)
	}
	return s.Store.(sesh.Toucher).Touch(ctx, key, exp)
}

func (s *spyStore) calls() int64 {
	return s.gets.Load() + s.sets.Load() + s.deletes.Load() + s.swaps.Load() + s.touches.Load()
}

func (s *spyStore) writes() int64 {
	return s.sets.Load() + s.deletes.Load() + s.swaps.Load() + s.touches.Load()
}

func (s *spyStore) reset() {
	s.gets.Store(0)
	s.sets.Store(0)
	s.deletes.Store(0)
	s.swaps.Store(0)
	s.touches.Store(0)
}

// plainStore hides every optional capability of the store it wraps.
type plainStore struct{ s sesh.Store }

func (p plainStore) Get(ctx context.Context, k string) (sesh.Record, error) { return p.s.Get(ctx, k) }
func (p plainStore) Set(ctx context.Context, k string, r sesh.Record) error {
	return p.s.Set(ctx, k, r)
}
func (p plainStore) Delete(ctx context.Context, k string) error { return p.s.Delete(ctx, k) }

type env struct {
	t     testing.TB
	clock *fakeClock
	mem   *memstore.Store
	spy   *spyStore
	m     *sesh.Manager
	logs  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// newEnv builds a Manager over a spied memstore sharing a fake clock.
// mod may change the configuration before New.
func newEnv(t testing.TB, mod func(*sesh.Config)) *env {
	t.Helper()
	e := &env{t: t, clock: newClock(), logs: &syncBuffer{}}
	e.mem = memstore.New(memstore.Options{Now: e.clock.Now})
	t.Cleanup(func() { e.mem.Close() })
	e.spy = &spyStore{Store: e.mem}
	cfg := sesh.Config{
		Store:  e.spy,
		Now:    e.clock.Now,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg)
	}
	m, err := sesh.New(cfg)
	if err != nil {
		t.Fatalf("sesh.New: %v", err)
	}
	e.m = m
	return e
}

// do sends one request through h with the given cookie header values and
// returns the recorded response.
func do(h http.Handler, method, target string, cookies ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for _, c := range cookies {
		r.Header.Add("Cookie", c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// sessionCookies returns the Set-Cookie lines for name.
func sessionCookies(h http.Header, name string) []string {
	var out []string
	for _, l := range h.Values("Set-Cookie") {
		if strings.HasPrefix(l, name+"=") {
			out = append(out, l)
		}
	}
	return out
}

// cookieValue extracts the value of the single Set-Cookie for name.
func cookieValue(t *testing.T, h http.Header, name string) string {
	t.Helper()
	lines := sessionCookies(h, name)
	if len(lines) != 1 {
		t.Fatalf("want exactly 1 Set-Cookie for %q, got %d: %q", name, len(lines), lines)
	}
	c, err := http.ParseSetCookie(lines[0])
	if err != nil {
		t.Fatalf("ParseSetCookie(%q): %v", lines[0], err)
	}
	return c.Value
}

// client returns an HTTP client with a cookie jar for srv.
func client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, string(b)
}

func (s *spyStore) ByUser(ctx context.Context, user string) (map[string]sesh.Record, error) {
	return s.Store.(sesh.UserIndex).ByUser(ctx, user)
}

// containsLine reports whether one line of logs contains every part.
func containsLine(logs string, parts ...string) bool {
	for _, l := range strings.Split(logs, "\n") {
		ok := true
		for _, p := range parts {
			if !strings.Contains(l, p) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// cn is the session cookie's name under the default configuration: Secure
// with Path=/ and no Domain, so __Host-.
const cn = sesh.DefaultHostCookieName
