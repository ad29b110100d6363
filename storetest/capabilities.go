package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

// capability returns the store as C, or skips the test.
func capability[C any](t *testing.T, s *suite, name string) (sesh.Store, C) {
	t.Helper()
	st := s.newStore(t)
	c, ok := st.(C)
	if !ok {
		t.Skipf("store %T does not implement sesh.%s", st, name)
	}
	return st, c
}

func (s *suite) testToucher(t *testing.T) {
	st := s.newStore(t)
	if _, ok := st.(sesh.Toucher); !ok {
		t.Skipf("store %T does not implement sesh.Toucher", st)
	}

	t.Run("Extend", func(t *testing.T) {
		st, tc := capability[sesh.Toucher](t, s, "Toucher")
		var exp1, exp2 time.Time
		var before sesh.Record
		for ttl := s.shortTTL(); ; ttl = s.longerTTL(t, ttl) {
			exp1 = time.Now().Add(ttl)
			mustSet(t, st, "k", sesh.Record{Data: []byte("keep me"), Expires: exp1, UserID: "u"})
			var gerr, terr error
			before, gerr = st.Get(testCtx(t), "k")
			exp2 = time.Now().Add(time.Hour)
			terr = tc.Touch(testCtx(t), "k", exp2)
			if !s.inTime(exp1) {
				continue // the Get or the Touch may have run after exp1
			}
			if gerr != nil {
				t.Fatalf("Get before Touch: %v", gerr)
			}
			if terr != nil {
				t.Fatalf("Touch: %v", terr)
			}
			break
		}
		after := mustGet(t, st, "k")
		checkData(t, "Get after Touch", after.Data, []byte("keep me"))
		checkTime(t, "Get after Touch", after.Expires, exp2, s.prec)
		if after.Version != before.Version {
			t.Fatalf("Touch changed Version from %d to %d", before.Version, after.Version)
		}
		if _, ok := st.(sesh.UserIndex); ok && after.UserID != "u" {
			t.Fatalf("Touch changed UserID to %q", after.UserID)
		}
		s.waitPast(exp1)
		got := mustGet(t, st, "k") // past the old expiry: still there
		checkData(t, "Get past the old expiry", got.Data, []byte("keep me"))
	})

	t.Run("Shorten", func(t *testing.T) {
		st, tc := capability[sesh.Toucher](t, s, "Toucher")
		mustSet(t, st, "k", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(24 * time.Hour)})
		exp := time.Now().Add(time.Hour)
		if err := tc.Touch(testCtx(t), "k", exp); err != nil {
			t.Fatalf("Touch: %v", err)
		}
		checkTime(t, "Get after Touch", mustGet(t, st, "k").Expires, exp, s.prec)
	})

	t.Run("Missing", func(t *testing.T) {
		st, tc := capability[sesh.Toucher](t, s, "Toucher")
		if err := tc.Touch(testCtx(t), "missing", time.Now().Add(time.Hour)); !errors.Is(err, sesh.ErrNotFound) {
			t.Fatalf("Touch of a missing key = %v, want ErrNotFound", err)
		}
		wantNotFound(t, st, "missing") // Touch never creates
	})

	t.Run("Expired", func(t *testing.T) {
		st, tc := capability[sesh.Toucher](t, s, "Toucher")
		mustSet(t, st, "k", sesh.Record{Data: []byte("x"), Expires: s.past()})
		if err := tc.Touch(testCtx(t), "k", time.Now().Add(time.Hour)); !errors.Is(err, sesh.ErrNotFound) {
			t.Fatalf("Touch of an expired key = %v, want ErrNotFound", err)
		}
		wantNotFound(t, st, "k") // Touch never revives
	})

	t.Run("AfterDelete", func(t *testing.T) {
		st, tc := capability[sesh.Toucher](t, s, "Toucher")
		mustSet(t, st, "k", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)})
		mustDelete(t, st, "k")
		if err := tc.Touch(testCtx(t), "k", time.Now().Add(time.Hour)); !errors.Is(err, sesh.ErrNotFound) {
			t.Fatalf("Touch of a deleted key = %v, want ErrNotFound", err)
		}
		wantNotFound(t, st, "k")
	})

	t.Run("IntoPast", func(t *testing.T) {
		st, tc := capability[sesh.Toucher](t, s, "Toucher")
		mustSet(t, st, "k", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)})
		if err := tc.Touch(testCtx(t), "k", s.past()); err != nil {
			t.Fatalf("Touch into the past: %v", err)
		}
		wantNotFound(t, st, "k")
	})
}

