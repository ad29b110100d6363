package memstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Engine(t, "memstore", "", "in-process")
	storetest.Run(t, func(t *testing.T) sesh.Store {
		s := New(Options{})
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestConformanceBusy runs the suite with a bound and a sweeper that runs
// all the time, so that eviction and sweeping race with every call.
func TestConformanceBusy(t *testing.T) {
	storetest.Run(t, func(t *testing.T) sesh.Store {
		s := New(Options{MaxEntries: 10_000, SweepInterval: time.Millisecond})
		t.Cleanup(func() { s.Close() })
		return s
	})
}

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

func set(t *testing.T, s *Store, key string, exp time.Time) {
	t.Helper()
	if err := s.Set(context.Background(), key, sesh.Record{Data: []byte(key), Expires: exp}); err != nil {
		t.Fatalf("Set(%s): %v", key, err)
	}
}

// present returns the keys that Get finds, among keys.
func present(s *Store, keys ...string) []string {
	var out []string
	for _, k := range keys {
		if rec, err := s.Get(context.Background(), k); err == nil && string(rec.Data) == k {
			out = append(out, k)
		}
	}
	return out
}

// stored returns the number of entries held, expired ones included, after
// checking that the map, the entries, the free list and the expiry heap
// agree.
func stored(s *Store) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.consistent(); err != nil {
		panic(err)
	}
	return len(s.index)
}

// consistent reports the first way the store's structures disagree.
// Caller holds s.mu.
func (s *Store) consistent() error {
	if len(s.index) != len(s.byExp) || len(s.index)+len(s.free) != s.used {
		return fmt.Errorf("map has %d keys, heap %d, entries %d with %d free", len(s.index), len(s.byExp), s.used, len(s.free))
	}
	for k, i := range s.index {
		e := s.entry(i)
		if e.key != k || int(e.at) >= len(s.byExp) || s.byExp[e.at] != i {
			return fmt.Errorf("entry %d under %q holds key %q at heap position %d", i, k, e.key, e.at)
		}
	}
	for _, i := range s.free {
		if s.entry(i).key != "" || s.entry(i).data != nil {
			return fmt.Errorf("free entry %d still holds %q", i, s.entry(i).key)
		}
	}
	for k := 1; k < len(s.byExp); k++ {
		if (expOrder{s}).Less(k, (k-1)/2) {
			return fmt.Errorf("heap position %d expires before its parent", k)
		}
	}
	return nil
}

// A random run of every write against a map that does the same: the store
// returns what the model holds, and its structures agree after each step.
func TestRandomOperationsKeepTheStructures(t *testing.T) {
	clock := newClock()
	s := New(Options{Now: clock.Now, SweepInterval: -1, MaxEntries: 24})
	defer s.Close()
	ctx := context.Background()
	type rec struct {
		data    string
		expires time.Time
	}
	model := map[string]rec{}
	rng := rand.New(rand.NewPCG(1, 2))
	key := func() string { return sesh.HashID(strconv.Itoa(rng.IntN(40))) }
	for step := range 20000 {
		k := key()
		exp := clock.Now().Add(time.Duration(1+rng.IntN(600)) * time.Second)
		live := 0
		for _, m := range model {
			if m.expires.After(clock.Now()) {
				live++
			}
		}
		op := rng.IntN(6)
		m, had := model[k]
		mayEvict := 0 // an insert of a new key into a full store evicts one record
		if op <= 1 && !(had && m.expires.After(clock.Now())) && live >= 24 {
			mayEvict = 1
		}
		switch op {
		case 0, 1:
			v := strconv.Itoa(step)
			if err := s.Set(ctx, k, sesh.Record{Data: []byte(v), Expires: exp}); err != nil {
				t.Fatal(err)
			}
			model[k] = rec{v, exp}
		case 2:
			if err := s.Delete(ctx, k); err != nil {
				t.Fatal(err)
			}
			delete(model, k)
		case 3:
			err := s.Touch(ctx, k, exp)
			if had && m.expires.After(clock.Now()) {
				if err != nil {
					t.Fatalf("step %d: Touch of a live record: %v", step, err)
				}
				model[k] = rec{m.data, exp}
			}
		case 4:
			clock.Advance(time.Duration(rng.IntN(30)) * time.Second)
		case 5:
			if _, err := s.Len(ctx); err != nil {
				t.Fatal(err)
			}
		}
		lost := 0
		for mk, m := range model {
			got, err := s.Get(ctx, mk)
			live := m.expires.After(clock.Now())
			switch {
			case err == nil && (!live || string(got.Data) != m.data || !got.Expires.Equal(m.expires)):
				t.Fatalf("step %d: Get(%s) = %q until %v, model %q until %v", step, mk[:6], got.Data, got.Expires, m.data, m.expires)
			case err != nil && !errors.Is(err, sesh.ErrNotFound):
				t.Fatal(err)
			case err != nil:
				if live {
					lost++
				}
				delete(model, mk)
			}
		}
		if lost > mayEvict {
			t.Fatalf("step %d: %d live records gone, %d evicted at most", step, lost, mayEvict)
		}
		if n := stored(s); n > 24 {
			t.Fatalf("step %d: %d entries stored, MaxEntries 24", step, n)
		}
	}
}

func TestNowIsInjected(t *testing.T) {
	clock := newClock()
	s := New(Options{Now: clock.Now, SweepInterval: -1})
	defer s.Close()
	set(t, s, "k", clock.Now().Add(time.Minute))
	clock.Advance(59 * time.Second)
	if got := present(s, "k"); len(got) != 1 {
		t.Fatal("record gone before its expiry on the injected clock")
	}
	clock.Advance(time.Second)
	if _, err := s.Get(context.Background(), "k"); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Get at the expiry instant = %v, want ErrNotFound", err)
	}
	if err := s.Touch(context.Background(), "k", clock.Now().Add(time.Hour)); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Touch after expiry = %v, want ErrNotFound", err)
	}
}

