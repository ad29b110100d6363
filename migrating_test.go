package sesh_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/filestore"
	"github.com/sesh-go/sesh/memstore"
	"github.com/sesh-go/sesh/storetest"
)

func newMem(t *testing.T) *memstore.Store {
	s := memstore.New(memstore.Options{})
	t.Cleanup(func() { s.Close() })
	return s
}

func newFiles(t *testing.T, opts filestore.Options) *filestore.Store {
	s, err := filestore.New(filepath.Join(t.TempDir(), "sessions"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func migrating(t *testing.T, from, to sesh.Store) sesh.Store {
	t.Helper()
	m, err := sesh.Migrating(from, to)
	if err != nil {
		t.Fatalf("Migrating: %v", err)
	}
	return m
}

// noCAS is a memstore without compare-and-set (its versions are 0), as an
// old store such as cfkvstore or connectredis is.
type noCAS struct {
	sesh.Store
	sesh.Toucher
	sesh.Lister
	sesh.UserIndex
}

func (n noCAS) Get(ctx context.Context, key string) (sesh.Record, error) {
	rec, err := n.Store.Get(ctx, key)
	rec.Version = 0
	return rec, err
}

func (n noCAS) Range(ctx context.Context, fn func(string, sesh.Record) bool) error {
	return n.Lister.Range(ctx, func(k string, rec sesh.Record) bool { rec.Version = 0; return fn(k, rec) })
}

func (n noCAS) ByUser(ctx context.Context, u string) (map[string]sesh.Record, error) {
	recs, err := n.UserIndex.ByUser(ctx, u)
	for k, rec := range recs {
		rec.Version = 0
		recs[k] = rec
	}
	return recs, err
}

func newNoCAS(t *testing.T) noCAS {
	m := newMem(t)
	return noCAS{m, m, m, m}
}

func TestMigratingConformance(t *testing.T) {
	t.Run("memstore to memstore", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) sesh.Store { return migrating(t, newMem(t), newMem(t)) })
	})
	t.Run("memstore to filestore", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) sesh.Store {
			return migrating(t, newMem(t), newFiles(t, filestore.Options{}))
		})
	})
	t.Run("filestore to memstore", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) sesh.Store {
			return migrating(t, newFiles(t, filestore.Options{}), newMem(t))
		})
	})
	t.Run("no compare-and-set to memstore", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) sesh.Store { return migrating(t, newNoCAS(t), newMem(t)) })
	})
}

func TestMigratingArguments(t *testing.T) {
	m := newMem(t)
	if _, err := sesh.Migrating(nil, m); err == nil {
		t.Error("Migrating(nil, store) succeeded")
	}
	if _, err := sesh.Migrating(m, nil); err == nil {
		t.Error("Migrating(store, nil) succeeded")
	}
	if _, err := sesh.Migrating(m, m); err == nil {
		t.Error("Migrating(s, s) succeeded")
	}
}

func TestMigratingCapabilities(t *testing.T) {
	type caps struct{ touch, swap, list, users, purge, ping, create bool }
	of := func(s sesh.Store) caps {
		_, t := s.(sesh.Toucher)
		_, sw := s.(sesh.Swapper)
		_, l := s.(sesh.Lister)
		_, u := s.(sesh.UserIndex)
		_, p := s.(sesh.Purger)
		_, pi := s.(sesh.Pinger)
		_, c := s.(sesh.Creator)
		return caps{t, sw, l, u, p, pi, c}
	}
	mem := func() sesh.Store { return newMem(t) }
	files := func() sesh.Store { return newFiles(t, filestore.Options{}) }
	plain := func() sesh.Store { return plainStore{newMem(t)} }
	for _, c := range []struct {
		name     string
		from, to func() sesh.Store
		want     caps
	}{
		{"memstore to memstore", mem, mem, caps{true, true, true, true, false, true, false}},
		{"memstore to filestore", mem, files, caps{true, true, true, true, true, true, false}},
		{"filestore to memstore", files, mem, caps{true, true, true, true, false, true, false}},
		{"plain to memstore", plain, mem, caps{false, true, false, false, false, true, false}},
		{"memstore to plain", mem, plain, caps{false, false, false, false, false, true, false}},
		{"no compare-and-set to memstore", func() sesh.Store { return newNoCAS(t) }, mem, caps{true, true, true, true, false, true, false}},
	} {
		if got := of(migrating(t, c.from(), c.to())); got != c.want {
			t.Errorf("%s: capabilities %+v, want %+v", c.name, got, c.want)
		}
	}
}

var hour = func() time.Time { return time.Now().Add(time.Hour) }

