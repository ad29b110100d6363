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

// callbackBound is how long Range with a callback that calls the store may
// take before the suite calls it a deadlock. A variable for the suite's own
// tests.
var callbackBound = 10 * time.Second

// runBounded runs fn and fails the test if it has not returned within d:
// a store that deadlocks then fails instead of hanging the run.
func runBounded(t *testing.T, what string, d time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %v (deadlock?)", what, d)
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