func TestMaxEntriesEvictsNearestExpiry(t *testing.T) {
	clock := newClock()
	now := clock.Now()
	s := New(Options{Now: clock.Now, MaxEntries: 3, SweepInterval: -1})
	defer s.Close()
	set(t, s, "a", now.Add(10*time.Minute))
	set(t, s, "b", now.Add(1*time.Minute)) // nearest to expiry
	set(t, s, "c", now.Add(5*time.Minute))

	// Replacing a key in a full store evicts nothing.
	set(t, s, "a", now.Add(20*time.Minute))
	if got := present(s, "a", "b", "c"); len(got) != 3 {
		t.Fatalf("after an update in a full store: present %q, want a, b, c", got)
	}

	set(t, s, "d", now.Add(30*time.Minute))
	if got := present(s, "a", "b", "c", "d"); !slices.Equal(got, []string{"a", "c", "d"}) {
		t.Fatalf("present %q, want [a c d]: b (nearest to expiry) evicted", got)
	}
	if n, _ := s.Len(context.Background()); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
	// The evicted session is gone, not another one's.
	if _, err := s.Get(context.Background(), "b"); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Get of the evicted key = %v, want ErrNotFound", err)
	}

	// A Touch changes the eviction order.
	if err := s.Touch(context.Background(), "c", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	set(t, s, "e", now.Add(2*time.Hour)) // a (20m) is now the nearest
	if got := present(s, "a", "c", "d", "e"); !slices.Equal(got, []string{"c", "d", "e"}) {
		t.Fatalf("present %q, want [c d e]", got)
	}
}

func TestMaxEntriesDropsExpiredFirst(t *testing.T) {
	clock := newClock()
	now := clock.Now()
	s := New(Options{Now: clock.Now, MaxEntries: 4, SweepInterval: -1})
	defer s.Close()
	set(t, s, "x1", now.Add(time.Minute))
	set(t, s, "live1", now.Add(time.Hour))
	set(t, s, "x2", now.Add(2*time.Minute))
	set(t, s, "live2", now.Add(2*time.Hour))
	clock.Advance(3 * time.Minute) // x1 and x2 expire
	if n := stored(s); n != 4 {
		t.Fatalf("stored = %d before the insert, want 4", n)
	}
	set(t, s, "new", clock.Now().Add(time.Minute)) // nearer than live1, but live1 stays
	if got := present(s, "live1", "live2", "new"); len(got) != 3 {
		t.Fatalf("present %q, want live1, live2 and new: only expired entries make room", got)
	}
	if n := stored(s); n != 3 {
		t.Fatalf("stored = %d, want 3 (both expired entries dropped)", n)
	}
}

func TestMaxEntriesUnderConcurrency(t *testing.T) {
	const maxEntries = 50
	s := New(Options{MaxEntries: maxEntries, SweepInterval: time.Millisecond})
	defer s.Close()
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				key := fmt.Sprintf("g%d-%d", g, i)
				exp := time.Now().Add(time.Duration(i%7+1) * time.Minute)
				if _, err := s.Swap(context.Background(), key, sesh.Record{Data: []byte(key), Expires: exp}); err != nil {
					t.Errorf("Swap: %v", err)
					return
				}
				if n := stored(s); n > maxEntries {
					t.Errorf("%d entries stored, bound is %d", n, maxEntries)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := stored(s); n != maxEntries {
		t.Fatalf("%d entries at the end, want the bound %d", n, maxEntries)
	}
}

func TestSweeperFreesExpired(t *testing.T) {
	clock := newClock()
	s := New(Options{Now: clock.Now, SweepInterval: 5 * time.Millisecond})
	defer s.Close()
	for i := range 100 {
		set(t, s, fmt.Sprintf("k%d", i), clock.Now().Add(time.Duration(i+1)*time.Second))
	}
	set(t, s, "keep", clock.Now().Add(time.Hour))
	clock.Advance(2 * time.Minute) // all but keep expire
	deadline := time.Now().Add(5 * time.Second)
	for stored(s) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("sweeper left %d entries, want 1", stored(s))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := present(s, "keep"); len(got) != 1 {
		t.Fatal("the sweeper removed a live record")
	}
}

func TestSweeperDisabled(t *testing.T) {
	before := runtime.NumGoroutine()
	clock := newClock()
	s := New(Options{Now: clock.Now, SweepInterval: -1})
	defer s.Close()
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after New with the sweeper disabled, %d before", n, before)
	}
	set(t, s, "k", clock.Now().Add(time.Second))
	clock.Advance(time.Minute)
	if _, err := s.Get(context.Background(), "k"); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Get of an expired record = %v, want ErrNotFound (expiry holds without the sweeper)", err)
	}
}

