package seshotel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/seshotel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// managerAttr is the attribute every test Observer adds (WithAttributes);
// snapshots check it on every data point and span, then leave it out of
// their keys.
var managerAttr = attribute.String("sesh.manager", "test")

// rig is an Observer on the SDK's in-memory reader and span recorder.
type rig struct {
	t      *testing.T
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	obs    *seshotel.Observer
	prev   map[string]float64 // the last snapshot, for deltas
	seen   int                // spans already checked
	// secrets are strings no attribute may contain: session IDs, store
	// keys, values, error texts.
	mu      sync.Mutex
	secrets []string
}

func newRig(t *testing.T) *rig {
	r := &rig{t: t, reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder(), prev: map[string]float64{}}
	r.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	t.Cleanup(func() {
		ctx := context.Background()
		r.tp.Shutdown(ctx)
		mp.Shutdown(ctx)
	})
	r.obs = seshotel.New(seshotel.WithMeterProvider(mp), seshotel.WithTracerProvider(r.tp), seshotel.WithAttributes(managerAttr))
	return r
}

func (r *rig) secret(s ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = append(r.secrets, s...)
}

// key names a data point: the metric and its attributes (less
// managerAttr), sorted, e.g. "sesh.commit.lost{sesh.lost_to=move}".
func key(name string, set attribute.Set) string {
	var kv []string
	for _, a := range set.ToSlice() {
		if a.Key != managerAttr.Key {
			kv = append(kv, string(a.Key)+"="+a.Value.String())
		}
	}
	if len(kv) == 0 {
		return name
	}
	return name + "{" + strings.Join(kv, ",") + "}"
}

// dur is the key of the store duration histogram for op on a store type
// with an outcome.
func dur(store, op, outcome string) string {
	return fmt.Sprintf("%s{sesh.store.operation=%s,sesh.store.outcome=%s,sesh.store.type=%s}", seshotel.MetricStoreDuration, op, outcome, store)
}

const memType = "*memstore.Store"

// snapshot collects every data point: counters by value, histograms by
// count (under their key) and sum (under key+" sum"). It fails the test on
// a data point without managerAttr, or with an attribute that holds a
// secret.
func (r *rig) snapshot() map[string]float64 {
	r.t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		r.t.Fatalf("collect: %v", err)
	}
	out := map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != seshotel.ScopeName {
			r.t.Fatalf("scope %q", sm.Scope.Name)
		}
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				if !d.IsMonotonic || d.Temporality != metricdata.CumulativeTemporality {
					r.t.Fatalf("%s: not a cumulative counter", m.Name)
				}
				for _, dp := range d.DataPoints {
					r.checkAttrs(m.Name, dp.Attributes)
					out[key(m.Name, dp.Attributes)] = float64(dp.Value)
				}
			case metricdata.Histogram[float64]:
				if m.Unit != "s" {
					r.t.Fatalf("%s: unit %q", m.Name, m.Unit)
				}
				for _, dp := range d.DataPoints {
					r.checkAttrs(m.Name, dp.Attributes)
					k := key(m.Name, dp.Attributes)
					out[k] = float64(dp.Count)
					out[k+" sum"] = dp.Sum
					if dp.Sum < 0 {
						r.t.Fatalf("%s: negative sum %v", k, dp.Sum)
					}
				}
			default:
				r.t.Fatalf("%s: unexpected data %T", m.Name, m.Data)
			}
		}
	}
	return out
}

func (r *rig) checkAttrs(what string, set attribute.Set) {
	r.t.Helper()
	if v, ok := set.Value(managerAttr.Key); !ok || v != managerAttr.Value {
		r.t.Fatalf("%s: no %s attribute: %v", what, managerAttr.Key, set.ToSlice())
	}
	r.checkSecrets(what, set.ToSlice())
}

func (r *rig) checkSecrets(what string, kv []attribute.KeyValue) {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range kv {
		v := a.Value.String()
		for _, s := range r.secrets {
			if s != "" && strings.Contains(v, s) {
				r.t.Fatalf("%s: attribute %s holds a secret (%q)", what, a.Key, s)
			}
		}
	}
}

// delta returns the changes since the last call: counts and counters
// only (histogram sums are left out), zero changes left out.
func (r *rig) delta() map[string]float64 {
	r.t.Helper()
	now := r.snapshot()
	d := map[string]float64{}
	for k, v := range now {
		if strings.HasSuffix(k, " sum") {
			continue
		}
		if v != r.prev[k] {
			d[k] = v - r.prev[k]
		}
	}
	for k := range r.prev {
		if _, ok := now[k]; !ok {
			r.t.Fatalf("data point %s vanished", k)
		}
	}
	r.prev = now
	return d
}

