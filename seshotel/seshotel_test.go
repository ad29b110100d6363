package seshotel_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/cookie"
	"github.com/sesh-go/sesh/memstore"
	"github.com/sesh-go/sesh/seshotel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

const cookieName = "sid"

// faultStore is a memstore whose Get can be made to fail (fault injection
// only: every other call reaches the real memstore).
type faultStore struct {
	*memstore.Store
	mode atomic.Value // "", "corrupt" or "fail"
}

func (f *faultStore) Get(ctx context.Context, key string) (sesh.Record, error) {
	switch f.mode.Load() {
	case "corrupt":
		return sesh.Record{}, fmt.Errorf("faultStore: record %s: %w", key, sesh.ErrCorrupt)
	case "fail":
		// The key in the text: no span or attribute may show it.
		return sesh.Record{}, fmt.Errorf("faultStore: connection reset while reading %s", key)
	}
	return f.Store.Get(ctx, key)
}

// routes are the test application's handlers.
func routes(m *sesh.Manager, tp *sdktrace.TracerProvider) http.Handler {
	mux := http.NewServeMux()
	var h http.Handler
	mux.HandleFunc("GET /set", func(w http.ResponseWriter, r *http.Request) {
		if err := sesh.From(r.Context()).Set("v", r.URL.Query().Get("v")); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("GET /get", func(w http.ResponseWriter, r *http.Request) {
		v, _ := sesh.Get[string](sesh.From(r.Context()), "v")
		fmt.Fprint(w, v)
	})
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		s.Regenerate()
		s.SetUserID(r.URL.Query().Get("user"))
		if err := s.Set("user", r.URL.Query().Get("user")); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("GET /ban", func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		s.SetUserID("banned")
		if err := s.Set("user", "banned"); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("GET /logout", func(w http.ResponseWriter, r *http.Request) {
		sesh.From(r.Context()).Destroy()
	})
	// /nested changes the session, then serves another request on the same
	// session (path "then") to the end before its own commit: the second
	// request's write comes between this one's load and commit.
	mux.HandleFunc("GET /nested", func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		n, _ := sesh.Get[int](s, "n")
		if err := s.Set("n", n+1); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		// A request of its own: the trace goes on, but not the outer
		// request's session (a Handler nested on the same Manager passes
		// the request through to the session it already has).
		ictx := trace.ContextWithSpanContext(context.Background(), trace.SpanContextFromContext(r.Context()))
		inner, _ := http.NewRequestWithContext(ictx, "GET", r.URL.Query().Get("then"), nil)
		inner.Header.Set("Cookie", r.Header.Get("Cookie"))
		rec := &discard{header: http.Header{}}
		h.ServeHTTP(rec, inner)
		if rec.code != 0 && rec.code != 200 {
			http.Error(w, "inner request failed", 500)
		}
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		for i := range 4 {
			if err := s.Set(fmt.Sprint("k", i), strings.Repeat("x", 100)); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
		}
	})
	mux.HandleFunc("GET /huge", func(w http.ResponseWriter, r *http.Request) {
		if err := sesh.From(r.Context()).Set("v", strings.Repeat("y", 5000)); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	h = requestSpans(tp, m.Handler(mux))
	return h
}

// discard is a ResponseWriter that keeps only the status code.
type discard struct {
	header http.Header
	code   int
}

func (d *discard) Header() http.Header { return d.header }
func (d *discard) Write(p []byte) (int, error) {
	if d.code == 0 {
		d.code = 200
	}
	return len(p), nil
}
func (d *discard) WriteHeader(code int) {
	if d.code == 0 {
		d.code = code
	}
}

// TestMetricsAndSpans drives Managers over memstore through HTTP requests
// and checks, after each request, exactly which metrics changed and by how
// much, and that the store spans match the store calls one for one.
func TestMetricsAndSpans(t *testing.T) {
	r := newRig(t)
	clock := &fakeClock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	mem := memstore.New(memstore.Options{Now: clock.Now})
	t.Cleanup(func() { mem.Close() })
	base := sesh.Config{
		Cookie:          sesh.CookieConfig{Name: cookieName},
		Observer:        r.obs,
		Now:             clock.Now,
		IdleTimeout:     sesh.NoTimeout,
		AbsoluteTimeout: time.Hour,
		MaxSize:         256,
		Revoked: func(ctx context.Context, m sesh.Meta) (bool, error) {
			return m.UserID == "banned", nil
		},
		Logger: slog.New(slog.DiscardHandler),
	}
	cfg := base
	cfg.Store = mem
	m, err := sesh.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, h: routes(m, r.tp), name: cookieName, r: r}
	r.secret("secret-one", "secret-two", "secret-three", "alice", "banned")
	ctx := context.Background()

	// A new session: one create-if-absent swap.
	w := c.do(context.Background(), "/set?v=secret-one", "")
	status(t, "new session", w, 200)
	id := c.session(w)
	r.expect("new session", map[string]float64{
		dur(memType, "swap", "ok"): 1,
		seshotel.MetricCreated:     1,
	})
	// A read: one get.
	if w = c.do(context.Background(), "/get", id); w.Body.String() != "secret-one" {
		t.Fatalf("read: %q", w.Body)
	}
	r.expect("read", map[string]float64{dur(memType, "get", "ok"): 1})

	// Sign-in: read, write under the new ID, tombstone the old one.
	w = c.do(context.Background(), "/login?user=alice", id)
	status(t, "login", w, 200)
	id2 := c.session(w)
	if id2 == "" || id2 == id {
		t.Fatal("login: no new ID")
	}
	r.expect("login", map[string]float64{
		dur(memType, "get", "ok"):  1,
		dur(memType, "swap", "ok"): 2,
		seshotel.MetricRegenerated: 1,
	})
	r.requestEvent("login", "request /login", "sesh.regenerated", "")

	// Another request writes between this one's load and commit: its swap
	// loses (conflict, not a failure), it re-reads and replays.
	w = c.do(context.Background(), "/nested?then=/set%3Fv%3Dsecret-two", id2)
	status(t, "replay", w, 200)
	r.expect("replay", map[string]float64{
		dur(memType, "get", "ok"):        3, // outer load, inner load, re-read
		dur(memType, "swap", "ok"):       2, // inner commit, outer replayed commit
		dur(memType, "swap", "conflict"): 1,
		seshotel.MetricReplays:           1,
	})
	r.requestEvent("replay", "request /nested", "sesh.replay", "")
	if w = c.do(context.Background(), "/get", id2); w.Body.String() != "secret-two" {
		t.Fatalf("after replay: %q", w.Body)
	}
	r.expect("read after replay", map[string]float64{dur(memType, "get", "ok"): 1})

	// Another request destroys the session between this one's load and
	// commit: destroy wins.
	w = c.do(context.Background(), "/nested?then=/logout", id2)
	status(t, "lost to destroy", w, 200)
	if got := c.session(w); got != "-" {
		t.Fatalf("lost to destroy: cookie %q, want it expired", got)
	}
	r.expect("lost to destroy", map[string]float64{
		dur(memType, "get", "ok"):                      2, // outer load, inner load
		dur(memType, "delete", "ok"):                   1, // inner destroy
		dur(memType, "swap", "not_found"):              1, // outer commit
		seshotel.MetricDestroyed:                       1,
		seshotel.MetricLost + "{sesh.lost_to=destroy}": 1,
	})

	// The destroyed session's cookie again: not found, a new empty session.
	w = c.do(context.Background(), "/get", id2)
	status(t, "unknown ID", w, 200)
	r.expect("unknown ID", map[string]float64{dur(memType, "get", "not_found"): 1})

	// Another request signs in (moves the session) between this one's load
	// and commit.
	id3 := c.session(c.do(context.Background(), "/set?v=secret-three", ""))
	r.expect("new session 3", map[string]float64{dur(memType, "swap", "ok"): 1, seshotel.MetricCreated: 1})
	w = c.do(context.Background(), "/nested?then=/login", id3)
	status(t, "lost to move", w, 200)
	r.expect("lost to move", map[string]float64{
		dur(memType, "get", "ok"):                   3, // outer load, inner load, outer re-read finds the tombstone
		dur(memType, "swap", "ok"):                  2, // inner: new record, tombstone
		dur(memType, "swap", "conflict"):            1, // outer commit
		seshotel.MetricRegenerated:                  1,
		seshotel.MetricLost + "{sesh.lost_to=move}": 1,
	})

	// A record the engine kept past the absolute timeout: expired, deleted.
	id4 := c.session(c.do(context.Background(), "/set?v=x", ""))
	r.expect("new session 4", map[string]float64{dur(memType, "swap", "ok"): 1, seshotel.MetricCreated: 1})
	rec, err := mem.Get(ctx, sesh.HashID(id4))
	if err != nil {
		t.Fatal(err)
	}
	rec.Expires = clock.Now().Add(100 * time.Hour)
	if err := mem.Set(ctx, sesh.HashID(id4), rec); err != nil {
		t.Fatal(err)
	}
	clock.Advance(61 * time.Minute)
	w = c.do(context.Background(), "/get", id4)
	if w.Body.String() != "" {
		t.Fatalf("expired session read: %q", w.Body)
	}
	r.expect("expired", map[string]float64{
		dur(memType, "get", "ok"):    1,
		dur(memType, "delete", "ok"): 1,
		seshotel.MetricExpired:       1,
	})

	// Config.Revoked ends a session.
	id5 := c.session(c.do(context.Background(), "/set?v=x", ""))
	r.expect("new session 5", map[string]float64{dur(memType, "swap", "ok"): 1, seshotel.MetricCreated: 1})
	w = c.do(context.Background(), "/ban", id5) // SetUserID regenerates
	id5 = c.session(w)
	r.expect("sign-in of a banned user", map[string]float64{
		dur(memType, "get", "ok"):  1,
		dur(memType, "swap", "ok"): 2,
		seshotel.MetricRegenerated: 1,
	})
	w = c.do(context.Background(), "/get", id5)
	status(t, "revoked", w, 200)
	r.expect("revoked", map[string]float64{dur(memType, "get", "ok"): 1, seshotel.MetricRevoked: 1})

	// A record that does not decode reads as no session.
	id6 := c.session(c.do(context.Background(), "/set?v=x", ""))
	r.expect("new session 6", map[string]float64{dur(memType, "swap", "ok"): 1, seshotel.MetricCreated: 1})
	rec, err = mem.Get(ctx, sesh.HashID(id6))
	if err != nil {
		t.Fatal(err)
	}
	rec.Data = []byte("not json")
	if err := mem.Set(ctx, sesh.HashID(id6), rec); err != nil {
		t.Fatal(err)
	}
	w = c.do(context.Background(), "/get", id6)
	status(t, "undecodable", w, 200)
	r.expect("undecodable", map[string]float64{dur(memType, "get", "ok"): 1, seshotel.MetricDecodeFailures: 1})

	// Over Config.MaxSize: nothing stored, 413.
	w = c.do(context.Background(), "/big", "")
	status(t, "too large", w, http.StatusRequestEntityTooLarge)
	r.expect("too large", map[string]float64{
		seshotel.MetricTooLarge:                              1,
		seshotel.MetricFailClosed + "{error.type=too_large}": 1,
	})

	// The request's context ends before the store call.
	id7 := c.session(c.do(context.Background(), "/set?v=x", ""))
	r.expect("new session 7", map[string]float64{dur(memType, "swap", "ok"): 1, seshotel.MetricCreated: 1})
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	w = c.do(canceled, "/get", id7)
	status(t, "canceled", w, 500)
	r.expect("canceled", map[string]float64{
		dur(memType, "get", "canceled"):                     1,
		seshotel.MetricFailClosed + "{error.type=canceled}": 1,
	})
	r.requestEvent("canceled", "request /get", "sesh.fail_closed", "canceled")
	past, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	w = c.do(past, "/get", id7)
	status(t, "timeout", w, 500)
	r.expect("timeout", map[string]float64{
		dur(memType, "get", "timeout"):                     1,
		seshotel.MetricFailClosed + "{error.type=timeout}": 1,
	})

	// A store that reports a corrupt record, then fails.
	fs := &faultStore{Store: mem}
	cfg = base
	cfg.Store = fs
	fm, err := sesh.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fc := &client{t: t, h: routes(fm, r.tp), name: cookieName, r: r}
	const faultType = "*seshotel_test.faultStore"
	r.secret("connection reset")
	fs.mode.Store("corrupt")
	w = fc.do(context.Background(), "/get", id7)
	status(t, "corrupt", w, 200)
	r.expect("corrupt", map[string]float64{dur(faultType, "get", "error"): 1, seshotel.MetricCorrupt: 1})
	fs.mode.Store("fail")
	w = fc.do(context.Background(), "/get", id7)
	status(t, "store failure", w, 500)
	r.expect("store failure", map[string]float64{
		dur(faultType, "get", "error"):                    1,
		seshotel.MetricFailClosed + "{error.type=_OTHER}": 1,
	})
	r.requestEvent("store failure", "request /get", "sesh.fail_closed", "_OTHER")

	// Cookie-only sessions: created without a store call; one that does
	// not fit its cookie fails closed.
	sealer, err := cookie.NewSealer(cookie.Key{ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	cfg = base
	cfg.Sealer = sealer
	cfg.MaxSize = 0
	sm, err := sesh.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sc := &client{t: t, h: routes(sm, r.tp), name: cookieName, r: r}
	w = sc.do(context.Background(), "/set?v=secret-one", "")
	status(t, "sealed session", w, 200)
	r.expect("sealed session", map[string]float64{seshotel.MetricCreated: 1})
	w = sc.do(context.Background(), "/huge", "")
	status(t, "cookie too large", w, 500)
	r.expect("cookie too large", map[string]float64{
		seshotel.MetricCookieTooLarge:                               1,
		seshotel.MetricFailClosed + "{error.type=cookie_too_large}": 1,
	})
}

// requestEvent checks that the last ended span named name carries a span
// event called event, with error.type etype when etype is not "".
func (r *rig) requestEvent(step, name, event, etype string) {
	r.t.Helper()
	ended := r.spans.Ended()
	for i := len(ended) - 1; i >= 0; i-- {
		s := ended[i]
		if s.Name() != name {
			continue
		}
		for _, e := range s.Events() {
			if e.Name != event {
				continue
			}
			set := attribute.NewSet(e.Attributes...)
			v, _ := set.Value(seshotel.ErrorTypeKey)
			if v.AsString() != etype {
				r.t.Fatalf("%s: span event %s: error.type %q, want %q", step, event, v.AsString(), etype)
			}
			return
		}
		r.t.Fatalf("%s: span %s has no event %s: %v", step, name, event, s.Events())
	}
	r.t.Fatalf("%s: no span %s", step, name)
}
