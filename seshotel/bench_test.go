package seshotel_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/memstore"
	"github.com/sesh-go/sesh/seshotel"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// discardExporter drops the spans a batch span processor hands it.
type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }

// BenchmarkOverhead serves a request that reads its session (one store
// get) through a Manager over memstore: with no Observer, with seshotel on
// no-op providers, with seshotel on the metrics SDK (spans off), and on
// the metrics and trace SDKs (every span sampled, batched, discarded).
//
//	go test -run '^$' -bench Overhead -benchmem
func BenchmarkOverhead(b *testing.B) {
	ctx := context.Background()
	sdkMeter := func(b *testing.B) *sdkmetric.MeterProvider {
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		b.Cleanup(func() { mp.Shutdown(ctx) })
		return mp
	}
	for _, tc := range []struct {
		name string
		obs  func(b *testing.B) sesh.Observer
	}{
		{"none", func(*testing.B) sesh.Observer { return nil }},
		{"noop", func(*testing.B) sesh.Observer {
			return seshotel.New(seshotel.WithMeterProvider(metricnoop.NewMeterProvider()), seshotel.WithTracerProvider(tracenoop.NewTracerProvider()))
		}},
		{"sdk-metrics", func(b *testing.B) sesh.Observer {
			return seshotel.New(seshotel.WithMeterProvider(sdkMeter(b)), seshotel.WithTracerProvider(tracenoop.NewTracerProvider()))
		}},
		{"sdk-metrics-traces", func(b *testing.B) sesh.Observer {
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discardExporter{}))
			b.Cleanup(func() { tp.Shutdown(ctx) })
			return seshotel.New(seshotel.WithMeterProvider(sdkMeter(b)), seshotel.WithTracerProvider(tp))
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			mem := memstore.New(memstore.Options{})
			b.Cleanup(func() { mem.Close() })
			m, err := sesh.New(sesh.Config{Store: mem, Cookie: sesh.CookieConfig{Name: cookieName}, Observer: tc.obs(b), Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n, _ := sesh.Get[int](sesh.From(r.Context()), "n")
				io.WriteString(w, "x")
				_ = n
			}))
			s, err := m.Load(ctx, "")
			if err != nil {
				b.Fatal(err)
			}
			s.Set("n", 1)
			line, err := m.Commit(ctx, s)
			if err != nil {
				b.Fatal(err)
			}
			ck, err := http.ParseSetCookie(line)
			if err != nil {
				b.Fatal(err)
			}
			c := &client{t: b, h: h, name: cookieName}
			b.ReportAllocs()
			for b.Loop() {
				if w := c.do(context.Background(), "/", ck.Value); w.Code != 200 {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