func (s *suite) testSwapper(t *testing.T) {
	st := s.newStore(t)
	if _, ok := st.(sesh.Swapper); !ok {
		t.Skipf("store %T does not implement sesh.Swapper", st)
	}
	hour := func() time.Time { return time.Now().Add(time.Hour) }

	t.Run("InsertAbsent", func(t *testing.T) {
		st, sw := capability[sesh.Swapper](t, s, "Swapper")
		exp := hour()
		v1 := mustSwap(t, sw, "k", sesh.Record{Data: []byte("a"), Expires: exp})
		got := mustGet(t, st, "k")
		checkData(t, "Get after Swap", got.Data, []byte("a"))
		checkTime(t, "Get after Swap", got.Expires, exp, s.prec)
		if got.Version != v1 {
			t.Fatalf("Get after Swap: Version = %d, Swap returned %d", got.Version, v1)
		}
	})

	t.Run("InsertExisting", func(t *testing.T) {
		st, sw := capability[sesh.Swapper](t, s, "Swapper")
		mustSet(t, st, "set", sesh.Record{Data: []byte("x"), Expires: hour()})
		wantSwapErr(t, sw, "set", sesh.Record{Data: []byte("y"), Expires: hour()}, sesh.ErrConflict)
		checkData(t, "Get after a lost Swap", mustGet(t, st, "set").Data, []byte("x"))

		mustSwap(t, sw, "swapped", sesh.Record{Data: []byte("x"), Expires: hour()})
		wantSwapErr(t, sw, "swapped", sesh.Record{Data: []byte("y"), Expires: hour()}, sesh.ErrConflict)
		checkData(t, "Get after a lost Swap", mustGet(t, st, "swapped").Data, []byte("x"))
	})

	t.Run("Replace", func(t *testing.T) {
		st, sw := capability[sesh.Swapper](t, s, "Swapper")
		v1 := mustSwap(t, sw, "k", sesh.Record{Data: []byte("a"), Expires: hour()})
		exp2 := time.Now().Add(2 * time.Hour)
		v2 := mustSwap(t, sw, "k", sesh.Record{Data: []byte("b"), Expires: exp2, Version: v1})
		if v2 == v1 {
			t.Fatalf("Swap returned the same version %d twice", v1)
		}
		got := mustGet(t, st, "k")
		checkData(t, "Get after the second Swap", got.Data, []byte("b"))
		checkTime(t, "Get after the second Swap", got.Expires, exp2, s.prec)
		if got.Version != v2 {
			t.Fatalf("Get: Version = %d, Swap returned %d", got.Version, v2)
		}
	})

	t.Run("Stale", func(t *testing.T) {
		st, sw := capability[sesh.Swapper](t, s, "Swapper")
		v1 := mustSwap(t, sw, "k", sesh.Record{Data: []byte("a"), Expires: hour()})
		v2 := mustSwap(t, sw, "k", sesh.Record{Data: []byte("b"), Expires: hour(), Version: v1})
		wantSwapErr(t, sw, "k", sesh.Record{Data: []byte("stale"), Expires: hour(), Version: v1}, sesh.ErrConflict)
		for _, bogus := range []int64{v2 + 1, v2 - 1, -v2, 1 << 62} {
			if bogus == v2 || bogus == 0 {
				continue
			}
			wantSwapErr(t, sw, "k", sesh.Record{Data: []byte("bogus"), Expires: hour(), Version: bogus}, sesh.ErrConflict)
		}
		got := mustGet(t, st, "k")
		checkData(t, "Get after lost Swaps", got.Data, []byte("b"))
		if got.Version != v2 {
			t.Fatalf("Get after lost Swaps: Version = %d, want %d", got.Version, v2)
		}
	})

	t.Run("VersionsDistinct", func(t *testing.T) {
		_, sw := capability[sesh.Swapper](t, s, "Swapper")
		seen := map[int64]int{}
		var v int64
		for i := range 20 {
			v = mustSwap(t, sw, "k", sesh.Record{Data: []byte{byte(i)}, Expires: hour(), Version: v})
			if j, dup := seen[v]; dup {
				t.Fatalf("Swap %d returned version %d, already returned by Swap %d", i, v, j)
			}
			seen[v] = i
		}
	})

	t.Run("AbsentWithVersion", func(t *testing.T) {
		st, sw := capability[sesh.Swapper](t, s, "Swapper")
		wantSwapErr(t, sw, "k", sesh.Record{Data: []byte("x"), Expires: hour(), Version: 42}, sesh.ErrNotFound)
		wantNotFound(t, st, "k")
	})

	t.Run("AfterDelete", func(t *testing.T) {
		// Destroy wins: a request that read the record before another
		// deleted it cannot bring it back.
		st, sw := capability[sesh.Swapper](t, s, "Swapper")
		v1 := mustSwap(t, sw, "k", sesh.Record{Data: []byte("x"), Expires: hour()})
		mustDelete(t, st, "k")
		wantSwapErr(t, sw, "k", sesh.Record{Data: []byte("resurrected"), Expires: hour(), Version: v1}, sesh.ErrNotFound)
		wantNotFound(t, st, "k")
	})

	t.Run("Expired", func(t *testing.T) {
		st, sw := capability[sesh.Swapper](t, s, "Swapper")
		// Version 0 over an expired record inserts.
		mustSet(t, st, "a", sesh.Record{Data: []byte("old"), Expires: s.past()})
		mustSwap(t, sw, "a", sesh.Record{Data: []byte("new"), Expires: hour()})
		checkData(t, "Get after Swap over an expired record", mustGet(t, st, "a").Data, []byte("new"))

		// A Swap that writes a past expiry ends the record; its version
		// then finds nothing.
		v1 := mustSwap(t, sw, "b", sesh.Record{Data: []byte("x"), Expires: hour()})
		v2 := mustSwap(t, sw, "b", sesh.Record{Data: []byte("y"), Expires: s.past(), Version: v1})
		wantNotFound(t, st, "b")
		wantSwapErr(t, sw, "b", sesh.Record{Data: []byte("z"), Expires: hour(), Version: v2}, sesh.ErrNotFound)
		wantNotFound(t, st, "b")
		mustSwap(t, sw, "b", sesh.Record{Data: []byte("fresh"), Expires: hour()})
		checkData(t, "Get after Swap over an expired record", mustGet(t, st, "b").Data, []byte("fresh"))
	})

	t.Run("ExpiredStillStored", func(t *testing.T) {
		// A record that expires while stored (the engine may keep it past
		// its deadline) counts as absent: Version 0 inserts over it, and
		// its old version finds nothing.
		st, sw := capability[sesh.Swapper](t, s, "Swapper")
		exp := time.Now().Add(s.shortTTL())
		v := mustSwap(t, sw, "k", sesh.Record{Data: []byte("old"), Expires: exp})
		s.waitPast(exp)
		wantSwapErr(t, sw, "k", sesh.Record{Data: []byte("late"), Expires: hour(), Version: v}, sesh.ErrNotFound)
		mustSwap(t, sw, "k", sesh.Record{Data: []byte("new"), Expires: hour()})
		checkData(t, "Get after Swap over a record that expired in place", mustGet(t, st, "k").Data, []byte("new"))
	})

	t.Run("SetChangesVersion", func(t *testing.T) {
		st, sw := capability[sesh.Swapper](t, s, "Swapper")
		v1 := mustSwap(t, sw, "k", sesh.Record{Data: []byte("a"), Expires: hour()})
		mustSet(t, st, "k", sesh.Record{Data: []byte("set"), Expires: hour(), Version: v1})
		v2 := mustGet(t, st, "k").Version
		if v2 == v1 || v2 == 0 {
			t.Fatalf("Set left Version %d (Swap gave %d): a plain Set must change it", v2, v1)
		}
		wantSwapErr(t, sw, "k", sesh.Record{Data: []byte("stale"), Expires: hour(), Version: v1}, sesh.ErrConflict)
		checkData(t, "Get after a lost Swap", mustGet(t, st, "k").Data, []byte("set"))
		mustSwap(t, sw, "k", sesh.Record{Data: []byte("b"), Expires: hour(), Version: v2})
	})

	t.Run("TouchKeepsVersion", func(t *testing.T) {
		st, sw := capability[sesh.Swapper](t, s, "Swapper")
		tc, ok := st.(sesh.Toucher)
		if !ok {
			t.Skipf("store %T does not implement sesh.Toucher", st)
		}
		v1 := mustSwap(t, sw, "k", sesh.Record{Data: []byte("a"), Expires: hour()})
		if err := tc.Touch(testCtx(t), "k", time.Now().Add(2*time.Hour)); err != nil {
			t.Fatalf("Touch: %v", err)
		}
		if v := mustGet(t, st, "k").Version; v != v1 {
			t.Fatalf("Touch changed Version from %d to %d", v1, v)
		}
		mustSwap(t, sw, "k", sesh.Record{Data: []byte("b"), Expires: hour(), Version: v1})
	})

	t.Run("UserID", func(t *testing.T) {
		st, sw := capability[sesh.Swapper](t, s, "Swapper")
		if _, ok := st.(sesh.UserIndex); !ok {
			t.Skipf("store %T does not implement sesh.UserIndex", st)
		}
		v := mustSwap(t, sw, "k", sesh.Record{Data: []byte("a"), Expires: hour(), UserID: "u1"})
		if got := mustGet(t, st, "k").UserID; got != "u1" {
			t.Fatalf("Get after Swap: UserID = %q, want u1", got)
		}
		mustSwap(t, sw, "k", sesh.Record{Data: []byte("a"), Expires: hour(), UserID: "u2", Version: v})
		if got := mustGet(t, st, "k").UserID; got != "u2" {
			t.Fatalf("Get after Swap: UserID = %q, want u2", got)
		}
	})

	t.Run("NoLostUpdate", func(t *testing.T) {
		st, sw := capability[sesh.Swapper](t, s, "Swapper")
		s.checkNoLostUpdate(t, st, sw)
	})
}

