package seshotel_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/memstore"
	"github.com/sesh-go/sesh/seshotel"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// An Observer built from the global providers before they are set (as in
// a package-level variable) records on the providers set later.
func TestGlobalProviders(t *testing.T) {
	obs := seshotel.New(seshotel.WithAttributes(managerAttr))
	r := &rig{t: t, reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder(), prev: map[string]float64{}}
	r.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	t.Cleanup(func() {
		r.tp.Shutdown(context.Background())
		mp.Shutdown(context.Background())
	})
	otel.SetMeterProvider(mp)
	otel.SetTracerProvider(r.tp)

	mem := memstore.New(memstore.Options{})
	t.Cleanup(func() { mem.Close() })
	m, err := sesh.New(sesh.Config{Store: mem, Cookie: sesh.CookieConfig{Name: cookieName}, Observer: obs, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, h: routes(m, r.tp), name: cookieName, r: r}
	id := c.session(c.do(context.Background(), "/set?v=secret-one", ""))
	r.secret("secret-one")
	c.do(context.Background(), "/get", id)
	r.expect("global providers", map[string]float64{
		dur(memType, "swap", "ok"): 1,
		dur(memType, "get", "ok"):  1,
		seshotel.MetricCreated:     1,
	})
}

// With a no-op TracerProvider the Observer starts no span (the context
// comes back as it went in) and still records metrics; kinds of event it
// does not know are ignored.
func TestNoopTracer(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	obs := seshotel.New(seshotel.WithMeterProvider(mp), seshotel.WithTracerProvider(tracenoop.NewTracerProvider()), seshotel.WithAttributes(managerAttr))
	r := &rig{t: t, reader: reader, spans: tracetest.NewSpanRecorder(), prev: map[string]float64{}}

	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, 1)
	got, done := obs.StoreCall(ctx, sesh.StoreCall{Op: "get", Store: "*x.Store"})
	if got != ctx {
		t.Fatal("a no-op tracer changed the context")
	}
	if trace.SpanFromContext(got).SpanContext().IsValid() {
		t.Fatal("span started")
	}
	done(nil)
	obs.Event(ctx, sesh.Event{Kind: sesh.EventKind(200)})
	obs.Event(ctx, sesh.Event{Kind: 0})
	obs.Event(ctx, sesh.Event{Kind: sesh.EventReplay})
	if d := r.delta(); len(d) != 2 || d[dur("*x.Store", "get", "ok")] != 1 || d[seshotel.MetricReplays] != 1 {
		t.Fatalf("metrics: %v", show(d))
	}
}
