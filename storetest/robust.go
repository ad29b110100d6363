package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

// CorruptFunc plants, under key in st, a record that the store's engine
// holds but that the store cannot read back: a value of the wrong type
// (a Redis hash where a string belongs, a TEXT in an INTEGER column), or
// bytes that are not the store's format. It replaces whatever key holds,
// writing through the engine directly, not through st's methods, and
// fails t if it cannot. Where the
// engine ties a record to a user, the planted record should name
// CorruptUser, so that ByUser meets it.
type CorruptFunc func(t *testing.T, st sesh.Store, key string)

// CorruptUser is the user a CorruptFunc ties its record to, when the
// engine has a place for one; the suite's good records belong to it too.
const CorruptUser = "u-corrupt"

// canaryKey is a long, distinctive key: an error message that holds any
// leakWindow bytes of it in a row has leaked the key (or the file path or
// URL built from it).
const canaryKey = "Canary7Qx9Lm2Vp4Rt8Kw3Zn6Bd1Hf5Jc0Ys-sesh-NoKeyInErrors-q4W8e2R6t0Y"

// leakWindow is how many bytes of a key in a row make an error a leak.
const leakWindow = 12

// leaked reports whether msg holds leakWindow bytes of key in a row.
func leaked(msg, key string) bool {
	if len(key) < leakWindow {
		return strings.Contains(msg, key)
	}
	for i := 0; i+leakWindow <= len(key); i++ {
		if strings.Contains(msg, key[i:i+leakWindow]) {
			return true
		}
	}
	return false
}

// checkNoLeak fails t if err's message holds the key.
func checkNoLeak(t *testing.T, op string, err error, key string) {
	t.Helper()
	if err != nil && leaked(err.Error(), key) {
		t.Errorf("%s: the error holds the key (keys are raw session IDs in interop modes): %v", op, err)
	}
}

func (s *suite) testCorrupt(t *testing.T) {
	if len(s.corrupt) == 0 {
		t.Skip("Options.Corrupt is not set: the store's test plants no corrupt record")
	}
	for _, name := range sortedMapKeys(s.corrupt) {
		t.Run(name, func(t *testing.T) { s.checkCorrupt(t, s.corrupt[name]) })
	}
}