// waitGoroutines waits (bounded) until at most n goroutines run.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, want at most %d: leak\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCloseStopsSweeper(t *testing.T) {
	before := runtime.NumGoroutine()
	stores := make([]*Store, 10)
	for i := range stores {
		stores[i] = New(Options{SweepInterval: time.Millisecond})
	}
	if n := runtime.NumGoroutine(); n < before+len(stores) {
		t.Fatalf("%d goroutines with %d sweepers, %d before", n, len(stores), before)
	}
	// Close concurrently, twice each, while the store is in use.
	var wg sync.WaitGroup
	for _, s := range stores {
		for range 2 {
			wg.Add(2)
			go func() {
				defer wg.Done()
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}()
			go func() {
				defer wg.Done()
				set(t, s, "k", time.Now().Add(time.Minute))
			}()
		}
	}
	wg.Wait()
	waitGoroutines(t, before)
	// Still usable after Close, and Close again is fine.
	s := stores[0]
	if got := present(s, "k"); len(got) != 1 {
		t.Fatal("record lost after Close")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("third Close: %v", err)
	}
}

func TestEmptyUserMatchesNothing(t *testing.T) {
	s := New(Options{SweepInterval: -1})
	defer s.Close()
	set(t, s, "anon", time.Now().Add(time.Hour))
	recs, err := s.ByUser(context.Background(), "")
	if err != nil || len(recs) != 0 {
		t.Fatalf("ByUser(\"\") = %d records, %v; want none", len(recs), err)
	}
}

func TestRecordsAreCopied(t *testing.T) {
	s := New(Options{SweepInterval: -1})
	defer s.Close()
	ctx := context.Background()
	data := []byte("abc")
	if _, err := s.Swap(ctx, "k", sesh.Record{Data: data, Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	data[0] = 'X'
	var fromRange []byte
	s.Range(ctx, func(_ string, rec sesh.Record) bool { fromRange = rec.Data; return true })
	fromRange[1] = 'Y'
	rec, err := s.Get(ctx, "k")
	if err != nil || string(rec.Data) != "abc" {
		t.Fatalf("Get = %q, %v; want abc untouched by the caller's writes", rec.Data, err)
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	if !slices.Contains(sesh.Schemes(), "memory") {
		t.Fatalf("scheme memory not registered: %q", sesh.Schemes())
	}
	for _, u := range []string{"memory://", "memory:", "memory:///", "MEMORY://", "memory://?max=2&sweep=30s", "memory://?sweep=off"} {
		st, err := sesh.Open(ctx, u)
		if err != nil {
			t.Fatalf("Open(%q): %v", u, err)
		}
		s, ok := st.(*Store)
		if !ok {
			t.Fatalf("Open(%q) = %T, want *memstore.Store", u, st)
		}
		if err := s.Set(ctx, "k", sesh.Record{Data: []byte("v"), Expires: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if u == "memory://?max=2&sweep=30s" && s.max != 2 {
			t.Fatalf("Open(%q): max = %d, want 2", u, s.max)
		}
		s.Close()
	}

	before := runtime.NumGoroutine()
	st, err := sesh.Open(ctx, "memory://?sweep=off")
	if err != nil {
		t.Fatal(err)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("sweep=off started a goroutine (%d > %d)", n, before)
	}
	st.(*Store).Close()

	for u, want := range map[string]string{
		"memory://host":              "no host",
		"memory:///path":             "no host, path",
		"memory://user@":             "no host",
		"memory://#frag":             "fragment",
		"memory:opaque":              "no host",
		"memory://?bogus=1":          `unknown parameter "bogus"`,
		"memory://?max=-1":           "max=",
		"memory://?max=ten":          "max=",
		"memory://?sweep=0":          "sweep=",
		"memory://?sweep=-1m":        "sweep=",
		"memory://?sweep=soon":       "sweep=",
		"memory://?max=1&max=2":      "given 2 times",
		"memory://?max=1;sweep=1m":   "malformed query",
		"memory://?max=1&Sweep=1m":   `unknown parameter "Sweep"`,
		"memory://?max=1&sweep=1m&x": `unknown parameter "x"`,
	} {
		st, err := sesh.Open(ctx, u)
		if err == nil {
			st.(*Store).Close()
			t.Errorf("Open(%q) succeeded, want an error", u)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q) = %v, want it to mention %q", u, err, want)
		}
	}
}