// pairs runs f over a Migrating from a memstore with compare-and-set and
// from one without.
func pairs(t *testing.T, f func(t *testing.T, old sesh.Store, new *memstore.Store, m sesh.Store)) {
	t.Run("old with compare-and-set", func(t *testing.T) {
		old, nw := newMem(t), newMem(t)
		f(t, old, nw, migrating(t, old, nw))
	})
	t.Run("old without compare-and-set", func(t *testing.T) {
		old, nw := newNoCAS(t), newMem(t)
		f(t, old, nw, migrating(t, old, nw))
	})
}

func mustRec(t *testing.T, s sesh.Store, key string) sesh.Record {
	t.Helper()
	rec, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%s): %v", key, err)
	}
	return rec
}

func wantAbsent(t *testing.T, what string, s sesh.Store, key string) {
	t.Helper()
	if rec, err := s.Get(context.Background(), key); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("%s: Get(%s) = (%q, %v), want ErrNotFound", what, key, rec.Data, err)
	}
}

func TestMigratingMovesOnWrite(t *testing.T) {
	pairs(t, func(t *testing.T, old sesh.Store, nw *memstore.Store, m sesh.Store) {
		ctx := context.Background()
		sw := m.(sesh.Swapper)
		must(t, old.Set(ctx, "k", sesh.Record{Data: []byte("a"), Expires: hour(), UserID: "u"}))
		got := mustRec(t, m, "k")
		if string(got.Data) != "a" || got.UserID != "u" || got.Version >= 0 {
			t.Fatalf("Get of an old record = %q user %q version %d, want a, u and a negative version", got.Data, got.UserID, got.Version)
		}
		mustRec(t, old, "k") // a read moves nothing
		wantAbsent(t, "new store after a read", nw, "k")

		exp := hour().Add(time.Hour)
		v, err := sw.Swap(ctx, "k", sesh.Record{Data: []byte("b"), Expires: exp, UserID: "u", Version: got.Version})
		if err != nil || v <= 0 {
			t.Fatalf("Swap of an old record = (%d, %v), want a positive version", v, err)
		}
		wantAbsent(t, "old store after the move", old, "k")
		moved := mustRec(t, nw, "k")
		if string(moved.Data) != "b" || moved.Version != v || moved.UserID != "u" || !moved.Expires.Equal(exp) {
			t.Fatalf("new store after the move: %q v%d user %q exp %v; want b v%d u %v", moved.Data, moved.Version, moved.UserID, moved.Expires, v, exp)
		}
		if _, err := sw.Swap(ctx, "k", sesh.Record{Data: []byte("stale"), Expires: hour(), Version: got.Version}); !errors.Is(err, sesh.ErrConflict) {
			t.Fatalf("Swap with the old version after the move = %v, want ErrConflict", err)
		}
		if v2, err := sw.Swap(ctx, "k", sesh.Record{Data: []byte("c"), Expires: hour(), Version: v}); err != nil || v2 == v {
			t.Fatalf("Swap with the new version = (%d, %v)", v2, err)
		}
		if d := mustRec(t, m, "k").Data; string(d) != "c" {
			t.Fatalf("Get after two Swaps = %q, want c", d)
		}

		// Set moves too.
		must(t, old.Set(ctx, "s", sesh.Record{Data: []byte("old"), Expires: hour()}))
		must(t, m.Set(ctx, "s", sesh.Record{Data: []byte("set"), Expires: hour()}))
		wantAbsent(t, "old store after Set", old, "s")
		if d := mustRec(t, nw, "s").Data; string(d) != "set" {
			t.Fatalf("new store after Set = %q", d)
		}

		// Insert (version 0) is refused while the old store holds the key.
		must(t, old.Set(ctx, "taken", sesh.Record{Data: []byte("x"), Expires: hour()}))
		if _, err := sw.Swap(ctx, "taken", sesh.Record{Data: []byte("y"), Expires: hour()}); !errors.Is(err, sesh.ErrConflict) {
			t.Fatalf("insert over an old record = %v, want ErrConflict", err)
		}
		wantAbsent(t, "new store after a refused insert", nw, "taken")
	})
}

