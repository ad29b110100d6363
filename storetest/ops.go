package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

// testPinger checks sesh.Pinger: Ping answers nil on a working store, and
// fails with ctx's error on a done context.
func (s *suite) testPinger(t *testing.T) {
	st, p := capability[sesh.Pinger](t, s, "Pinger")
	if err := p.Ping(testCtx(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := p.Ping(cancelledCtx()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Ping with a cancelled context = %v, want an error wrapping context.Canceled", err)
	}
	// Pinging changes nothing and leaves the store usable.
	mustSet(t, st, "k", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)})
	if err := p.Ping(testCtx(t)); err != nil {
		t.Fatalf("second Ping: %v", err)
	}
	checkData(t, "Get after Ping", mustGet(t, st, "k").Data, []byte("x"))
}

// testPurger checks sesh.Purger: Purge deletes the expired records and
// only those, and reports how many.
func (s *suite) testPurger(t *testing.T) {
	st, p := capability[sesh.Purger](t, s, "Purger")
	if err := func() error { _, err := p.Purge(cancelledCtx()); return err }(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Purge with a cancelled context = %v, want an error wrapping context.Canceled", err)
	}
	if n, err := p.Purge(testCtx(t)); err != nil || n != 0 {
		t.Fatalf("Purge of an empty store = (%d, %v), want (0, nil)", n, err)
	}
	const expiring = 3
	exp := time.Now().Add(s.shortTTL())
	for i := range expiring {
		mustSet(t, st, fmt.Sprintf("e%d", i), sesh.Record{Data: []byte("soon gone"), Expires: exp, UserID: "u"})
	}
	live := time.Now().Add(time.Hour)
	for i := range 2 {
		mustSet(t, st, fmt.Sprintf("l%d", i), sesh.Record{Data: []byte("live"), Expires: live, UserID: "u"})
	}
	if n, err := p.Purge(testCtx(t)); err != nil || n != 0 {
		t.Fatalf("Purge with nothing expired = (%d, %v), want (0, nil)", n, err)
	}
	s.waitPast(exp)
	n, err := p.Purge(testCtx(t))
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if s.sweeping {
		if n < 0 || n > expiring {
			t.Fatalf("Purge = %d, want at most %d (the store also sweeps in the background)", n, expiring)
		}
	} else if n != expiring {
		t.Fatalf("Purge = %d, want %d (the expired records)", n, expiring)
	}
	if n, err := p.Purge(testCtx(t)); err != nil || n != 0 {
		t.Fatalf("second Purge = (%d, %v), want (0, nil)", n, err)
	}
	for i := range 2 {
		checkData(t, "live record after Purge", mustGet(t, st, fmt.Sprintf("l%d", i)).Data, []byte("live"))
	}
	for i := range expiring {
		wantNotFound(t, st, fmt.Sprintf("e%d", i))
	}
	if l, ok := st.(sesh.Lister); ok {
		if n := mustLen(t, l); n != 2 {
			t.Fatalf("Len after Purge = %d, want 2", n)
		}
	}
	// A key purged can be written again.
	mustSet(t, st, "e0", sesh.Record{Data: []byte("again"), Expires: live})
	checkData(t, "Get of a key written again after Purge", mustGet(t, st, "e0").Data, []byte("again"))
}
