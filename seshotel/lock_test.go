package seshotel_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/memstore"
	"github.com/sesh-go/sesh/seshotel"
)

// tee forwards to an Observer and keeps its own count of the store calls
// the Manager reported, for the calls whose number depends on timing (a
// waiter polls a held lock as often as it gets to run). It signals
// contended when a lock swap lost.
type tee struct {
	next      sesh.Observer
	contended chan struct{}
	mu        sync.Mutex
	calls     map[string]float64
}

func (t *tee) StoreCall(ctx context.Context, c sesh.StoreCall) (context.Context, func(error)) {
	ctx, done := t.next.StoreCall(ctx, c)
	return ctx, func(err error) {
		done(err)
		out := "ok"
		switch {
		case errors.Is(err, sesh.ErrConflict):
			out = "conflict"
		case err != nil:
			out = "error"
		}
		t.mu.Lock()
		t.calls[dur(c.Store, c.Op, out)]++
		t.mu.Unlock()
		if c.Op == "lock" && out == "conflict" {
			select {
			case t.contended <- struct{}{}:
			default:
			}
		}
	}
}

func (t *tee) Event(ctx context.Context, e sesh.Event) { t.next.Event(ctx, e) }

// take returns the store calls counted since the last take.
func (t *tee) take() map[string]float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.calls
	t.calls = map[string]float64{}
	return c
}

// TestLockMetrics drives two Managers with Config.Serialize over one
// memstore: a request that waits for a held lock is measured by the lock
// wait histogram; one that cannot get it within LockWait is a conflict
// and a fail-closed response.
func TestLockMetrics(t *testing.T) {
	r := newRig(t)
	tt := &tee{next: r.obs, contended: make(chan struct{}, 1), calls: map[string]float64{}}
	mem := memstore.New(memstore.Options{})
	t.Cleanup(func() { mem.Close() })
	held, release := make(chan struct{}), make(chan struct{})
	newManager := func(wait time.Duration) *client {
		m, err := sesh.New(sesh.Config{Store: mem, Cookie: sesh.CookieConfig{Name: cookieName}, Observer: tt,
			Serialize: true, LockWait: wait, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("GET /set", func(w http.ResponseWriter, r *http.Request) { sesh.From(r.Context()).Set("v", 1) })
		mux.HandleFunc("GET /get", func(w http.ResponseWriter, r *http.Request) { sesh.Get[int](sesh.From(r.Context()), "v") })
		mux.HandleFunc("GET /hold", func(w http.ResponseWriter, r *http.Request) {
			held <- struct{}{}
			<-release
		})
		return &client{t: t, h: requestSpans(r.tp, m.Handler(mux)), name: cookieName, r: r}
	}
	patient, impatient := newManager(time.Minute), newManager(time.Millisecond)

	id := patient.session(patient.do(context.Background(), "/set", ""))
	tt.take()
	r.expect("new session", map[string]float64{dur(memType, "swap", "ok"): 1, seshotel.MetricCreated: 1})

	// A holds the lock; B waits for it until A is done.
	var wg sync.WaitGroup
	var codeA, codeB int
	wg.Go(func() { codeA = patient.do(context.Background(), "/hold", id).Code })
	<-held
	wg.Go(func() { codeB = patient.do(context.Background(), "/get", id).Code })
	<-tt.contended
	release <- struct{}{}
	wg.Wait()
	if codeA != 200 || codeB != 200 {
		t.Fatalf("waited: status %d and %d", codeA, codeB)
	}
	calls := tt.take()
	if calls[dur(memType, "lock", "ok")] != 2 || calls[dur(memType, "lock", "conflict")] < 1 || calls[dur(memType, "unlock", "ok")] != 2 {
		t.Fatalf("waited: store calls %v", show(calls))
	}
	calls[seshotel.MetricLockWait] = 1
	r.expect("waited", calls)
	if s := r.prev[seshotel.MetricLockWait+" sum"]; s <= 0 {
		t.Fatalf("lock wait sum %v", s)
	}
	r.requestEvent("waited", "request /get", "sesh.lock_waited", "")

	// A holds the lock again; C gives up after its LockWait.
	wg.Go(func() { codeA = patient.do(context.Background(), "/hold", id).Code })
	<-held
	w := impatient.do(context.Background(), "/get", id)
	status(t, "gave up", w, http.StatusServiceUnavailable)
	release <- struct{}{}
	wg.Wait()
	if codeA != 200 {
		t.Fatalf("holder: status %d", codeA)
	}
	calls = tt.take()
	if calls[dur(memType, "lock", "ok")] != 1 || calls[dur(memType, "lock", "conflict")] < 1 || calls[dur(memType, "unlock", "ok")] != 1 {
		t.Fatalf("gave up: store calls %v", show(calls))
	}
	calls[seshotel.MetricConflicts] = 1
	calls[seshotel.MetricFailClosed+"{error.type=conflict}"] = 1
	r.expect("gave up", calls)
	r.requestEvent("gave up", "request /get", "sesh.fail_closed", "conflict")
}