// TestMigratingVersionSpaces: two memstores both number versions from 1, so
// a record's version in the old store equals another's in the new store;
// the caller's version still names the store it read.
func TestMigratingVersionSpaces(t *testing.T) {
	ctx := context.Background()
	old, nw := newMem(t), newMem(t)
	m := migrating(t, old, nw)
	sw := m.(sesh.Swapper)
	must(t, old.Set(ctx, "k", sesh.Record{Data: []byte("old"), Expires: hour()}))
	oldV := mustRec(t, old, "k").Version
	stale := mustRec(t, m, "k")
	// Another request moves it; the new store happens to use the same
	// number as the old store did.
	if _, err := sw.Swap(ctx, "k", sesh.Record{Data: []byte("moved"), Expires: hour(), Version: stale.Version}); err != nil {
		t.Fatal(err)
	}
	if nv := mustRec(t, nw, "k").Version; nv != oldV {
		t.Fatalf("new store's version %d, old store's %d: the test needs them equal (two fresh memstores)", nv, oldV)
	}
	if _, err := sw.Swap(ctx, "k", sesh.Record{Data: []byte("stale"), Expires: hour(), Version: stale.Version}); !errors.Is(err, sesh.ErrConflict) {
		t.Fatalf("Swap with the version read from the old store = %v, want ErrConflict", err)
	}
}

// hooked wraps a memstore and runs a hook once before a chosen call.
type hooked struct {
	*memstore.Store
	beforeGet, beforeSwap, beforeTouch, beforeDelete atomic.Pointer[func()]
}

func (h *hooked) Delete(ctx context.Context, key string) error {
	once(&h.beforeDelete)
	return h.Store.Delete(ctx, key)
}

func once(p *atomic.Pointer[func()]) {
	if f := p.Swap(nil); f != nil {
		(*f)()
	}
}

func (h *hooked) Get(ctx context.Context, key string) (sesh.Record, error) {
	once(&h.beforeGet)
	return h.Store.Get(ctx, key)
}

func (h *hooked) Swap(ctx context.Context, key string, rec sesh.Record) (int64, error) {
	once(&h.beforeSwap)
	return h.Store.Swap(ctx, key, rec)
}

func (h *hooked) Touch(ctx context.Context, key string, exp time.Time) error {
	once(&h.beforeTouch)
	return h.Store.Touch(ctx, key, exp)
}

func hook(p *atomic.Pointer[func()], f func()) { p.Store(&f) }