// checkNoLostUpdate runs 20 writers that each append their id to one record
// with a read-modify-swap loop; every id must be in the result exactly once.
// A writer still retrying at the hang deadline fails the test: with a
// correct store every round has a winner, so only a store that never lets
// a Swap succeed gets there.
func (s *suite) checkNoLostUpdate(t *testing.T, st sesh.Store, sw sesh.Swapper) {
	const writers = 20
	ctx := testCtx(t)
	exp := time.Now().Add(time.Hour)
	deadline := hangDeadline(t)
	limit := time.Until(deadline).Round(time.Second)
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	conflicts := 0
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			id := fmt.Sprintf("w%02d", w)
			for {
				if time.Now().After(deadline) {
					t.Errorf("writer %s: no successful Swap within %v, the suite's limit for a hang (livelock?)", id, limit)
					return
				}
				var rec sesh.Record
				cur, err := st.Get(ctx, "shared")
				switch {
				case errors.Is(err, sesh.ErrNotFound):
					rec = sesh.Record{Data: []byte(id), Expires: exp}
				case err != nil:
					t.Errorf("writer %s: Get: %v", id, err)
					return
				default:
					rec = sesh.Record{Data: append(cur.Data, ","+id...), Expires: exp, Version: cur.Version}
				}
				_, err = sw.Swap(ctx, "shared", rec)
				if errors.Is(err, sesh.ErrConflict) || errors.Is(err, sesh.ErrNotFound) {
					mu.Lock()
					conflicts++
					mu.Unlock()
					continue // someone else won: read again
				}
				if err != nil {
					t.Errorf("writer %s: Swap: %v", id, err)
				}
				return
			}
		}()
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		return
	}
	got := strings.Split(string(mustGet(t, st, "shared").Data), ",")
	slices.Sort(got)
	var want []string
	for w := range writers {
		want = append(want, fmt.Sprintf("w%02d", w))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("after %d writers (%d conflicts retried) the record holds %q, want every writer exactly once: an update was lost", writers, conflicts, got)
	}
	t.Logf("%d writers, %d conflicts retried, no update lost", writers, conflicts)
}