// checkCorrupt plants a corrupt record beside two good ones and checks
// what every method makes of it: Get says sesh.ErrCorrupt; Touch says
// ErrCorrupt or ErrNotFound; Swap with a version says ErrConflict or
// ErrNotFound, and with version 0 either overwrites the record or says
// ErrConflict; listings skip it without failing; Delete removes it, after
// which the key works again. No error holds the key.
func (s *suite) checkCorrupt(t *testing.T, plant CorruptFunc) {
	st := s.newStore(t)
	key := canaryKey
	hour := time.Now().Add(time.Hour)
	good := map[string][]byte{"good-1": []byte("one"), "good-2": []byte("two")}
	for k, d := range good {
		mustSet(t, st, k, sesh.Record{Data: d, Expires: hour, UserID: CorruptUser})
	}
	plant(t, st, key)
	leak := func(op string, err error) { t.Helper(); checkNoLeak(t, op, err, key) }

	rec, err := st.Get(testCtx(t), key)
	leak("Get", err)
	if !errors.Is(err, sesh.ErrCorrupt) {
		t.Fatalf("Get of a corrupt record = (%s, %v), want an error wrapping sesh.ErrCorrupt", describe(rec), err)
	}

	if l, ok := st.(sesh.Lister); ok {
		var keys []string
		err := l.Range(testCtx(t), func(k string, rec sesh.Record) bool {
			keys = append(keys, k)
			return true
		})
		leak("Range", err)
		slices.Sort(keys)
		if err != nil || !slices.Equal(keys, sortedMapKeys(good)) {
			t.Errorf("Range beside a corrupt record = %q, %v; want exactly the good keys %q, no error", keys, err, sortedMapKeys(good))
		}
		n, err := l.Len(testCtx(t))
		leak("Len", err)
		if err != nil || n != len(good) {
			t.Errorf("Len beside a corrupt record = %d, %v; want %d (the corrupt record skipped, as Range skips it)", n, err, len(good))
		}
	}
	if ui, ok := st.(sesh.UserIndex); ok {
		recs, err := ui.ByUser(testCtx(t), CorruptUser)
		leak("ByUser", err)
		if got := sortedMapKeys(recs); err != nil || !slices.Equal(got, sortedMapKeys(good)) {
			t.Errorf("ByUser beside a corrupt record = %q, %v; want exactly the good keys %q, no error", got, err, sortedMapKeys(good))
		}
	}

	if tc, ok := st.(sesh.Toucher); ok {
		err := tc.Touch(testCtx(t), key, hour)
		leak("Touch", err)
		if !errors.Is(err, sesh.ErrCorrupt) && !errors.Is(err, sesh.ErrNotFound) {
			t.Errorf("Touch of a corrupt record = %v, want an error wrapping sesh.ErrCorrupt or sesh.ErrNotFound", err)
		}
		if rec, err := st.Get(testCtx(t), key); err == nil {
			t.Errorf("Get after Touch of a corrupt record = %s: Touch made it readable", describe(rec))
		}
	}

	if sw, ok := st.(sesh.Swapper); ok {
		v, err := sw.Swap(testCtx(t), key, sesh.Record{Data: []byte("stale"), Expires: hour, Version: 1 << 40})
		leak("Swap with a version", err)
		if !errors.Is(err, sesh.ErrConflict) && !errors.Is(err, sesh.ErrNotFound) {
			t.Errorf("Swap with a version over a corrupt record = (%d, %v), want an error wrapping sesh.ErrConflict or sesh.ErrNotFound", v, err)
		}
		v, err = sw.Swap(testCtx(t), key, sesh.Record{Data: []byte("fresh"), Expires: hour})
		leak("Swap with version 0", err)
		switch {
		case err == nil:
			// The store overwrites a record it cannot read.
			got := mustGet(t, st, key)
			checkData(t, "Get after Swap over a corrupt record", got.Data, []byte("fresh"))
			if got.Version != v {
				t.Errorf("Get after Swap over a corrupt record: Version = %d, Swap returned %d", got.Version, v)
			}
			plant(t, st, key) // corrupt again, for Delete
		case errors.Is(err, sesh.ErrConflict):
			// The store leaves a record it cannot read alone.
		default:
			t.Errorf("Swap with version 0 over a corrupt record = (%d, %v), want success (overwrite) or an error wrapping sesh.ErrConflict", v, err)
		}
	}

	// Logout must work.
	err = st.Delete(testCtx(t), key)
	leak("Delete", err)
	if err != nil {
		t.Fatalf("Delete of a corrupt record: %v", err)
	}
	wantNotFound(t, st, key)
	mustSet(t, st, key, sesh.Record{Data: []byte("again"), Expires: hour})
	checkData(t, "Get after Delete of a corrupt record and Set", mustGet(t, st, key).Data, []byte("again"))
	for k, d := range good {
		checkData(t, "Get of a good record beside the corrupt one", mustGet(t, st, k).Data, d)
	}
}