func TestMigratingDestroyWins(t *testing.T) {
	ctx := context.Background()
	live := func(data string) sesh.Record { return sesh.Record{Data: []byte(data), Expires: hour()} }
	gone := func(t *testing.T, old, nw, m sesh.Store, key string) {
		t.Helper()
		wantAbsent(t, "old store", old, key)
		wantAbsent(t, "new store", nw, key)
		wantAbsent(t, "migrating store", m, key)
	}

	t.Run("DeleteBeforeTheWrite", func(t *testing.T) {
		pairs(t, func(t *testing.T, old sesh.Store, nw *memstore.Store, m sesh.Store) {
			must(t, old.Set(ctx, "k", live("a")))
			read := mustRec(t, m, "k")
			must(t, m.Delete(ctx, "k"))
			if _, err := m.(sesh.Swapper).Swap(ctx, "k", sesh.Record{Data: []byte("back"), Expires: hour(), Version: read.Version}); !errors.Is(err, sesh.ErrNotFound) {
				t.Fatalf("Swap after Delete = %v, want ErrNotFound", err)
			}
			gone(t, old, nw, m, "k")
		})
	})

	// A Delete that completes between the move's check of the old record
	// and its insert into the new store: the insert succeeds (the new
	// store is empty), then the old record is found gone and the insert
	// is undone.
	t.Run("DeleteBeforeTheInsert", func(t *testing.T) {
		old, nw := newMem(t), &hooked{Store: newMem(t)}
		m := migrating(t, old, nw)
		must(t, old.Set(ctx, "k", live("a")))
		read := mustRec(t, m, "k")
		hook(&nw.beforeSwap, func() { must(t, m.Delete(ctx, "k")) })
		if _, err := m.(sesh.Swapper).Swap(ctx, "k", sesh.Record{Data: []byte("back"), Expires: hour(), Version: read.Version}); !errors.Is(err, sesh.ErrNotFound) {
			t.Fatalf("Swap racing a Delete = %v, want ErrNotFound", err)
		}
		gone(t, old, nw, m, "k")
	})

	// A Delete between the insert and the end of the old record.
	t.Run("DeleteDuringTheMove", func(t *testing.T) {
		old, nw := &hooked{Store: newMem(t)}, newMem(t)
		m := migrating(t, old, nw)
		must(t, old.Set(ctx, "k", live("a")))
		read := mustRec(t, m, "k")
		hook(&old.beforeSwap, func() { must(t, m.Delete(ctx, "k")) })
		if _, err := m.(sesh.Swapper).Swap(ctx, "k", sesh.Record{Data: []byte("back"), Expires: hour(), Version: read.Version}); !errors.Is(err, sesh.ErrNotFound) {
			t.Fatalf("Swap racing a Delete = %v, want ErrNotFound", err)
		}
		gone(t, old, nw, m, "k")
	})

	// A move that runs entirely inside a Delete, after the Delete's first
	// step: Delete ends the old record first, so the move either happens
	// before (and the Delete's second step removes what it wrote) or finds
	// the old record gone.
	t.Run("MoveDuringDelete", func(t *testing.T) {
		old, nw := &hooked{Store: newMem(t)}, newMem(t)
		m := migrating(t, old, nw)
		must(t, old.Set(ctx, "k", live("a")))
		read := mustRec(t, m, "k")
		hook(&old.beforeDelete, func() {
			if _, err := m.(sesh.Swapper).Swap(ctx, "k", sesh.Record{Data: []byte("moved"), Expires: hour(), Version: read.Version}); err != nil {
				t.Errorf("move inside Delete: %v", err)
			}
		})
		must(t, m.Delete(ctx, "k"))
		gone(t, old, nw, m, "k")
	})

	t.Run("TwoMoves", func(t *testing.T) {
		pairs(t, func(t *testing.T, old sesh.Store, nw *memstore.Store, m sesh.Store) {
			must(t, old.Set(ctx, "k", live("a")))
			r1, r2 := mustRec(t, m, "k"), mustRec(t, m, "k")
			sw := m.(sesh.Swapper)
			if _, err := sw.Swap(ctx, "k", sesh.Record{Data: []byte("first"), Expires: hour(), Version: r1.Version}); err != nil {
				t.Fatal(err)
			}
			if _, err := sw.Swap(ctx, "k", sesh.Record{Data: []byte("second"), Expires: hour(), Version: r2.Version}); !errors.Is(err, sesh.ErrConflict) {
				t.Fatalf("second move = %v, want ErrConflict", err)
			}
			if d := mustRec(t, m, "k").Data; string(d) != "first" {
				t.Fatalf("after two moves: %q", d)
			}
			wantAbsent(t, "old store", old, "k")
		})
	})

	// A Swap that ends an old record (a lock's release) ends it in place.
	t.Run("EndInOld", func(t *testing.T) {
		pairs(t, func(t *testing.T, old sesh.Store, nw *memstore.Store, m sesh.Store) {
			must(t, old.Set(ctx, "k", live("a")))
			r := mustRec(t, m, "k")
			if _, err := m.(sesh.Swapper).Swap(ctx, "k", sesh.Record{Expires: time.Now().Add(-time.Minute), Version: r.Version}); err != nil {
				t.Fatalf("ending Swap: %v", err)
			}
			gone(t, old, nw, m, "k")
			if _, err := m.(sesh.Swapper).Swap(ctx, "k", sesh.Record{Data: []byte("back"), Expires: hour(), Version: r.Version}); !errors.Is(err, sesh.ErrNotFound) {
				t.Fatalf("Swap after the end = %v, want ErrNotFound", err)
			}
			gone(t, old, nw, m, "k")
		})
	})

	// The key is held by both stores (a plain `sesh copy` into the new
	// store): the new record wins, and ending or emptying it deletes the
	// old copy, which would otherwise come back once the new record is
	// gone.
	t.Run("CopyInBoth", func(t *testing.T) {
		pairs(t, func(t *testing.T, old sesh.Store, nw *memstore.Store, m sesh.Store) {
			sw := m.(sesh.Swapper)
			for _, c := range []struct {
				name string
				rec  sesh.Record
			}{
				{"end", sesh.Record{Expires: time.Now().Add(-time.Minute)}},
				{"tombstone", sesh.Record{Expires: time.Now().Add(time.Second)}},
			} {
				must(t, old.Set(ctx, "k", live("old copy")))
				must(t, nw.Set(ctx, "k", live("current")))
				r := mustRec(t, m, "k")
				if string(r.Data) != "current" || r.Version <= 0 {
					t.Fatalf("%s: Get of a key in both = %q v%d, want the new store's", c.name, r.Data, r.Version)
				}
				c.rec.Version = r.Version
				if _, err := sw.Swap(ctx, "k", c.rec); err != nil {
					t.Fatalf("%s: Swap: %v", c.name, err)
				}
				wantAbsent(t, c.name+": old store", old, "k")
				must(t, nw.Delete(ctx, "k")) // the tombstone's expiry
				wantAbsent(t, c.name+": migrating store", m, "k")
			}
			// Delete removes both.
			must(t, old.Set(ctx, "d", live("old copy")))
			must(t, nw.Set(ctx, "d", live("current")))
			must(t, m.Delete(ctx, "d"))
			gone(t, old, nw, m, "d")
		})
	})
}

