// Package storetest is the conformance suite for sesh.Store implementations.
// Every store, in this module or in its own module, proves its contract by
// calling it from one test:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) sesh.Store {
//			s, err := mystore.New(…) // a fresh, empty, isolated store
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// The factory is called once per subtest with that subtest's *testing.T. It
// must return a store that is empty and isolated from every other store it
// returns (its own directory, key prefix, table or database), and register
// any cleanup with t.Cleanup. Two stores from the factory may share one
// engine: the suite relies on that only to check that Clear stays within its
// own store.
//
// The suite covers the three methods of sesh.Store (round trips, upsert,
// delete, expiry enforced on read, key validation, context handling,
// concurrency under -race) and each optional capability the store
// implements: sesh.Toucher, sesh.Swapper (including a parallel
// read-modify-swap test that detects lost updates), sesh.Lister,
// sesh.Creator, sesh.UserIndex, sesh.Pinger and sesh.Purger (Purge deletes
// exactly the expired records and counts them). A capability the store
// lacks is skipped with a line saying so. It races Touch against Swap on
// one key (every Touch ends in nil, sesh.ErrConflict or sesh.ErrNotFound;
// no update is lost), checks, with the records Options.Corrupt plants, that
// a record the store cannot read is sesh.ErrCorrupt to Get and breaks no
// other method, and provokes errors of every kind to check that none holds
// the key. Finally it drives a sesh.Manager over the store
// through HTTP handlers: an unmodified request costs exactly one read and no
// write, a modifying one one read and one write, 50 parallel requests each
// adding a key to one session lose none, and a save racing a Destroy does not
// bring the session back (the last two need sesh.Swapper).
//
// What the suite requires beyond the doc comments of package sesh:
//
//   - A call made with a context that is already cancelled or past its
//     deadline returns an error for which errors.Is(err, ctx.Err()) holds,
//     and has no effect. A store over a network driver must wrap the
//     driver's error (fmt.Errorf("…: %w", err)) or check ctx.Err() itself.
//   - A record whose Expires is in the past, including the zero time.Time,
//     is never returned, and the record is never returned once its Expires
//     has passed (allowing for Options.Precision).
//   - Keys are case-sensitive: "Key" and "key" are two records.
//   - Data is opaque bytes: any byte value, empty, and at least 64 KiB.
//   - Invalid keys fail with sesh.ErrInvalidKey before any I/O, from every
//     method that takes a key, and have no effect.
//   - Range's callback may call the store (no lock is held during fn).
//   - Touch that keeps losing to concurrent writes gives up with an error
//     wrapping sesh.ErrConflict, never another error.
//   - No error message holds the key, whole or in part (a file path, a
//     URL): in the interop modes keys are raw session IDs.
//
// The whole suite takes a few seconds: two subtests wait for a short expiry.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

// Factory returns a fresh, empty store, isolated from every other store it
// returns, and registers its cleanup with t.Cleanup.
type Factory func(t *testing.T) sesh.Store

// Options adapts the suite to what a store's engine can keep.
type Options struct {
	// Precision is how finely the store keeps Record.Expires: a store that
	// keeps whole seconds (DynamoDB's TTL attribute) says time.Second, one
	// that keeps microseconds (SQL timestamps) says time.Microsecond. The
	// suite accepts a round trip within Precision and waits Precision longer
	// for expiry. Zero means one millisecond.
	Precision time.Duration

	// Load scales the work of the Concurrency subtest (32 goroutines × 50
	// iterations of Set, Get and a shared-key operation at 1) for a store
	// whose every call is a slow round trip, such as an HTTP API on an
	// emulator: 0.25 runs 8 goroutines × 13 iterations. The checks are the
	// same at any load. Zero means 1.
	Load float64

	// Corrupt, by name, plants the kinds of unreadable record the store's
	// engine can hold (see CorruptFunc). With it the suite checks that a
	// corrupt record reads as sesh.ErrCorrupt, does not break Touch, Swap,
	// Delete or the listings, and leaks its key into no error. Without it
	// those subtests skip.
	Corrupt map[string]CorruptFunc

	// Sweeping says the store deletes expired records in the background
	// while the suite runs (a sweeper on a short interval), so that
	// sesh.Purger's count can only be checked as an upper bound.
	Sweeping bool
}

// Run runs the conformance suite against the stores newStore returns, with
// the default Options.
func Run(t *testing.T, newStore Factory) {
	t.Helper()
	RunWith(t, newStore, Options{})
}

// RunWith runs the conformance suite with opts.
func RunWith(t *testing.T, newStore Factory, opts Options) {
	t.Helper()
	if newStore == nil {
		t.Fatal("storetest: nil Factory")
	}
	if opts.Precision <= 0 {
		opts.Precision = time.Millisecond
	}
	if opts.Load <= 0 {
		opts.Load = 1
	}
	s := &suite{factory: newStore, prec: opts.Precision, load: opts.Load, corrupt: opts.Corrupt, sweeping: opts.Sweeping}

	t.Run("Get", s.testGet)
	t.Run("SetGet", s.testSetGet)
	t.Run("Upsert", s.testUpsert)
	t.Run("Delete", s.testDelete)
	t.Run("Keys", s.testKeys)
	t.Run("Expiry", s.testExpiry)
	t.Run("Context", s.testContext)
	t.Run("Concurrency", s.testConcurrency)
	t.Run("Toucher", s.testToucher)
	t.Run("Swapper", s.testSwapper)
	t.Run("Lister", s.testLister)
	t.Run("Creator", s.testCreator)
	t.Run("UserIndex", s.testUserIndex)
	t.Run("Pinger", s.testPinger)
	t.Run("Purger", s.testPurger)
	t.Run("TouchRacesSwap", s.testTouchRace)
	t.Run("Corrupt", s.testCorrupt)
	t.Run("NoKeyInErrors", s.testNoKeyInErrors)
	t.Run("Manager", s.testManager)
	t.Run("Requests", s.testSessionConcurrency)
	t.Run("Remember", s.testRemember)
}

type suite struct {
	factory  Factory
	prec     time.Duration
	load     float64
	corrupt  map[string]CorruptFunc
	sweeping bool
}

// newStore calls the factory and checks its result.
func (s *suite) newStore(t *testing.T) sesh.Store {
	t.Helper()
	st := s.factory(t)
	if st == nil {
		t.Fatal("storetest: factory returned a nil store")
	}
	return st
}

// past is an expiry safely in the past even for a store that rounds
// Expires up to its precision.
func (s *suite) past() time.Time { return time.Now().Add(-s.prec - time.Second) }

// shortTTL is long enough for a write and a read to happen before expiry
// on an idle machine, and short enough to keep the suite fast; the checks
// that use it run again with a longer TTL when the machine was slower
// (inTime, longerTTL).
func (s *suite) shortTTL() time.Duration {
	return max(1200*time.Millisecond, 2*s.prec+500*time.Millisecond)
}

// waitPast sleeps until exp plus the store's precision (and a little for
// the engine's clock) has passed.
func (s *suite) waitPast(exp time.Time) {
	time.Sleep(time.Until(exp.Add(s.prec + 50*time.Millisecond)))
}

// testCtx is the context of the suite's calls. Its deadline only catches a
// hung store (hangDeadline): a slow store on a busy machine passes.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithDeadline(t.Context(), hangDeadline(t))
	t.Cleanup(cancel)
	return ctx
}