// testTouchRace runs Touch against a stream of Swaps on one key: every
// Touch must return nil, or an error wrapping sesh.ErrConflict (it lost to
// a write every time it tried) or sesh.ErrNotFound; no Swap's update may be
// lost; and the stored version must stay the one the last Swap returned
// for exactly the stored data (a Touch keeps the version and never writes
// back data it read before a Swap).
func (s *suite) testTouchRace(t *testing.T) {
	st := s.newStore(t)
	tc, ok := st.(sesh.Toucher)
	if !ok {
		t.Skipf("store %T does not implement sesh.Toucher", st)
	}
	sw, ok := st.(sesh.Swapper)
	if !ok {
		t.Skipf("store %T does not implement sesh.Swapper", st)
	}
	const (
		swappers   = 4
		perSwapper = 6
		touchers   = 4
	)
	ctx := testCtx(t)
	key := "raced"
	hour := func() time.Time { return time.Now().Add(time.Hour) }
	var mu sync.Mutex
	written := map[int64]string{} // version → the data Swap wrote with it
	v0 := mustSwap(t, sw, key, sesh.Record{Data: []byte("start"), Expires: hour()})
	written[v0] = "start"

	var touches, touchConflicts, touchNotFound atomic.Int64
	var badTouches atomic.Int64
	done := make(chan struct{})
	var touchWG sync.WaitGroup
	for range touchers {
		touchWG.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				err := tc.Touch(ctx, key, hour().Add(time.Duration(i)*time.Millisecond))
				touches.Add(1)
				switch {
				case err == nil:
				case errors.Is(err, sesh.ErrConflict):
					touchConflicts.Add(1)
				case errors.Is(err, sesh.ErrNotFound):
					touchNotFound.Add(1)
				default:
					if badTouches.Add(1) <= 3 {
						t.Errorf("Touch racing Swaps: %v; want nil, or an error wrapping sesh.ErrConflict or sesh.ErrNotFound", err)
					}
				}
			}
		})
	}

	deadline := time.Now().Add(25 * time.Second)
	var swapWG sync.WaitGroup
	var swapConflicts atomic.Int64
	for w := range swappers {
		swapWG.Go(func() {
			for i := range perSwapper {
				token := fmt.Sprintf("s%d-%d", w, i)
				for {
					if time.Now().After(deadline) {
						t.Errorf("swapper %d: no successful Swap of %s before the deadline", w, token)
						return
					}
					cur, err := st.Get(ctx, key)
					if err != nil {
						t.Errorf("swapper %d: Get: %v (the record was lost)", w, err)
						return
					}
					next := string(cur.Data) + "," + token
					v, err := sw.Swap(ctx, key, sesh.Record{Data: []byte(next), Expires: hour(), Version: cur.Version})
					if errors.Is(err, sesh.ErrConflict) {
						swapConflicts.Add(1)
						continue
					}
					if err != nil {
						t.Errorf("swapper %d: Swap: %v", w, err)
						return
					}
					mu.Lock()
					if prev, dup := written[v]; dup {
						t.Errorf("Swap returned version %d twice (for %q and %q)", v, prev, next)
					}
					written[v] = next
					mu.Unlock()
					break
				}
			}
		})
	}
	swapWG.Wait()
	close(done)
	touchWG.Wait()
	if t.Failed() {
		return
	}

	final := mustGet(t, st, key)
	got := strings.Split(string(final.Data), ",")
	want := []string{"start"}
	for w := range swappers {
		for i := range perSwapper {
			want = append(want, fmt.Sprintf("s%d-%d", w, i))
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("after Swaps racing Touches the record holds %q, want every Swap's token once: an update was lost", final.Data)
	}
	if w, ok := written[final.Version]; !ok || w != string(final.Data) {
		t.Fatalf("the stored version %d is not the one Swap returned for the stored data (it returned it for %q): a Touch changed the version or wrote old data back", final.Version, w)
	}
	if touchNotFound.Load() > 0 {
		t.Logf("note: %d Touches said ErrNotFound although the record was never deleted", touchNotFound.Load())
	}
	t.Logf("%d Touches (%d lost every try: ErrConflict) raced %d Swaps (%d conflicts retried); no update lost",
		touches.Load(), touchConflicts.Load(), swappers*perSwapper, swapConflicts.Load())
}