// TestMigratingReadDuringMove: a record moved between the read of the new
// store and the read of the old one is still found; so is one touched.
func TestMigratingReadDuringMove(t *testing.T) {
	ctx := context.Background()
	old, nw := &hooked{Store: newMem(t)}, newMem(t)
	m := migrating(t, old, nw)
	sw := m.(sesh.Swapper)
	move := func(key string) func() {
		return func() {
			r, err := old.Store.Get(ctx, key)
			must(t, err)
			if _, err := sw.Swap(ctx, key, sesh.Record{Data: []byte("moved"), Expires: hour(), Version: ^r.Version}); err != nil {
				t.Errorf("move: %v", err)
			}
		}
	}
	must(t, old.Set(ctx, "g", sesh.Record{Data: []byte("a"), Expires: hour()}))
	hook(&old.beforeGet, move("g"))
	if r := mustRec(t, m, "g"); string(r.Data) != "moved" {
		t.Fatalf("Get during a move = %q", r.Data)
	}

	must(t, old.Set(ctx, "t", sesh.Record{Data: []byte("a"), Expires: hour()}))
	hook(&old.beforeTouch, move("t"))
	exp := hour().Add(time.Hour)
	if err := m.(sesh.Toucher).Touch(ctx, "t", exp); err != nil {
		t.Fatalf("Touch during a move: %v", err)
	}
	if r := mustRec(t, nw, "t"); !r.Expires.Equal(exp) {
		t.Fatalf("Touch during a move left expiry %v, want %v", r.Expires, exp)
	}
}

func TestMigratingTouch(t *testing.T) {
	pairs(t, func(t *testing.T, old sesh.Store, nw *memstore.Store, m sesh.Store) {
		ctx := context.Background()
		tc := m.(sesh.Toucher)
		must(t, old.Set(ctx, "k", sesh.Record{Data: []byte("a"), Expires: hour(), UserID: "u"}))
		before := mustRec(t, m, "k")
		exp := hour().Add(time.Hour)
		must(t, tc.Touch(ctx, "k", exp))
		after := mustRec(t, m, "k")
		if !after.Expires.Equal(exp) || after.Version != before.Version || string(after.Data) != "a" {
			t.Fatalf("after Touch: %q v%d exp %v; want a v%d exp %v", after.Data, after.Version, after.Expires, before.Version, exp)
		}
		if r := mustRec(t, old, "k"); !r.Expires.Equal(exp) {
			t.Fatalf("old store after Touch: exp %v", r.Expires)
		}
		wantAbsent(t, "new store after Touch (Touch moves nothing)", nw, "k")
		// The version read before the Touch still moves the record.
		if _, err := m.(sesh.Swapper).Swap(ctx, "k", sesh.Record{Data: []byte("b"), Expires: exp, Version: before.Version}); err != nil {
			t.Fatalf("Swap after Touch: %v", err)
		}
		if err := tc.Touch(ctx, "missing", exp); !errors.Is(err, sesh.ErrNotFound) {
			t.Fatalf("Touch of a missing key = %v", err)
		}
	})
}

