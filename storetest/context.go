package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

func (s *suite) testContext(t *testing.T) {
	t.Run("Canceled", func(t *testing.T) {
		s.checkDoneContext(t, cancelledCtx(), context.Canceled)
	})
	t.Run("DeadlineExceeded", func(t *testing.T) {
		s.checkDoneContext(t, expiredCtx(t), context.DeadlineExceeded)
	})
}

// checkDoneContext calls every method with a context that is already done:
// each must fail with an error wrapping want and change nothing.
func (s *suite) checkDoneContext(t *testing.T, done context.Context, want error) {
	st := s.newStore(t)
	exp := time.Now().Add(time.Hour)
	mustSet(t, st, "live", sesh.Record{Data: []byte("before"), Expires: exp, UserID: "u"})
	before := mustGet(t, st, "live")

	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s with a done context = %v, want an error wrapping %v", op, err, want)
		}
	}
	newRec := sesh.Record{Data: []byte("after"), Expires: exp.Add(time.Hour), UserID: "u"}

	_, err := st.Get(done, "live")
	check("Get", err)
	_, err = st.Get(done, "missing")
	check("Get of a missing key", err)
	check("Set", st.Set(done, "live", newRec))
	check("Set of a new key", st.Set(done, "fresh", newRec))
	check("Delete", st.Delete(done, "live"))
	if tc, ok := st.(sesh.Toucher); ok {
		check("Touch", tc.Touch(done, "live", exp.Add(time.Hour)))
	}
	if sw, ok := st.(sesh.Swapper); ok {
		r := newRec
		r.Version = before.Version
		_, err := sw.Swap(done, "live", r)
		check("Swap", err)
		_, err = sw.Swap(done, "fresh2", newRec)
		check("Swap of a new key", err)
	}
	if l, ok := st.(sesh.Lister); ok {
		err := l.Range(done, func(string, sesh.Record) bool { return true })
		check("Range", err)
		_, err = l.Len(done)
		check("Len", err)
		check("Clear", l.Clear(done))
	}
	if c, ok := st.(sesh.Creator); ok {
		_, err := c.Create(done, newRec)
		check("Create", err)
	}
	if ui, ok := st.(sesh.UserIndex); ok {
		_, err := ui.ByUser(done, "u")
		check("ByUser", err)
	}

	// Nothing changed.
	after := mustGet(t, st, "live")
	checkData(t, "Get after the calls with a done context", after.Data, before.Data)
	checkTime(t, "Get after the calls with a done context", after.Expires, before.Expires, 0)
	if after.Version != before.Version {
		t.Errorf("Get after the calls with a done context: Version = %d, want %d (unchanged)", after.Version, before.Version)
	}
	wantNotFound(t, st, "fresh")
	wantNotFound(t, st, "fresh2")
	if l, ok := st.(sesh.Lister); ok {
		if n := mustLen(t, l); n != 1 {
			t.Errorf("Len after the calls with a done context = %d, want 1", n)
		}
	}
}
