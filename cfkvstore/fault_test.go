package cfkvstore

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// TestFaults cuts and slows the connection to the engine through
// storetest's proxy: the store's client dials the proxy whatever the base
// URL says (so TLS to a real API still names the real host).
func TestFaults(t *testing.T) {
	e := testEngine(t)
	for _, name := range []string{"native", "remix"} {
		t.Run(name, func(t *testing.T) {
			storetest.Faults(t, e.addr, func(t *testing.T, addr string) (sesh.Store, func()) {
				tr := &http.Transport{
					DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
						var d net.Dialer
						return d.DialContext(ctx, network, addr)
					},
					ForceAttemptHTTP2: true,
				}
				o := e.options()
				o.Prefix = uniquePrefix()
				o.HTTPClient = &http.Client{Transport: tr}
				var st sesh.Store
				var err error
				if name == "native" {
					st, err = New(o)
				} else {
					st, err = NewRemix(o)
				}
				if err != nil {
					t.Fatal(err)
				}
				return st, tr.CloseIdleConnections
			})
		})
	}
}

// throttle is a fault-injecting reverse proxy in front of the engine: it
// answers the first n requests itself with status (and Retry-After), then
// forwards.
func throttle(t *testing.T, e engine, n int64, status int, retryAfter string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	target, err := url.Parse(e.base)
	if err != nil {
		t.Fatal(err)
	}
	target.Path = ""
	proxy := httputil.NewSingleHostReverseProxy(target)
	var seen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) <= n {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			w.Write([]byte(`{"success":false,"errors":[{"code":10429,"message":"Too many requests"}],"messages":[],"result":null}`))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

// TestRetries: 429 and 5xx answers are retried within the context's
// deadline and Options.Retries, and a Retry-After longer than the deadline
// allows ends the call at once.
func TestRetries(t *testing.T) {
	e := testEngine(t)
	if !strings.HasPrefix(e.base, "http://") {
		t.Skip("the throttling proxy forwards plain http only")
	}
	base, _ := url.Parse(e.base)
	newVia := func(t *testing.T, srv *httptest.Server, retries int) *Store {
		o := e.options()
		o.BaseURL = srv.URL + base.Path
		o.Prefix = uniquePrefix()
		o.Retries = retries
		s, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	rec := sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)}

	t.Run("RecoversFrom503", func(t *testing.T) {
		srv, seen := throttle(t, e, 2, http.StatusServiceUnavailable, "")
		s := newVia(t, srv, 0) // DefaultRetries: 2
		if err := s.Set(t.Context(), "k", rec); err != nil {
			t.Fatalf("Set after two 503s: %v", err)
		}
		if n := seen.Load(); n != 3 {
			t.Fatalf("%d requests, want 3", n)
		}
		if err := s.Delete(t.Context(), "k"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("GivesUpAfterRetries", func(t *testing.T) {
		srv, seen := throttle(t, e, 100, http.StatusTooManyRequests, "")
		s := newVia(t, srv, 1)
		_, err := s.Get(t.Context(), "k")
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests || errors.Is(err, sesh.ErrNotFound) {
			t.Fatalf("Get under 429 = %v, want the API's 429", err)
		}
		if n := seen.Load(); n != 2 {
			t.Fatalf("%d requests with Retries 1, want 2", n)
		}
	})
	t.Run("RetryAfterBeyondDeadline", func(t *testing.T) {
		srv, seen := throttle(t, e, 100, http.StatusTooManyRequests, "3")
		s := newVia(t, srv, 0)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		err := s.Set(ctx, "k", rec)
		var ae *APIError
		if !errors.As(err, &ae) || ae.RetryAfter != 3*time.Second {
			t.Fatalf("Set under 429 with Retry-After 3 = %v", err)
		}
		if took := time.Since(start); took > 500*time.Millisecond || seen.Load() != 1 {
			t.Fatalf("took %v and %d requests: a wait past the deadline must not be made", took, seen.Load())
		}
	})
	t.Run("RetryAfterWithinDeadline", func(t *testing.T) {
		srv, seen := throttle(t, e, 1, http.StatusTooManyRequests, "1")
		s := newVia(t, srv, 0)
		start := time.Now()
		if err := s.Set(t.Context(), "k", rec); err != nil {
			t.Fatalf("Set after a 429 with Retry-After 1: %v", err)
		}
		if took := time.Since(start); took < time.Second || seen.Load() != 2 {
			t.Fatalf("took %v and %d requests: Retry-After was not honoured", took, seen.Load())
		}
		s.Delete(t.Context(), "k")
	})
	t.Run("NoRetryOf4xx", func(t *testing.T) {
		srv, seen := throttle(t, e, 100, http.StatusBadRequest, "")
		s := newVia(t, srv, 0)
		if err := s.Set(t.Context(), "k", rec); err == nil || seen.Load() != 1 {
			t.Fatalf("Set under 400 = %v after %d requests, want an error after 1", err, seen.Load())
		}
	})
}