// testNoKeyInErrors provokes the errors a store can return for a key —
// invalid keys, done contexts, contexts that end during the call, stale
// and absent versions, oversized records, corrupt records — and checks
// that no error message holds the key: in the interop modes (express,
// Astro) the key is the raw session ID, and errors end up in logs.
func (s *suite) testNoKeyInErrors(t *testing.T) {
	st := s.newStore(t)
	key := canaryKey
	hour := time.Now().Add(time.Hour)
	rec := sesh.Record{Data: []byte("x"), Expires: hour, UserID: "user"}
	var errs atomic.Int64
	leak := func(t *testing.T, op string, err error) {
		t.Helper()
		if err != nil {
			errs.Add(1)
		}
		checkNoLeak(t, op, err, key)
	}
	type op struct {
		name string
		call func(ctx context.Context, key string) error
	}
	ops := []op{
		{"Get", func(ctx context.Context, key string) error { _, err := st.Get(ctx, key); return err }},
		{"Set", func(ctx context.Context, key string) error { return st.Set(ctx, key, rec) }},
	}
	if tc, ok := st.(sesh.Toucher); ok {
		ops = append(ops, op{"Touch", func(ctx context.Context, key string) error { return tc.Touch(ctx, key, hour) }})
	}
	if sw, ok := st.(sesh.Swapper); ok {
		ops = append(ops, op{"Swap", func(ctx context.Context, key string) error {
			_, err := sw.Swap(ctx, key, sesh.Record{Data: []byte("y"), Expires: hour, Version: 12345})
			return err
		}}, op{"Swap(0)", func(ctx context.Context, key string) error { _, err := sw.Swap(ctx, key, rec); return err }})
	}
	ops = append(ops, op{"Delete", func(ctx context.Context, key string) error { return st.Delete(ctx, key) }})
	calls := func(ctx context.Context, key string) map[string]error {
		out := map[string]error{}
		for _, o := range ops {
			out[o.name] = o.call(ctx, key)
		}
		return out
	}

	t.Run("InvalidKeys", func(t *testing.T) {
		for _, bad := range []string{key + ".", key + "/x", "../" + key, key + " ", key + "\x00", key + strings.Repeat("k", sesh.MaxKeyLen)} {
			for op, err := range calls(testCtx(t), bad) {
				if !errors.Is(err, sesh.ErrInvalidKey) {
					t.Errorf("%s(%q) = %v, want ErrInvalidKey", op, bad, err)
				}
				leak(t, op+" of an invalid key", err)
			}
		}
	})
	t.Run("DoneContexts", func(t *testing.T) {
		mustSet(t, st, key, rec)
		for _, ctx := range []context.Context{cancelledCtx(), expiredCtx(t)} {
			for op, err := range calls(ctx, key) {
				leak(t, op+" with a done context", err)
			}
		}
	})
	t.Run("DeadlineDuringCall", func(t *testing.T) {
		mustSet(t, st, key, rec)
		for _, d := range []time.Duration{time.Microsecond, 20 * time.Microsecond, 100 * time.Microsecond, 500 * time.Microsecond, 2 * time.Millisecond, 5 * time.Millisecond} {
			ctx, cancel := context.WithTimeout(context.Background(), d)
			for op, err := range calls(ctx, key) {
				leak(t, fmt.Sprintf("%s with a %v deadline", op, d), err)
			}
			cancel()
		}
	})
	t.Run("LostSwaps", func(t *testing.T) {
		sw, ok := st.(sesh.Swapper)
		if !ok {
			t.Skipf("store %T does not implement sesh.Swapper", st)
		}
		mustDelete(t, st, key)
		_, err := sw.Swap(testCtx(t), key, sesh.Record{Data: []byte("y"), Expires: hour, Version: 777})
		leak(t, "Swap of an absent key with a version", err)
		mustSet(t, st, key, rec)
		_, err = sw.Swap(testCtx(t), key, sesh.Record{Data: []byte("y"), Expires: hour})
		leak(t, "Swap with version 0 over a live record", err)
		_, err = sw.Swap(testCtx(t), key, sesh.Record{Data: []byte("y"), Expires: hour, Version: 777})
		leak(t, "Swap with a stale version", err)
	})
	t.Run("Oversized", func(t *testing.T) {
		big := sesh.Record{Data: make([]byte, 2<<20), Expires: hour, UserID: strings.Repeat("u", 2000)}
		leak(t, "Set of an oversized record", st.Set(testCtx(t), key, big))
		if sw, ok := st.(sesh.Swapper); ok {
			mustDelete(t, st, key)
			_, err := sw.Swap(testCtx(t), key, big)
			leak(t, "Swap of an oversized record", err)
		}
		mustDelete(t, st, key)
	})
	t.Run("Corrupt", func(t *testing.T) {
		if len(s.corrupt) == 0 {
			t.Skip("Options.Corrupt is not set")
		}
		for _, name := range sortedMapKeys(s.corrupt) {
			for _, o := range ops {
				s.corrupt[name](t, st, key) // an earlier call may have repaired or removed it
				leak(t, o.name+" over a "+name+" record", o.call(testCtx(t), key))
			}
			mustDelete(t, st, key)
		}
	})
	t.Logf("%d errors checked", errs.Load())
}