// expect checks that the metrics changed by exactly want since the last
// check, and that the store spans ended since then match the duration
// histogram's counts one for one.
func (r *rig) expect(step string, want map[string]float64) {
	r.t.Helper()
	got := r.delta()
	if !mapsEqual(got, want) {
		r.t.Fatalf("%s: metrics changed by\n%s\nwant\n%s", step, show(got), show(want))
	}
	r.checkSpans(step, got)
}

// checkSpans checks the store spans ended since the last call against the
// histogram counts in d: one span per store call, with its name,
// attributes and status.
func (r *rig) checkSpans(step string, d map[string]float64) {
	r.t.Helper()
	ended := r.spans.Ended()
	names := map[trace.SpanID]string{}
	for _, s := range ended {
		names[s.SpanContext().SpanID()] = s.Name()
	}
	spans := map[string]float64{}
	for _, s := range ended[r.seen:] {
		r.checkSecrets(step+": span "+s.Name(), s.Attributes())
		for _, e := range s.Events() {
			r.checkSecrets(step+": span event "+e.Name, e.Attributes)
		}
		if s.Status().Description != "" && !slices.Contains([]string{"error", "canceled", "timeout"}, s.Status().Description) {
			r.t.Fatalf("%s: span %s: status description %q", step, s.Name(), s.Status().Description)
		}
		if !strings.HasPrefix(s.Name(), "sesh.store ") {
			continue
		}
		set := attribute.NewSet(s.Attributes()...)
		r.checkAttrs(step+": span "+s.Name(), set)
		op, _ := set.Value(seshotel.OperationKey)
		out, _ := set.Value(seshotel.OutcomeKey)
		if s.Name() != "sesh.store "+op.AsString() {
			r.t.Fatalf("%s: span %q for operation %q", step, s.Name(), op.AsString())
		}
		if s.SpanKind() != trace.SpanKindInternal {
			r.t.Fatalf("%s: span %s: kind %v", step, s.Name(), s.SpanKind())
		}
		failed := slices.Contains([]string{"error", "canceled", "timeout"}, out.AsString())
		if st := s.Status(); failed != (st.Code.String() == "Error") || (failed && st.Description != out.AsString()) {
			r.t.Fatalf("%s: span %s outcome %s: status %v %q", step, s.Name(), out.AsString(), st.Code, st.Description)
		}
		if p := names[s.Parent().SpanID()]; !strings.HasPrefix(p, "request ") {
			r.t.Fatalf("%s: span %s: parent %q, want the request's span", step, s.Name(), p)
		}
		spans[key(seshotel.MetricStoreDuration, set)]++
	}
	r.seen = len(ended)
	hist := map[string]float64{}
	for k, v := range d {
		if strings.HasPrefix(k, seshotel.MetricStoreDuration+"{") {
			hist[k] = v
		}
	}
	if !mapsEqual(spans, hist) {
		r.t.Fatalf("%s: store spans\n%s\nbut store call counts\n%s", step, show(spans), show(hist))
	}
}

func mapsEqual(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func show(m map[string]float64) string {
	var lines []string
	for k, v := range m {
		lines = append(lines, fmt.Sprintf("  %s = %v", k, v))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// requestSpans wraps h in a span per request, as otelhttp would, so store
// spans have a parent and lifecycle events a span to go to.
func requestSpans(tp trace.TracerProvider, h http.Handler) http.Handler {
	tr := tp.Tracer("test")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, span := tr.Start(r.Context(), "request "+r.URL.Path)
		defer span.End()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// client sends requests through a handler, carrying one session cookie.
type client struct {
	t    testing.TB
	h    http.Handler
	name string // cookie name
	r    *rig
}

// do sends one request with cookie (the value of the session cookie, or
// "") and returns the response.
func (c *client) do(ctx context.Context, target, cookie string) *httptest.ResponseRecorder {
	c.t.Helper()
	req := httptest.NewRequestWithContext(ctx, "GET", target, nil)
	if cookie != "" {
		req.Header.Set("Cookie", c.name+"="+cookie)
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, req)
	return w
}

// session returns the session cookie's value the response sets, "" if it
// sets none, and "-" if it expires it. Every value is a secret.
func (c *client) session(w *httptest.ResponseRecorder) string {
	c.t.Helper()
	for _, line := range w.Header().Values("Set-Cookie") {
		ck, err := http.ParseSetCookie(line)
		if err != nil {
			c.t.Fatalf("Set-Cookie %q: %v", line, err)
		}
		if ck.Name != c.name {
			continue
		}
		if ck.MaxAge < 0 || ck.Value == "" {
			return "-"
		}
		if c.r != nil {
			c.r.secret(ck.Value, sesh.HashID(ck.Value))
		}
		return ck.Value
	}
	return ""
}

// status checks the response's status code.
func status(t *testing.T, step string, w *httptest.ResponseRecorder, want int) {
	t.Helper()
	if w.Code != want {
		t.Fatalf("%s: status %d, want %d: %s", step, w.Code, want, w.Body)
	}
}

// fakeClock is a settable clock for a Manager and its memstore.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
