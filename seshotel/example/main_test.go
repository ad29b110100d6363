package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/sesh-go/sesh"
)

// server serves the example app and walks it like a browser.
type server struct {
	t   *testing.T
	a   *app
	srv *httptest.Server
	c   *http.Client
}

func newServer(t *testing.T) *server {
	a, err := newApp()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.handler)
	t.Cleanup(func() {
		srv.Close()
		a.close()
	})
	jar, _ := cookiejar.New(nil)
	return &server{t: t, a: a, srv: srv, c: &http.Client{Jar: jar}}
}

// do sends a request (a form POST when form is not nil) and returns the
// body; any status but 200 fails the test.
func (s *server) do(method, path string, form url.Values) string {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, s.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		s.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return string(b)
}

// scrape reads /metrics as Prometheus does and parses it.
func (s *server) scrape() map[string]*dto.MetricFamily {
	s.t.Helper()
	resp, err := s.c.Get(s.srv.URL + "/metrics")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		s.t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		s.t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// value returns the value of the series of family name whose labels
// include want (a counter's value, a histogram's count), summed over the
// matching series.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no metric %s exported", name)
	}
	var sum float64
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			if labels[k] != v {
				match = false
			}
		}
		if !match {
			continue
		}
		switch f.GetType() {
		case dto.MetricType_COUNTER:
			sum += m.GetCounter().GetValue()
		case dto.MetricType_HISTOGRAM:
			sum += float64(m.GetHistogram().GetSampleCount())
		default:
			t.Fatalf("%s: type %v", name, f.GetType())
		}
	}
	return sum
}

// The example walked like a browser: its /metrics shows the sessions and
// store calls it made, under the names and labels the package doc gives.
func TestMetricsEndpoint(t *testing.T) {
	s := newServer(t)
	if got := s.do("GET", "/", nil); got != "views: 1" {
		t.Fatalf("first view: %q", got)
	}
	if got := s.do("GET", "/", nil); got != "views: 2" {
		t.Fatalf("second view: %q", got)
	}
	s.do("POST", "/login", url.Values{"user": {"alice"}})
	s.do("POST", "/logout", url.Values{})
	if got := s.do("GET", "/readyz", nil); got != "ok\n" {
		t.Fatalf("/readyz: %q", got)
	}
	fams := s.scrape()
	for name, want := range map[string]float64{
		"sesh_sessions_created_total":     1,
		"sesh_sessions_regenerated_total": 1,
		"sesh_sessions_destroyed_total":   1,
	} {
		if got := value(t, fams, name, nil); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	// The first view creates (one swap); the second reads and writes;
	// sign-in reads, writes the new ID and tombstones the old; sign-out
	// reads and deletes.
	const hist = "sesh_store_operation_duration_seconds"
	if f := fams[hist]; f == nil || f.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("%s: not a histogram", hist)
	}
	for op, want := range map[string]float64{"get": 3, "swap": 4, "delete": 1} {
		labels := map[string]string{"sesh_store_operation": op, "sesh_store_type": "*memstore.Store", "sesh_store_outcome": "ok"}
		if got := value(t, fams, hist, labels); got != want {
			t.Errorf("%s%v = %v, want %v", hist, labels, got, want)
		}
	}
	if got, all := value(t, fams, hist, map[string]string{"sesh_store_outcome": "ok"}), value(t, fams, hist, nil); got != all || all != 8 {
		t.Errorf("store calls: %v ok of %v, want 8 of 8", got, all)
	}
}