func (s *suite) testLister(t *testing.T) {
	st := s.newStore(t)
	if _, ok := st.(sesh.Lister); !ok {
		t.Skipf("store %T does not implement sesh.Lister", st)
	}

	// fill writes live records l0..l4, expired e0 and e1, and a deleted d0.
	fill := func(t *testing.T, st sesh.Store) (map[string]sesh.Record, []string) {
		t.Helper()
		live := map[string]sesh.Record{}
		for i := range 5 {
			k := fmt.Sprintf("l%d", i)
			rec := sesh.Record{Data: []byte("data " + k), Expires: time.Now().Add(time.Duration(i+1) * time.Hour), UserID: "u"}
			mustSet(t, st, k, rec)
			live[k] = rec
		}
		mustSet(t, st, "e0", sesh.Record{Data: []byte("expired"), Expires: s.past()})
		mustSet(t, st, "e1", sesh.Record{Data: []byte("expired"), Expires: time.Time{}})
		mustSet(t, st, "d0", sesh.Record{Data: []byte("deleted"), Expires: time.Now().Add(time.Hour)})
		mustDelete(t, st, "d0")
		return live, sortedMapKeys(live)
	}

	t.Run("Range", func(t *testing.T) {
		st, l := capability[sesh.Lister](t, s, "Lister")
		live, want := fill(t, st)
		keys, recs := rangeKeys(t, l)
		if !slices.Equal(keys, want) {
			t.Fatalf("Range reported %q, want exactly the live keys %q", keys, want)
		}
		_, hasUsers := st.(sesh.UserIndex)
		for k, rec := range recs {
			checkData(t, "Range record "+k, rec.Data, live[k].Data)
			checkTime(t, "Range record "+k, rec.Expires, live[k].Expires, s.prec)
			if v := mustGet(t, st, k).Version; rec.Version != v {
				t.Fatalf("Range record %s: Version = %d, Get says %d", k, rec.Version, v)
			}
			if hasUsers && rec.UserID != "u" {
				t.Fatalf("Range record %s: UserID = %q, want u", k, rec.UserID)
			}
		}
	})

	t.Run("Empty", func(t *testing.T) {
		_, l := capability[sesh.Lister](t, s, "Lister")
		if keys, _ := rangeKeys(t, l); len(keys) != 0 {
			t.Fatalf("Range of an empty store reported %q", keys)
		}
		if n := mustLen(t, l); n != 0 {
			t.Fatalf("Len of an empty store = %d", n)
		}
	})

	t.Run("EarlyStop", func(t *testing.T) {
		st, l := capability[sesh.Lister](t, s, "Lister")
		fill(t, st)
		for _, stopAfter := range []int{1, 3} {
			calls := 0
			err := l.Range(testCtx(t), func(string, sesh.Record) bool {
				calls++
				return calls < stopAfter
			})
			if err != nil {
				t.Fatalf("Range: %v", err)
			}
			if calls != stopAfter {
				t.Fatalf("fn returned false on call %d, but Range made %d calls", stopAfter, calls)
			}
		}
	})

	t.Run("Len", func(t *testing.T) {
		st, l := capability[sesh.Lister](t, s, "Lister")
		fill(t, st)
		if n := mustLen(t, l); n != 5 {
			t.Fatalf("Len = %d, want 5 (expired and deleted records excluded)", n)
		}
		mustDelete(t, st, "l0")
		if n := mustLen(t, l); n != 4 {
			t.Fatalf("Len after Delete = %d, want 4", n)
		}
	})

	t.Run("Clear", func(t *testing.T) {
		st, l := capability[sesh.Lister](t, s, "Lister")
		_, keys := fill(t, st)
		if err := l.Clear(testCtx(t)); err != nil {
			t.Fatalf("Clear: %v", err)
		}
		if n := mustLen(t, l); n != 0 {
			t.Fatalf("Len after Clear = %d", n)
		}
		if got, _ := rangeKeys(t, l); len(got) != 0 {
			t.Fatalf("Range after Clear reported %q", got)
		}
		for _, k := range append(keys, "e0", "e1") {
			wantNotFound(t, st, k)
		}
		// Still usable.
		mustSet(t, st, "again", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)})
		if n := mustLen(t, l); n != 1 {
			t.Fatalf("Len after Clear and Set = %d, want 1", n)
		}
		if err := l.Clear(testCtx(t)); err != nil {
			t.Fatalf("second Clear: %v", err)
		}
		if err := l.Clear(testCtx(t)); err != nil {
			t.Fatalf("Clear of an empty store: %v", err)
		}
	})

	t.Run("ClearOnlyThisStore", func(t *testing.T) {
		st1, l1 := capability[sesh.Lister](t, s, "Lister")
		st2 := s.newStore(t)
		exp := time.Now().Add(time.Hour)
		for _, k := range []string{"same", "only1"} {
			mustSet(t, st1, k, sesh.Record{Data: []byte("one"), Expires: exp})
		}
		for _, k := range []string{"same", "only2"} {
			mustSet(t, st2, k, sesh.Record{Data: []byte("two"), Expires: exp})
		}
		if err := l1.Clear(testCtx(t)); err != nil {
			t.Fatalf("Clear: %v", err)
		}
		wantNotFound(t, st1, "same")
		checkData(t, "other store after Clear", mustGet(t, st2, "same").Data, []byte("two"))
		checkData(t, "other store after Clear", mustGet(t, st2, "only2").Data, []byte("two"))
		wantNotFound(t, st1, "only2") // the stores were isolated to begin with
		if l2, ok := st2.(sesh.Lister); ok {
			if n := mustLen(t, l2); n != 2 {
				t.Fatalf("Len of the other store after Clear = %d, want 2", n)
			}
		}
	})

	t.Run("CallbackMayUseStore", func(t *testing.T) {
		st, l := capability[sesh.Lister](t, s, "Lister")
		fill(t, st)
		ctx := testCtx(t)
		runBounded(t, "Range with a callback that calls the store", callbackBound, func() {
			err := l.Range(ctx, func(key string, _ sesh.Record) bool {
				if _, err := st.Get(ctx, key); err != nil && !errors.Is(err, sesh.ErrNotFound) {
					t.Errorf("Get(%q) inside Range: %v", key, err)
				}
				if err := st.Delete(ctx, key); err != nil {
					t.Errorf("Delete(%q) inside Range: %v", key, err)
				}
				if err := st.Set(ctx, "written-during-range", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)}); err != nil {
					t.Errorf("Set inside Range: %v", err)
				}
				return true
			})
			if err != nil {
				t.Errorf("Range: %v", err)
			}
		})
		for i := range 5 {
			wantNotFound(t, st, fmt.Sprintf("l%d", i))
		}
	})
}

