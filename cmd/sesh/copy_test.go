package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

// site is a small application on a session store: /login signs alice in
// (regenerating the ID, as a sign-in should), /me says who is signed in.
func site(t *testing.T, st sesh.Store) *httptest.Server {
	t.Helper()
	m, err := sesh.New(sesh.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		s.Regenerate()
		s.Set("user", "alice")
		s.SetUserID("alice")
	})
	mux.HandleFunc("/me", func(w http.ResponseWriter, r *http.Request) {
		u, _ := sesh.Get[string](sesh.From(r.Context()), "user")
		io.WriteString(w, u)
	})
	srv := httptest.NewServer(m.Handler(mux))
	t.Cleanup(srv.Close)
	return srv
}

// browser is an HTTP client with a cookie jar: cookies go back to any
// port of the same host, as a browser sends them.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: time.Minute}
}

func visit(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s %v", url, resp.StatusCode, b, err)
	}
	return string(b)
}

// fill writes n sessions into st with parallel writers.
func fill(t *testing.T, st sesh.Store, n int) []string {
	t.Helper()
	keys := make([]string, n)
	for i := range keys {
		keys[i] = sesh.HashID(fmt.Sprintf("bulk-%d-%08d", time.Now().UnixNano(), i))
	}
	exp := time.Now().Add(time.Hour)
	var wg sync.WaitGroup
	const writers = 32
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += writers {
				d := sesh.Data{Created: time.Now(), UserAgent: "bulk",
					Values: map[string]json.RawMessage{"i": json.RawMessage(fmt.Sprint(i)), "cart": json.RawMessage(`["a","b"]`)}}
				if i%20 == 0 { // one in twenty signed in
					d.UserID = fmt.Sprintf("user%d", i%5000)
				}
				b, err := sesh.JSONCodec{}.Encode(nil, &d)
				if err == nil {
					err = st.Set(context.Background(), keys[i], sesh.Record{Data: b, Expires: exp, UserID: d.UserID})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return keys
}

// TestCopyRedisToPostgres: a site runs on Redis and signs a browser in;
// many more sessions are stored; `sesh copy` moves them all to PostgreSQL
// with a progress bar on a (simulated) terminal, skipping the ones an
// earlier, interrupted run copied; the same browser is still signed in on
// the site once it runs on PostgreSQL.
func TestCopyRedisToPostgres(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 2_000
	}
	srcURL, dstURL := redisURL(t, ""), pgURL(t, "")
	src, dst := open(t, srcURL), open(t, dstURL)

	before := site(t, src)
	b := browser(t)
	visit(t, b, before.URL+"/login")
	if who := visit(t, b, before.URL+"/me"); who != "alice" {
		t.Fatalf("on Redis: /me = %q", who)
	}

	start := time.Now()
	keys := fill(t, src, n)
	t.Logf("stored %d sessions in Redis in %v", n, time.Since(start).Round(time.Millisecond))
	// An earlier run was interrupted after these.
	const done = 1000
	for _, k := range keys[:done] {
		rec, err := src.Get(context.Background(), k)
		must(t, err)
		must(t, dst.Set(context.Background(), k, rec))
	}

	c := newCLI(t)
	c.ttyErr = true
	start = time.Now()
	r := c.want(exitOK, "copy", srcURL, dstURL, "--json")
	took := time.Since(start)
	var res struct {
		Copied       int64 `json:"copied"`
		AlreadyThere int64 `json:"already_there"`
		Changed      int64 `json:"changed"`
		Complete     bool  `json:"complete"`
	}
	must(t, json.Unmarshal([]byte(r.stdout), &res))
	t.Logf("copied %d sessions from Redis to PostgreSQL in %v (%.0f/s)", res.Copied, took.Round(time.Millisecond), float64(res.Copied)/took.Seconds())
	if want := int64(n - done + 1); res.Copied != want || res.AlreadyThere != done || res.Changed != 0 || !res.Complete {
		t.Fatalf("copy = %+v, want %d copied and %d already there", res, want, done)
	}
	// The progress bar: redrawn in place, ending at 100 %.
	if !strings.Contains(r.stderr, "\rcopy [") || !strings.Contains(r.stderr, "100%") || !strings.Contains(r.stderr, fmt.Sprintf("%d/%d", n+1, n+1)) {
		t.Fatalf("no progress bar on the terminal: %q", tail(r.stderr, 300))
	}
	if k, err := dst.(sesh.Lister).Len(context.Background()); err != nil || k != n+1 {
		t.Fatalf("PostgreSQL holds %d sessions (%v), want %d", k, err, n+1)
	}

	// The site moves to PostgreSQL; the browser keeps its cookie.
	after := site(t, dst)
	if who := visit(t, b, after.URL+"/me"); who != "alice" {
		t.Fatalf("on PostgreSQL after the copy: /me = %q, want alice still signed in", who)
	}
	c.tr.mustNotContain(t, "store key", keys[:100]...)
}

// TestCopyProgressLines: without a terminal, progress is plain lines.
func TestCopyProgressLines(t *testing.T) {
	dir := t.TempDir()
	srcURL, dstURL := "file://"+dir+"/a", "sqlite://"+dir+"/b.db"
	fill(t, open(t, srcURL), 300)
	c := newCLI(t)
	r := c.want(exitOK, "copy", srcURL, dstURL)
	if strings.Contains(r.stderr, "\r") || !strings.Contains(r.stderr, "copy done: 300/300 records (100%)") {
		t.Fatalf("progress without a terminal: %q", r.stderr)
	}
	if !strings.Contains(r.stdout, "copied 300 session(s)") {
		t.Fatalf("summary: %q", r.stdout)
	}
}

// TestCopyMove: with --move each source record ends once copied, and a
// source record ended meanwhile is not resurrected.
func TestCopyMove(t *testing.T) {
	dir := t.TempDir()
	srcURL, dstURL := "file://"+dir+"/a", "file://"+dir+"/b"
	src, dst := open(t, srcURL), open(t, dstURL)
	keys := fill(t, src, 50)
	c := newCLI(t)
	c.want(exitUsage, "copy", srcURL, dstURL, "--move") // no terminal to confirm
	r := c.want(exitOK, "copy", srcURL, dstURL, "--move", "--yes")
	if !strings.Contains(r.stdout, "moved 50 session(s)") {
		t.Fatalf("copy --move: %q", r.stdout)
	}
	for _, k := range keys {
		mustGone(t, src, k)
		mustLive(t, dst, k)
	}
	c.tr.mustNotContain(t, "store key", keys...)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