func TestMigratingListsBothStores(t *testing.T) {
	pairs(t, func(t *testing.T, old sesh.Store, nw *memstore.Store, m sesh.Store) {
		ctx := context.Background()
		set := func(s sesh.Store, key, data, user string) {
			must(t, s.Set(ctx, key, sesh.Record{Data: []byte(data), Expires: hour(), UserID: user}))
		}
		set(old, "a", "old a", "u1")
		set(old, "b", "old b", "u1")
		set(old, "c", "old c", "u2")
		set(old, "both", "old copy", "u1")
		must(t, old.Set(ctx, "expired", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(-time.Minute), UserID: "u1"}))
		set(nw, "d", "new d", "u1")
		set(nw, "both", "current", "u2")

		l := m.(sesh.Lister)
		got := map[string]sesh.Record{}
		must(t, l.Range(ctx, func(k string, r sesh.Record) bool {
			if _, dup := got[k]; dup {
				t.Errorf("Range reported %s twice", k)
			}
			got[k] = r
			return true
		}))
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range got {
				if !yield(k) {
					return
				}
			}
		})
		if want := []string{"a", "b", "both", "c", "d"}; !slices.Equal(keys, want) {
			t.Fatalf("Range = %q, want %q", keys, want)
		}
		if d := got["both"].Data; string(d) != "current" {
			t.Fatalf("Range: the key in both stores reads %q, want the new store's", d)
		}
		for k, r := range got {
			if fromOld := k == "a" || k == "b" || k == "c"; fromOld != (r.Version < 0) {
				t.Errorf("Range: %s has version %d", k, r.Version)
			}
			if mr := mustRec(t, m, k); mr.Version != r.Version {
				t.Errorf("Range: %s version %d, Get says %d", k, r.Version, mr.Version)
			}
		}
		calls := 0
		must(t, l.Range(ctx, func(string, sesh.Record) bool { calls++; return false }))
		if calls != 1 {
			t.Fatalf("Range after fn returned false made %d calls", calls)
		}
		if n, err := l.Len(ctx); err != nil || n != 5 {
			t.Fatalf("Len = (%d, %v), want 5", n, err)
		}

		ui := m.(sesh.UserIndex)
		byUser := func(u string) []string {
			recs, err := ui.ByUser(ctx, u)
			must(t, err)
			for k, r := range recs {
				if r.UserID != u {
					t.Errorf("ByUser(%s): %s has user %q", u, k, r.UserID)
				}
				if mr := mustRec(t, m, k); mr.Version != r.Version || !slices.Equal(mr.Data, r.Data) {
					t.Errorf("ByUser(%s): %s differs from Get", u, k)
				}
			}
			return slices.Sorted(func(yield func(string) bool) {
				for k := range recs {
					if !yield(k) {
						return
					}
				}
			})
		}
		if got, want := byUser("u1"), []string{"a", "b", "d"}; !slices.Equal(got, want) {
			t.Fatalf("ByUser(u1) = %q, want %q (the key in both belongs to u2 in the new store)", got, want)
		}
		if got, want := byUser("u2"), []string{"both", "c"}; !slices.Equal(got, want) {
			t.Fatalf("ByUser(u2) = %q, want %q", got, want)
		}

		// Once the old store is empty, Len is the new store's.
		for _, k := range []string{"a", "b", "c", "both"} {
			must(t, old.Delete(ctx, k))
		}
		if n, err := l.Len(ctx); err != nil || n != 2 {
			t.Fatalf("Len with the old store empty = (%d, %v), want 2", n, err)
		}
		set(old, "a", "old a", "u1")
		must(t, l.Clear(ctx))
		if n, err := l.Len(ctx); err != nil || n != 0 {
			t.Fatalf("Len after Clear = (%d, %v)", n, err)
		}
		wantAbsent(t, "old store after Clear", old, "a")
	})
}

