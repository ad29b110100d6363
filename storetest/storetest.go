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
// exactly the expired records and counts them). A capability the store lacks is skipped
// with a line saying so. Finally it drives a sesh.Manager over the store
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
	s := &suite{factory: newStore, prec: opts.Precision, sweeping: opts.Sweeping}

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
	t.Run("Manager", s.testManager)
	t.Run("Requests", s.testSessionConcurrency)
}

type suite struct {
	factory  Factory
	prec     time.Duration
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

// shortTTL is long enough for a write and a read to happen before expiry,
// and short enough to keep the suite fast.
func (s *suite) shortTTL() time.Duration {
	return max(1200*time.Millisecond, 2*s.prec+500*time.Millisecond)
}

// waitPast sleeps until exp plus the store's precision (and a little for
// the engine's clock) has passed.
func (s *suite) waitPast(exp time.Time) {
	time.Sleep(time.Until(exp.Add(s.prec + 50*time.Millisecond)))
}

// testCtx is bounded so that a hung store fails the test instead of hanging
// the run.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
