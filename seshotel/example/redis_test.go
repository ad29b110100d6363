package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/redisstore"
	"github.com/sesh-go/sesh/seshotel"
	"github.com/sesh-go/sesh/storetest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// redisClient connects to the test Redis (SESH_REDIS_URL, or the local
// default), as redisstore's own tests do.
func redisClient(t *testing.T) *redis.Client {
	o, err := redis.ParseURL(storetest.Service(t, "SESH_REDIS_URL"))
	if err != nil {
		t.Fatalf("SESH_REDIS_URL: %v", err)
	}
	o.ContextTimeoutEnabled = true
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		storetest.Unavailable(t, "redis at "+o.Addr, err)
	}
	version := "(version unknown)"
	info, _ := c.Info(ctx, "server").Result()
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			version = v
		}
	}
	storetest.Engine(t, "Redis", version, o.Addr)
	return c
}

// The Observer on a Manager over a real Redis: each store call is
// measured and traced under the store's type, with its outcome.
func TestRedisStore(t *testing.T) {
	ctx := context.Background()
	store, err := redisstore.New(redisClient(t), redisstore.Options{Prefix: fmt.Sprintf("seshotel-test-%d:", time.Now().UnixNano())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Clear(ctx) })
	reader, spans := sdkmetric.NewManualReader(), tracetest.NewSpanRecorder()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() {
		mp.Shutdown(ctx)
		tp.Shutdown(ctx)
	})
	m, err := sesh.New(sesh.Config{Store: store, Observer: seshotel.New(seshotel.WithMeterProvider(mp), seshotel.WithTracerProvider(tp)),
		Cookie: sesh.CookieConfig{Name: "sid", Secure: sesh.SecureNever}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /set", func(w http.ResponseWriter, r *http.Request) { sesh.From(r.Context()).Set("v", "secret-value") })
	mux.HandleFunc("GET /get", func(w http.ResponseWriter, r *http.Request) {
		v, _ := sesh.Get[string](sesh.From(r.Context()), "v")
		fmt.Fprint(w, v)
	})
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) { sesh.From(r.Context()).Regenerate() })
	mux.HandleFunc("GET /logout", func(w http.ResponseWriter, r *http.Request) { sesh.From(r.Context()).Destroy() })
	h := m.Handler(mux)
	var secrets []string
	do := func(ctx context.Context, path, id string, want int) string {
		t.Helper()
		req := httptest.NewRequestWithContext(ctx, "GET", path, nil)
		if id != "" {
			req.Header.Set("Cookie", "sid="+id)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != want {
			t.Fatalf("%s: status %d, want %d", path, w.Code, want)
		}
		for _, line := range w.Header().Values("Set-Cookie") {
			if c, err := http.ParseSetCookie(line); err == nil && c.Name == "sid" && c.Value != "" {
				secrets = append(secrets, c.Value, sesh.HashID(c.Value))
				return c.Value
			}
		}
		return ""
	}
	id := do(ctx, "/set", "", 200)
	do(ctx, "/get", id, 200)
	id2 := do(ctx, "/login", id, 200)
	do(ctx, "/logout", id2, 200)
	do(ctx, "/get", id2, 200) // destroyed: not found
	id3 := do(ctx, "/set", "", 200)
	past, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	do(past, "/get", id3, 500)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	calls, counters := map[string]uint64{}, map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, mt := range sm.Metrics {
			switch d := mt.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					if mt.Name != seshotel.MetricStoreDuration {
						continue
					}
					typ, _ := dp.Attributes.Value(seshotel.StoreTypeKey)
					if typ.AsString() != "*redisstore.Store" {
						t.Fatalf("store type %q", typ.AsString())
					}
					op, _ := dp.Attributes.Value(seshotel.OperationKey)
					out, _ := dp.Attributes.Value(seshotel.OutcomeKey)
					calls[op.AsString()+":"+out.AsString()] += dp.Count
				}
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					k := mt.Name
					if v, ok := dp.Attributes.Value(seshotel.ErrorTypeKey); ok {
						k += "{" + v.AsString() + "}"
					}
					counters[k] += dp.Value
				}
			}
		}
	}
	wantCalls := map[string]uint64{"swap:ok": 4, "get:ok": 3, "get:not_found": 1, "delete:ok": 1, "get:timeout": 1}
	if fmt.Sprint(calls) != fmt.Sprint(wantCalls) {
		t.Errorf("store calls %v, want %v", calls, wantCalls)
	}
	wantCounters := map[string]int64{seshotel.MetricCreated: 2, seshotel.MetricRegenerated: 1, seshotel.MetricDestroyed: 1,
		seshotel.MetricFailClosed + "{timeout}": 1}
	if fmt.Sprint(counters) != fmt.Sprint(wantCounters) {
		t.Errorf("counters %v, want %v", counters, wantCounters)
	}

	traced := map[string]uint64{}
	for _, s := range spans.Ended() {
		set := attribute.NewSet(s.Attributes()...)
		op, _ := set.Value(seshotel.OperationKey)
		out, _ := set.Value(seshotel.OutcomeKey)
		if s.Name() != "sesh.store "+op.AsString() {
			t.Errorf("span %q for operation %q", s.Name(), op.AsString())
		}
		if failed := out.AsString() == "timeout"; failed != (s.Status().Code == codes.Error) {
			t.Errorf("span %s (%s): status %v", s.Name(), out.AsString(), s.Status())
		}
		for _, a := range s.Attributes() {
			for _, sec := range append(secrets, "secret-value") {
				if strings.Contains(a.Value.String(), sec) {
					t.Errorf("span %s: attribute %s holds a secret", s.Name(), a.Key)
				}
			}
		}
		traced[op.AsString()+":"+out.AsString()]++
	}
	if fmt.Sprint(traced) != fmt.Sprint(wantCalls) {
		t.Errorf("spans %v, want %v", traced, wantCalls)
	}
}