func TestMigratingPingPurge(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	oldFiles := newFiles(t, filestore.Options{Now: clock.Now, SweepInterval: -1})
	newFilesStore := newFiles(t, filestore.Options{Now: clock.Now, SweepInterval: -1})
	m := migrating(t, oldFiles, newFilesStore)
	exp := clock.Now().Add(time.Hour)
	for i := range 3 {
		must(t, oldFiles.Set(ctx, fmt.Sprintf("o%d", i), sesh.Record{Data: []byte("x"), Expires: exp}))
	}
	for i := range 2 {
		must(t, newFilesStore.Set(ctx, fmt.Sprintf("n%d", i), sesh.Record{Data: []byte("x"), Expires: exp}))
	}
	must(t, newFilesStore.Set(ctx, "live", sesh.Record{Data: []byte("x"), Expires: exp.Add(2 * time.Hour)}))
	clock.Advance(2 * time.Hour)
	n, err := m.(sesh.Purger).Purge(ctx)
	if err != nil || n != 5 {
		t.Fatalf("Purge = (%d, %v), want 5 (3 old, 2 new)", n, err)
	}
	mustRec(t, m, "live")
	if err := m.(sesh.Pinger).Ping(ctx); err != nil {
		t.Fatalf("Ping of two filestores: %v", err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := m.(sesh.Pinger).Ping(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Ping with a cancelled context = %v", err)
	}
}

// negative returns negative versions, which Migrating cannot tell from its
// own tags.
type negative struct{ *memstore.Store }

func (n negative) Get(ctx context.Context, key string) (sesh.Record, error) {
	rec, err := n.Store.Get(ctx, key)
	rec.Version = -rec.Version
	return rec, err
}

func TestMigratingRefusesNegativeVersions(t *testing.T) {
	ctx := context.Background()
	bad := negative{newMem(t)}
	must(t, bad.Set(ctx, "k", sesh.Record{Data: []byte("x"), Expires: hour()}))
	if _, err := migrating(t, bad, newMem(t)).Get(ctx, "k"); err == nil || !strings.Contains(err.Error(), "negative version") {
		t.Fatalf("Get of an old store with negative versions = %v", err)
	}
	if _, err := migrating(t, newMem(t), bad).Get(ctx, "k"); err == nil || !strings.Contains(err.Error(), "negative version") {
		t.Fatalf("Get of a new store with negative versions = %v", err)
	}
}

// migrationSite serves the same routes through a Manager on st.
func migrationSite(t *testing.T, st sesh.Store) (*sesh.Manager, *httptest.Server) {
	m, err := sesh.New(sesh.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/login", login)
	mux.HandleFunc("/me", whoami)
	mux.HandleFunc("/logout", logout)
	mux.HandleFunc("/touch", func(w http.ResponseWriter, r *http.Request) { sesh.From(r.Context()).Touch() })
	mux.HandleFunc("/regen", func(w http.ResponseWriter, r *http.Request) { sesh.From(r.Context()).Regenerate() })
	mux.HandleFunc("/inc", func(w http.ResponseWriter, r *http.Request) {
		n, err := sesh.Update(sesh.From(r.Context()), "n", func(n int, _ bool) (int, error) { return n + 1, nil })
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprint(w, n)
	})
	mux.HandleFunc("/n", func(w http.ResponseWriter, r *http.Request) {
		n, _ := sesh.Get[int](sesh.From(r.Context()), "n")
		fmt.Fprint(w, n)
	})
	srv := httptest.NewServer(m.Handler(mux))
	t.Cleanup(srv.Close)
	return m, srv
}

// migGet makes a request with cookie and returns the body and the session
// cookie set, if any ("" when none; "-" when the cookie is expired).
func migGet(t *testing.T, url, cookie string) (string, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	must(t, err)
	if cookie != "" {
		req.Header.Set("Cookie", cn+"="+cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	set := ""
	for _, c := range resp.Cookies() {
		if c.Name == cn {
			set = c.Value
			if c.MaxAge < 0 || c.Value == "" {
				set = "-"
			}
		}
	}
	return string(b), set
}

// TestMigratingManager walks a session signed in on the old store through
// a deployment on Migrating: read, touched, written, listed, signed out.
func TestMigratingManager(t *testing.T) {
	ctx := context.Background()
	old, nw := newMem(t), newMem(t)
	_, before := migrationSite(t, old)
	_, set := migGet(t, before.URL+"/login", "")
	if set == "" || set == "-" {
		t.Fatal("login set no cookie")
	}
	cookie := set
	key := sesh.HashID(cookie)

	m, after := migrationSite(t, migrating(t, old, nw))
	if who, set := migGet(t, after.URL+"/me", cookie); who != "alice" || set != "" {
		t.Fatalf("after the switch: /me = %q (Set-Cookie %q), want alice and no cookie", who, set)
	}
	wantAbsent(t, "new store after a read", nw, key)
	oldExp := mustRec(t, old, key).Expires
	time.Sleep(5 * time.Millisecond)
	migGet(t, after.URL+"/touch", cookie)
	if r := mustRec(t, old, key); !r.Expires.After(oldExp) {
		t.Fatalf("Touch left the old record's expiry at %v", r.Expires)
	}
	wantAbsent(t, "new store after a touch", nw, key)

	if list, err := m.UserSessions(ctx, "alice", nil); err != nil || len(list) != 1 || list[0].Handle != sesh.Handle(key) {
		t.Fatalf("UserSessions before the move = %+v, %v", list, err)
	}
	if n, set := migGet(t, after.URL+"/inc", cookie); n != "1" || set != "" {
		t.Fatalf("/inc = %q (Set-Cookie %q)", n, set)
	}
	wantAbsent(t, "old store after a write", old, key)
	mustRec(t, nw, key)
	if who, _ := migGet(t, after.URL+"/me", cookie); who != "alice" {
		t.Fatalf("after the move: /me = %q", who)
	}
	if list, err := m.UserSessions(ctx, "alice", nil); err != nil || len(list) != 1 {
		t.Fatalf("UserSessions after the move = %+v, %v", list, err)
	}
	if _, set := migGet(t, after.URL+"/logout", cookie); set != "-" {
		t.Fatalf("logout set cookie %q, want it expired", set)
	}
	wantAbsent(t, "old store after logout", old, key)
	wantAbsent(t, "new store after logout", nw, key)
	if who, _ := migGet(t, after.URL+"/me", cookie); who != "" {
		t.Fatalf("after logout: /me = %q", who)
	}
}

// TestMigratingConcurrentMoves: a session signed in on the old store is
// hammered by parallel requests on two Managers over Migrating, so many of
// them race to move it. No increment may be lost.
func TestMigratingConcurrentMoves(t *testing.T) {
	const clients, increments = 16, 10
	old, nw := newMem(t), newMem(t)
	_, before := migrationSite(t, old)
	_, cookie := migGet(t, before.URL+"/login", "")
	mig := migrating(t, old, nw)
	_, a := migrationSite(t, mig)
	_, b := migrationSite(t, mig)
	var wg sync.WaitGroup
	var busy atomic.Int64
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			url := []string{a.URL, b.URL}[c%2] + "/inc"
			for range increments {
				for retry := 0; ; retry++ {
					req, _ := http.NewRequest("GET", url, nil)
					req.Header.Set("Cookie", cn+"="+cookie)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode == 200 {
						break
					}
					if resp.StatusCode != http.StatusServiceUnavailable || retry == 50 {
						t.Errorf("client %d: %d %s", c, resp.StatusCode, body)
						return
					}
					busy.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if n, _ := migGet(t, a.URL+"/n", cookie); n != strconv.Itoa(clients*increments) {
		t.Fatalf("counter = %s, want %d (%d answers were 503 and retried)", n, clients*increments, busy.Load())
	}
	wantAbsent(t, "old store", old, sesh.HashID(cookie))
	if who, _ := migGet(t, b.URL+"/me", cookie); who != "alice" {
		t.Fatalf("/me = %q", who)
	}
}

// TestMigratingRegenerateVersusLogout: a request that loaded a session of
// the old store and regenerates it must not bring it back when a logout
// through Migrating completes while it runs: before it commits, or between
// its insert of the new record and the move of the old one.
func TestMigratingRegenerateVersusLogout(t *testing.T) {
	for _, midway := range []bool{false, true} {
		t.Run(fmt.Sprintf("midway=%v", midway), func(t *testing.T) {
			old, nw := &keyHooked{Store: newMem(t)}, newMem(t)
			_, before := migrationSite(t, old)
			loaded, proceed := make(chan struct{}), make(chan struct{})
			m, err := sesh.New(sesh.Config{Store: migrating(t, old, nw)})
			must(t, err)
			mux := http.NewServeMux()
			mux.HandleFunc("/logout", logout)
			mux.HandleFunc("/me", whoami)
			mux.HandleFunc("/regen", func(w http.ResponseWriter, r *http.Request) {
				s := sesh.From(r.Context())
				s.Has("user")
				loaded <- struct{}{}
				<-proceed
				s.Regenerate()
				s.Set("regenerated", true)
			})
			after := httptest.NewServer(m.Handler(mux))
			defer after.Close()
			for trial := range 10 {
				_, cookie := migGet(t, before.URL+"/login", "")
				key := sesh.HashID(cookie)
				type result struct{ body, set string }
				done := make(chan result, 1)
				go func() {
					b, set := getNoFatal(after.URL+"/regen", cookie)
					done <- result{b, set}
				}()
				<-loaded
				logoutNow := func() {
					if _, set := getNoFatal(after.URL+"/logout", cookie); set != "-" {
						t.Errorf("trial %d: logout set cookie %q", trial, set)
					}
				}
				if midway {
					// The move's first look at the old record runs the
					// logout first.
					old.arm(key, logoutNow)
				} else {
					logoutNow()
				}
				proceed <- struct{}{}
				r := <-done
				if midway && old.armed() {
					t.Fatalf("trial %d: the regenerating request never read the old record at commit", trial)
				}
				for _, c := range []string{cookie, r.set} {
					if c == "" || c == "-" {
						continue
					}
					if who, _ := migGet(t, after.URL+"/me", c); who != "" {
						t.Fatalf("trial %d: a cookie reads user %q after the logout", trial, who)
					}
				}
				wantAbsent(t, "old store", old, key)
				if rec, err := nw.Get(context.Background(), key); err == nil && len(rec.Data) > 0 {
					t.Fatalf("trial %d: the new store holds the old key with data", trial)
				}
			}
		})
	}
}

// keyHooked runs a hook once, before the first Get of one key.
type keyHooked struct {
	*memstore.Store
	mu   sync.Mutex
	key  string
	hook func()
}

func (h *keyHooked) arm(key string, f func()) {
	h.mu.Lock()
	h.key, h.hook = key, f
	h.mu.Unlock()
}

func (h *keyHooked) armed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hook != nil
}

func (h *keyHooked) Get(ctx context.Context, key string) (sesh.Record, error) {
	h.mu.Lock()
	var f func()
	if h.hook != nil && key == h.key {
		f, h.hook = h.hook, nil
	}
	h.mu.Unlock()
	if f != nil {
		f()
	}
	return h.Store.Get(ctx, key)
}

func getNoFatal(url, cookie string) (string, string) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Cookie", cn+"="+cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, c := range resp.Cookies() {
		if c.Name == cn {
			if c.MaxAge < 0 || c.Value == "" {
				return string(b), "-"
			}
			return string(b), c.Value
		}
	}
	return string(b), ""
}
