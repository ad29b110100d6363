package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

func mustSet(t *testing.T, st sesh.Store, key string, rec sesh.Record) {
	t.Helper()
	if err := st.Set(testCtx(t), key, rec); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

func mustGet(t *testing.T, st sesh.Store, key string) sesh.Record {
	t.Helper()
	rec, err := st.Get(testCtx(t), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return rec
}

func mustDelete(t *testing.T, st sesh.Store, key string) {
	t.Helper()
	if err := st.Delete(testCtx(t), key); err != nil {
		t.Fatalf("Delete(%q): %v", key, err)
	}
}

func wantNotFound(t *testing.T, st sesh.Store, key string) {
	t.Helper()
	rec, err := st.Get(testCtx(t), key)
	if !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Get(%q) = (%s, %v), want ErrNotFound", key, describe(rec), err)
	}
}

func mustSwap(t *testing.T, sw sesh.Swapper, key string, rec sesh.Record) int64 {
	t.Helper()
	v, err := sw.Swap(testCtx(t), key, rec)
	if err != nil {
		t.Fatalf("Swap(%q, version %d): %v", key, rec.Version, err)
	}
	if v == 0 {
		t.Fatalf("Swap(%q, version %d) returned version 0; a successful Swap never does", key, rec.Version)
	}
	return v
}

func wantSwapErr(t *testing.T, sw sesh.Swapper, key string, rec sesh.Record, want error) {
	t.Helper()
	v, err := sw.Swap(testCtx(t), key, rec)
	if !errors.Is(err, want) {
		t.Fatalf("Swap(%q, version %d) = (%d, %v), want %v", key, rec.Version, v, err, want)
	}
}

// checkData fails unless got holds exactly want (nil and empty are equal).
func checkData(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: Data = %s, want %s", what, short(got), short(want))
	}
}

// checkTime fails unless got is within prec of want.
func checkTime(t *testing.T, what string, got, want time.Time, prec time.Duration) {
	t.Helper()
	d := got.Sub(want)
	if d < 0 {
		d = -d
	}
	if d > prec {
		t.Fatalf("%s: Expires = %v, want %v (±%v; off by %v)", what, got, want, prec, got.Sub(want))
	}
}

func short(b []byte) string {
	if len(b) <= 40 {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%q… (%d bytes)", b[:40], len(b))
}

func describe(rec sesh.Record) string {
	return fmt.Sprintf("Record{Data: %s, Expires: %v, Version: %d, UserID: %q}", short(rec.Data), rec.Expires, rec.Version, rec.UserID)
}

// rangeKeys returns the sorted keys a Lister's Range reports, and the
// records by key.
func rangeKeys(t *testing.T, l sesh.Lister) ([]string, map[string]sesh.Record) {
	t.Helper()
	recs := map[string]sesh.Record{}
	var keys []string
	err := l.Range(testCtx(t), func(key string, rec sesh.Record) bool {
		if _, dup := recs[key]; dup {
			t.Errorf("Range reported key %q twice", key)
		}
		recs[key] = rec
		keys = append(keys, key)
		return true
	})
	if err != nil {
		t.Fatalf("Range: %v", err)
	}
	slices.Sort(keys)
	return keys, recs
}

func mustLen(t *testing.T, l sesh.Lister) int {
	t.Helper()
	n, err := l.Len(testCtx(t))
	if err != nil {
		t.Fatalf("Len: %v", err)
	}
	return n
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// HangLimit is how long the suite waits for one piece of work (a call, a
// group of goroutines, a store recovering from a fault, goroutines winding
// down) before it calls the work hung and fails. It catches hangs only: no
// working store comes near it, however slow or busy the machine, so speed
// decides no result. A test binary's -timeout that would end sooner
// shortens it (hangDeadline), so that the failure names the hung work.
const HangLimit = 5 * time.Minute

// hangDeadline is when work that starts now counts as hung: HangLimit from
// now, or, when the test binary's -timeout ends sooner, a twentieth of the
// time left before that (at least a second) so that the test fails with a
// message instead of the binary's panic.
func hangDeadline(t *testing.T) time.Time {
	d := time.Now().Add(HangLimit)
	if end, ok := t.Deadline(); ok {
		margin := max(time.Until(end)/20, time.Second)
		if e := end.Add(-margin); e.Before(d) {
			d = e
		}
	}
	return d
}

// inTime reports whether calls that returned just now certainly ran before
// exp, on a store that keeps expiries to s.prec (and 100 ms for the
// engine's clock). When not, a check that needed them to run before exp is
// inconclusive, and runs again with a longer TTL.
func (s *suite) inTime(exp time.Time) bool {
	return time.Until(exp) >= s.prec+100*time.Millisecond
}

// longerTTL returns the TTL of the next round of a check whose calls took
// longer than ttl (inTime): twice ttl. The machine's speed so decides no
// result; a store whose calls outlast HangLimit fails.
func (s *suite) longerTTL(t *testing.T, ttl time.Duration) time.Duration {
	t.Helper()
	if ttl > HangLimit {
		t.Fatalf("the store's calls took longer than %v, the suite's limit for a hang", ttl)
	}
	t.Logf("the calls took longer than the record's TTL of %v allows for; again with %v", ttl, 2*ttl)
	return 2 * ttl
}

// callbackBound, when set, replaces the hang limit of the check that Range
// with a callback that calls the store does not deadlock: the suite's own
// tests set it so that a planted deadlock is caught in a moment.
var callbackBound time.Duration

// runBounded runs fn and fails the test if it has not returned within d,
// or, for zero d, by hangDeadline: a store that deadlocks then fails
// instead of hanging the run.
func runBounded(t *testing.T, what string, d time.Duration, fn func()) {
	t.Helper()
	if d <= 0 {
		d = time.Until(hangDeadline(t))
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %v, the suite's limit for a hang (deadlock?)", what, d.Round(time.Millisecond))
	}
}

// cancelledCtx returns a context that is already cancelled.
func cancelledCtx() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// expiredCtx returns a context whose deadline has passed.
func expiredCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	t.Cleanup(cancel)
	return ctx
}