func (s *suite) testCreator(t *testing.T) {
	st, cr := capability[sesh.Creator](t, s, "Creator")
	_, isSwapper := st.(sesh.Swapper)
	_, hasUsers := st.(sesh.UserIndex)
	exp := time.Now().Add(time.Hour)
	keys := map[string]bool{}
	for i := range 10 {
		data := []byte(fmt.Sprintf("record %d", i))
		key, err := cr.Create(testCtx(t), sesh.Record{Data: data, Expires: exp, UserID: "u"})
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if err := sesh.ValidateKey(key); err != nil {
			t.Fatalf("Create returned key %q that fails sesh.ValidateKey: %v", key, err)
		}
		if keys[key] {
			t.Fatalf("Create returned key %q twice", key)
		}
		keys[key] = true
		got := mustGet(t, st, key)
		checkData(t, "Get of a created record", got.Data, data)
		checkTime(t, "Get of a created record", got.Expires, exp, s.prec)
		if isSwapper && got.Version == 0 {
			t.Fatalf("Get of a created record: Version = 0 in a Swapper")
		}
		if hasUsers && got.UserID != "u" {
			t.Fatalf("Get of a created record: UserID = %q, want u", got.UserID)
		}
	}
	if l, ok := st.(sesh.Lister); ok {
		if n := mustLen(t, l); n != len(keys) {
			t.Fatalf("Len after %d Creates = %d", len(keys), n)
		}
	}
}