// The dashboard's queries name only metrics and labels that the example
// exports.
func TestDashboardQueriesUseExportedMetrics(t *testing.T) {
	s := newServer(t)
	s.do("GET", "/", nil)
	s.do("POST", "/login", url.Values{"user": {"alice"}})
	s.do("POST", "/logout", url.Values{})
	// A counter is exported once it has counted something, and the
	// example's routes cannot make a store fail, a commit conflict or a
	// cookie overflow: report one event of every kind straight to the
	// example's Observer (seshotel's own tests cause each for real).
	ctx := context.Background()
	for k := sesh.EventCreated; k <= sesh.EventLockWaited; k++ {
		s.a.obs.Event(ctx, sesh.Event{Kind: k, Err: errors.New("synthetic")})
	}
	s.a.obs.Event(ctx, sesh.Event{Kind: sesh.EventFailClosed, Err: &sesh.ConflictError{Reason: "synthetic"}})
	fams := s.scrape()

	// Every series name the export has, with the label names of each.
	series := map[string]map[string]bool{}
	for name, f := range fams {
		names := []string{name}
		if f.GetType() == dto.MetricType_HISTOGRAM {
			names = []string{name + "_bucket", name + "_sum", name + "_count"}
		}
		for _, n := range names {
			if series[n] == nil {
				series[n] = map[string]bool{}
			}
			for _, m := range f.Metric {
				for _, l := range m.Label {
					series[n][l.GetName()] = true
				}
			}
			if strings.HasSuffix(n, "_bucket") {
				series[n]["le"] = true
			}
		}
	}

	raw, err := os.ReadFile("../../docs/grafana-sesh.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string `json:"title"`
		UID    string `json:"uid"`
		Panels []struct {
			Title      string          `json:"title"`
			Type       string          `json:"type"`
			Datasource json.RawMessage `json:"datasource"`
			Targets    []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("docs/grafana-sesh.json: %v", err)
	}
	if dash.Title == "" || dash.UID == "" || len(dash.Panels) == 0 {
		t.Fatal("dashboard without title, uid or panels")
	}
	// In a query, group-by clauses and {…} matchers hold label names;
	// what is left holds metric names (and functions, none of which
	// starts with sesh_).
	byRe := regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
	matcherRe := regexp.MustCompile(`\{([^}]*)\}`)
	labelRe := regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)`)
	metricRe := regexp.MustCompile(`\bsesh_[a-z_]+\b`)
	used := map[string]bool{}
	for _, p := range dash.Panels {
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		if len(p.Datasource) == 0 {
			t.Errorf("panel %q has no datasource", p.Title)
		}
		for _, q := range p.Targets {
			var labels []string
			for _, m := range byRe.FindAllStringSubmatch(q.Expr, -1) {
				for l := range strings.SplitSeq(m[1], ",") {
					labels = append(labels, strings.TrimSpace(l))
				}
			}
			for _, m := range matcherRe.FindAllStringSubmatch(q.Expr, -1) {
				for _, l := range labelRe.FindAllStringSubmatch(m[1], -1) {
					labels = append(labels, l[1])
				}
			}
			names := metricRe.FindAllString(matcherRe.ReplaceAllString(byRe.ReplaceAllString(q.Expr, ""), ""), -1)
			if len(names) == 0 {
				t.Errorf("panel %q: query %q names no sesh metric", p.Title, q.Expr)
			}
			for _, n := range names {
				if series[n] == nil {
					t.Errorf("panel %q: query %q: %s is not exported", p.Title, q.Expr, n)
				}
				used[n] = true
			}
			// Every label the query groups by or matches is on one of its
			// metrics.
			for _, l := range labels {
				if !slices.ContainsFunc(names, func(n string) bool { return series[n][l] }) {
					t.Errorf("panel %q: query %q uses label %q, which none of %v has", p.Title, q.Expr, l, names)
				}
			}
		}
	}
	// The panels the dashboard promises.
	for _, n := range []string{
		"sesh_store_operation_duration_seconds_bucket", "sesh_sessions_created_total", "sesh_sessions_destroyed_total",
		"sesh_commit_replays_total", "sesh_commit_conflicts_total", "sesh_responses_fail_closed_total", "sesh_cookie_too_large_total",
	} {
		if !used[n] {
			t.Errorf("the dashboard does not query %s", n)
		}
	}
}
