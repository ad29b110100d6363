// Command example serves a small sesh site whose session metrics
// (seshotel) are exported for Prometheus on /metrics, with a readiness
// probe on /readyz.
//
//	cd seshotel/example && go run .   # http://127.0.0.1:8090
//	curl -s http://127.0.0.1:8090/metrics | grep '^sesh_'
//
// docs/grafana-sesh.json is a Grafana dashboard for these metrics.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/memstore"
	"github.com/sesh-go/sesh/seshotel"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// app is the example's handler and what it is made of.
type app struct {
	handler http.Handler
	obs     *seshotel.Observer // the Observer, for the test
	close   func()
}

// newApp builds the site: a Prometheus registry that the OpenTelemetry
// Prometheus exporter feeds, a MeterProvider on that exporter, seshotel's
// Observer on that provider, and a Manager that reports to it.
func newApp() (*app, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	// Spans go to the global TracerProvider, a no-op until the program
	// sets one (otel.SetTracerProvider with an OTLP exporter, say).
	obs := seshotel.New(seshotel.WithMeterProvider(mp))

	store := memstore.New(memstore.Options{})
	m, err := sesh.New(sesh.Config{Store: store, Observer: obs,
		// Plain http://127.0.0.1 in this example; production keeps the
		// default (SecureAlways, __Host-session).
		Cookie: sesh.CookieConfig{Name: "session", Secure: sesh.SecureNever}})
	if err != nil {
		store.Close()
		return nil, err
	}

	site := http.NewServeMux()
	site.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		n, _ := sesh.Get[int](s, "views")
		if err := s.Set("views", n+1); err != nil {
			http.Error(w, "session error", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "views: %d", n+1)
	})
	site.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		if err := s.SetUserID(r.PostFormValue("user")); err != nil { // also a new session ID
			http.Error(w, "session error", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "signed in")
	})
	site.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		sesh.From(r.Context()).Destroy()
		fmt.Fprint(w, "signed out")
	})

	mux := http.NewServeMux()
	mux.Handle("/", http.NewCrossOriginProtection().Handler(m.Handler(site)))
	// Outside the session middleware: neither costs a session.
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := m.Ping(ctx); err != nil {
			slog.WarnContext(ctx, "readiness: session store", "err", err)
			http.Error(w, "session store unavailable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return &app{handler: mux, obs: obs, close: func() {
		mp.Shutdown(context.Background())
		store.Close()
	}}, nil
}

func main() {
	a, err := newApp()
	if err != nil {
		log.Fatal(err)
	}
	defer a.close()
	srv := &http.Server{Addr: "127.0.0.1:8090", Handler: a.handler, ReadHeaderTimeout: 10 * time.Second}
	log.Println("http://127.0.0.1:8090 (metrics on /metrics)")
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