func (s *suite) testUserIndex(t *testing.T) {
	st := s.newStore(t)
	if _, ok := st.(sesh.UserIndex); !ok {
		t.Skipf("store %T does not implement sesh.UserIndex", st)
	}
	hour := func() time.Time { return time.Now().Add(time.Hour) }
	byUser := func(t *testing.T, ui sesh.UserIndex, user string) map[string]sesh.Record {
		t.Helper()
		recs, err := ui.ByUser(testCtx(t), user)
		if err != nil {
			t.Fatalf("ByUser(%q): %v", user, err)
		}
		return recs
	}
	wantUser := func(t *testing.T, ui sesh.UserIndex, user string, want ...string) {
		t.Helper()
		recs := byUser(t, ui, user)
		got := sortedMapKeys(recs)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("ByUser(%q) = %q, want %q", user, got, want)
		}
		for k, rec := range recs {
			if rec.UserID != user {
				t.Fatalf("ByUser(%q): record %s has UserID %q", user, k, rec.UserID)
			}
		}
	}
	// fill: u1 owns a, b, c; u2 owns d; look-alike users own the rest.
	fill := func(t *testing.T, st sesh.Store) {
		t.Helper()
		for k, u := range map[string]string{"a": "u1", "b": "u1", "c": "u1", "d": "u2", "e": "u10", "f": "U1", "g": "", "h": "u1 "} {
			mustSet(t, st, k, sesh.Record{Data: []byte("data " + k), Expires: hour(), UserID: u})
		}
	}

	t.Run("ByUser", func(t *testing.T) {
		st, ui := capability[sesh.UserIndex](t, s, "UserIndex")
		fill(t, st)
		wantUser(t, ui, "u1", "a", "b", "c")
		wantUser(t, ui, "u2", "d")
		wantUser(t, ui, "u10", "e")
		for k, rec := range byUser(t, ui, "u1") {
			checkData(t, "ByUser record "+k, rec.Data, []byte("data "+k))
			if v := mustGet(t, st, k).Version; rec.Version != v {
				t.Fatalf("ByUser record %s: Version = %d, Get says %d", k, rec.Version, v)
			}
		}
	})

	t.Run("UnknownUser", func(t *testing.T) {
		st, ui := capability[sesh.UserIndex](t, s, "UserIndex")
		wantUser(t, ui, "nobody")
		fill(t, st)
		wantUser(t, ui, "nobody")
		wantUser(t, ui, "u")
	})

	t.Run("AfterDelete", func(t *testing.T) {
		st, ui := capability[sesh.UserIndex](t, s, "UserIndex")
		fill(t, st)
		mustDelete(t, st, "b")
		wantUser(t, ui, "u1", "a", "c")
		mustDelete(t, st, "d")
		wantUser(t, ui, "u2")
	})

	t.Run("ExcludesExpired", func(t *testing.T) {
		st, ui := capability[sesh.UserIndex](t, s, "UserIndex")
		fill(t, st)
		mustSet(t, st, "x", sesh.Record{Data: []byte("old"), Expires: s.past(), UserID: "u1"})
		mustSet(t, st, "c", sesh.Record{Data: []byte("ended"), Expires: s.past(), UserID: "u1"})
		wantUser(t, ui, "u1", "a", "b")
	})

	t.Run("MovesBetweenUsers", func(t *testing.T) {
		st, ui := capability[sesh.UserIndex](t, s, "UserIndex")
		fill(t, st)
		mustSet(t, st, "a", sesh.Record{Data: []byte("moved"), Expires: hour(), UserID: "u2"})
		wantUser(t, ui, "u1", "b", "c")
		wantUser(t, ui, "u2", "a", "d")
		mustSet(t, st, "b", sesh.Record{Data: []byte("anonymous now"), Expires: hour()})
		wantUser(t, ui, "u1", "c")
	})

	t.Run("TouchKeepsUser", func(t *testing.T) {
		st, ui := capability[sesh.UserIndex](t, s, "UserIndex")
		tc, ok := st.(sesh.Toucher)
		if !ok {
			t.Skipf("store %T does not implement sesh.Toucher", st)
		}
		fill(t, st)
		if err := tc.Touch(testCtx(t), "a", time.Now().Add(2*time.Hour)); err != nil {
			t.Fatalf("Touch: %v", err)
		}
		wantUser(t, ui, "u1", "a", "b", "c")
	})

	t.Run("AfterClear", func(t *testing.T) {
		st, ui := capability[sesh.UserIndex](t, s, "UserIndex")
		l, ok := st.(sesh.Lister)
		if !ok {
			t.Skipf("store %T does not implement sesh.Lister", st)
		}
		fill(t, st)
		if err := l.Clear(testCtx(t)); err != nil {
			t.Fatalf("Clear: %v", err)
		}
		wantUser(t, ui, "u1")
	})
}
