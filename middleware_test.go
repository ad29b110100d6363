package sesh_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

func counter(w http.ResponseWriter, r *http.Request) {
	s := sesh.From(r.Context())
	n, _ := sesh.Get[int](s, "n")
	n++
	if err := s.Set("n", n); err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	fmt.Fprint(w, n)
}

func TestAnonymousRequestCostsNothing(t *testing.T) {
	e := newEnv(t, nil)
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = sesh.From(r.Context()) // fetching the handle is not using it
		io.WriteString(w, "hello")
	}))
	w := do(h, "GET", "/")
	if e.spy.calls() != 0 {
		t.Fatalf("store calls = %d, want 0", e.spy.calls())
	}
	if len(w.Header().Values("Set-Cookie")) != 0 || w.Header().Get("Vary") != "" {
		t.Fatalf("headers = %v", w.Header())
	}
	// Reading an empty session touches no store and sets no cookie either.
	h2 := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sesh.From(r.Context()).Has("x")
	}))
	w = do(h2, "GET", "/")
	if e.spy.calls() != 0 || len(w.Header().Values("Set-Cookie")) != 0 {
		t.Fatalf("read of empty session: calls %d, headers %v", e.spy.calls(), w.Header())
	}
	if w.Header().Get("Vary") != "Cookie" {
		t.Fatalf("Vary = %q, want Cookie on a response that read the session", w.Header().Get("Vary"))
	}
}

func TestNewSessionCookieDefaults(t *testing.T) {
	e := newEnv(t, nil)
	w := do(e.m.Handler(http.HandlerFunc(counter)), "GET", "/")
	lines := sessionCookies(w.Header(), cn)
	if len(lines) != 1 {
		t.Fatalf("Set-Cookie lines = %q", lines)
	}
	line := lines[0]
	// Secure by default, even on a plain-HTTP request (browsers keep it on
	// localhost; behind a TLS-terminating proxy sesh cannot see the TLS),
	// and so __Host- by default.
	if !strings.HasPrefix(line, "__Host-session=") {
		t.Errorf("Set-Cookie %q: want the __Host-session name by default", line)
	}
	for _, want := range []string{"; Path=/", "; HttpOnly", "; Secure", "; SameSite=Lax"} {
		if !strings.Contains(line, want) {
			t.Errorf("Set-Cookie %q lacks %q", line, want)
		}
	}
	for _, bad := range []string{"Domain=", "Max-Age", "Expires"} {
		if strings.Contains(line, bad) {
			t.Errorf("Set-Cookie %q has %q (want a browser-session, host-only cookie)", line, bad)
		}
	}
	id := cookieValue(t, w.Header(), cn)
	if !sesh.ValidID(id) {
		t.Fatalf("cookie value %q is not a minted ID", id)
	}
	if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Vary") != "Cookie" {
		t.Fatalf("Cache-Control %q, Vary %q", w.Header().Get("Cache-Control"), w.Header().Get("Vary"))
	}
	// The store key is the hash of the ID; the raw ID is nowhere in the store.
	ctx := context.Background()
	if _, err := e.mem.Get(ctx, sesh.HashID(id)); err != nil {
		t.Fatalf("record under HashID(id): %v", err)
	}
	n := 0
	must(t, e.mem.Range(ctx, func(key string, rec sesh.Record) bool {
		n++
		if strings.Contains(key, id) || strings.Contains(string(rec.Data), id) {
			t.Errorf("raw ID found in store key %q or data", key)
		}
		return true
	}))
	if n != 1 {
		t.Fatalf("store holds %d records, want 1", n)
	}
}

func TestRoundTripWithJar(t *testing.T) {
	e := newEnv(t, nil)
	srv := httptest.NewServer(e.m.Handler(http.HandlerFunc(counter)))
	defer srv.Close()
	c := client(t)
	for i := 1; i <= 3; i++ {
		_, body := get(t, c, srv.URL)
		if body != fmt.Sprint(i) {
			t.Fatalf("request %d: body %q", i, body)
		}
	}
}

func TestUnmodifiedRequestIsOneRead(t *testing.T) {
	e := newEnv(t, nil)
	w := do(e.m.Handler(http.HandlerFunc(counter)), "GET", "/")
	id := cookieValue(t, w.Header(), cn)
	e.spy.reset()
	reader := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := sesh.Get[int](sesh.From(r.Context()), "n")
		fmt.Fprint(w, n)
	}))
	w = do(reader, "GET", "/", cn+"="+id)
	if w.Body.String() != "1" {
		t.Fatalf("body %q", w.Body.String())
	}
	if e.spy.gets.Load() != 1 || e.spy.writes() != 0 {
		t.Fatalf("gets %d writes %d, want 1 and 0", e.spy.gets.Load(), e.spy.writes())
	}
	if len(w.Header().Values("Set-Cookie")) != 0 {
		t.Fatalf("unmodified response sets a cookie: %v", w.Header().Values("Set-Cookie"))
	}
}

func TestMalformedIDsNeverReachTheStore(t *testing.T) {
	e := newEnv(t, nil)
	h := e.m.Handler(http.HandlerFunc(counter))
	for _, v := range []string{
		"../../etc/passwd", "a/b", "x", "", strings.Repeat("A", 10000), "' OR 1=1 --",
		strings.Repeat("A", 42) + "B", // 43 chars, but a non-canonical last character
		strings.Repeat("A", 42) + "=",
		"%00" + strings.Repeat("A", 40),
	} {
		e.spy.reset()
		w := do(h, "GET", "/", cn+"="+v)
		if e.spy.gets.Load() != 0 {
			t.Errorf("cookie %.20q reached the store", v)
		}
		if got := cookieValue(t, w.Header(), cn); got == v || !sesh.ValidID(got) {
			t.Errorf("cookie %.20q: response cookie %q", v, got)
		}
	}
}

func TestUnknownIDIsNeverAdopted(t *testing.T) {
	e := newEnv(t, nil)
	h := e.m.Handler(http.HandlerFunc(counter))
	attacker := sesh.NewID()
	w := do(h, "GET", "/", cn+"="+attacker)
	got := cookieValue(t, w.Header(), cn)
	if got == attacker {
		t.Fatal("the attacker's ID was adopted")
	}
	if _, err := e.mem.Get(context.Background(), sesh.HashID(attacker)); err == nil {
		t.Fatal("a record exists under the attacker's ID")
	}
	if w.Body.String() != "1" {
		t.Fatalf("body %q: want a fresh session", w.Body.String())
	}
	// 1000 requests with random unknown IDs that store nothing leave the store empty.
	reader := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sesh.From(r.Context()).Has("x")
	}))
	before, _ := e.mem.Len(context.Background())
	for range 1000 {
		do(reader, "GET", "/", cn+"="+sesh.NewID())
	}
	after, _ := e.mem.Len(context.Background())
	if after != before {
		t.Fatalf("store grew from %d to %d records", before, after)
	}
}

func TestDuplicateCookies(t *testing.T) {
	e := newEnv(t, nil)
	h := e.m.Handler(http.HandlerFunc(counter))
	id := cookieValue(t, do(h, "GET", "/").Header(), cn)

	// A foreign value first, the valid one second (and in another header line).
	w := do(h, "GET", "/", cn+"=forged; other=1", cn+"="+id)
	if w.Body.String() != "2" {
		t.Fatalf("valid second cookie not used: body %q", w.Body.String())
	}
	w = do(h, "GET", "/", cn+"="+sesh.NewID()+"; "+cn+"="+id)
	if w.Body.String() != "3" {
		t.Fatalf("unknown first cookie: body %q", w.Body.String())
	}

	// Two valid sessions: neither is trusted.
	other := cookieValue(t, do(h, "GET", "/").Header(), cn)
	w = do(h, "GET", "/", cn+"="+id+"; "+cn+"="+other)
	if w.Body.String() != "1" {
		t.Fatalf("two live sessions: body %q, want a fresh session", w.Body.String())
	}
	if got := cookieValue(t, w.Header(), cn); got == id || got == other {
		t.Fatal("ambiguous request kept one of the two sessions")
	}
	// Names are matched byte for byte.
	for _, name := range []string{"Session", "session ", "\u00a0session", "sess%69on"} {
		w = do(h, "GET", "/", name+"="+id)
		if w.Body.String() != "1" {
			t.Errorf("cookie named %q was taken as the session cookie", name)
		}
	}
}

func TestExactlyOneSetCookie(t *testing.T) {
	e := newEnv(t, nil)
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		must(t, s.Set("a", 1))
		s.Regenerate()
		s.Regenerate()
		http.SetCookie(w, &http.Cookie{Name: cn, Value: "stray"})
		http.SetCookie(w, &http.Cookie{Name: "other", Value: "kept"})
	}))
	w := do(h, "GET", "/")
	if n := len(sessionCookies(w.Header(), cn)); n != 1 {
		t.Fatalf("%d Set-Cookie lines for the session: %v", n, w.Header().Values("Set-Cookie"))
	}
	if cookieValue(t, w.Header(), cn) == "stray" {
		t.Fatal("the stray cookie won")
	}
	if len(sessionCookies(w.Header(), "other")) != 1 {
		t.Fatal("an unrelated cookie was removed")
	}
}

func TestCommitBeforeFirstByte(t *testing.T) {
	for name, write := range map[string]func(w http.ResponseWriter, r *http.Request){
		"Write":       func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "body") },
		"WriteHeader": func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) },
		"Flush":       func(w http.ResponseWriter, r *http.Request) { must(t, http.NewResponseController(w).Flush()) },
		"Redirect":    func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/next", http.StatusSeeOther) },
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil)
			srv := httptest.NewServer(e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				must(t, sesh.From(r.Context()).Set("k", "v"))
				write(w, r)
				time.Sleep(10 * time.Millisecond)
			})))
			defer srv.Close()
			c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := c.Get(srv.URL)
			must(t, err)
			resp.Body.Close()
			if len(sessionCookies(resp.Header, cn)) != 1 {
				t.Fatalf("no session cookie on the wire: %v", resp.Header)
			}
		})
	}
}

func TestStreamingWithFlushAndDeadlines(t *testing.T) {
	e := newEnv(t, nil)
	chunks := make(chan struct{})
	srv := httptest.NewServer(e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Errorf("SetWriteDeadline through the wrapper: %v", err)
		}
		must(t, sesh.From(r.Context()).Set("streaming", true))
		io.WriteString(w, "first\n")
		if err := rc.Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
		<-chunks // the client has the headers before the handler goes on
		io.WriteString(w, "second\n")
	})))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	must(t, err)
	defer resp.Body.Close()
	if len(sessionCookies(resp.Header, cn)) != 1 {
		close(chunks)
		t.Fatalf("headers arrived without the session cookie: %v", resp.Header)
	}
	br := bufio.NewReader(resp.Body)
	line, _ := br.ReadString('\n')
	close(chunks)
	rest, _ := io.ReadAll(br)
	if line != "first\n" || string(rest) != "second\n" {
		t.Fatalf("body %q %q", line, rest)
	}
}

func TestHijackThroughWrapper(t *testing.T) {
	e := newEnv(t, nil)
	srv := httptest.NewServer(e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		must(t, sesh.From(r.Context()).Set("ws", true))
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
		brw.Flush()
	})))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	must(t, err)
	defer conn.Close()
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	must(t, err)
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "ok" {
		t.Fatalf("hijacked body %q", b)
	}
	if n, _ := e.mem.Len(context.Background()); n != 1 {
		t.Fatalf("session not saved before the hijack: %d records", n)
	}
}

func TestBodyWrittenBeforeChange(t *testing.T) {
	e := newEnv(t, nil)
	var lateErr error
	late := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "already sent")
		lateErr = sesh.From(r.Context()).Set("late", "value")
	}))
	// New session: the ID can no longer reach the browser; nothing is
	// stored, and the handler is told.
	w := do(late, "GET", "/")
	if !errors.Is(lateErr, sesh.ErrResponseStarted) {
		t.Fatalf("Set on a new session after the body = %v, want ErrResponseStarted", lateErr)
	}
	if len(w.Header().Values("Set-Cookie")) != 0 {
		t.Fatal("a cookie appeared after the body")
	}
	if n, _ := e.mem.Len(context.Background()); n != 0 {
		t.Fatalf("an orphan record was stored (%d records)", n)
	}
	// Existing session: the change is saved, and the next request sees it.
	id := cookieValue(t, do(e.m.Handler(http.HandlerFunc(counter)), "GET", "/").Header(), cn)
	do(late, "GET", "/", cn+"="+id)
	if lateErr != nil {
		t.Fatalf("Set on an existing session after the body = %v, want nil (saved at the end)", lateErr)
	}
	reader := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := sesh.Get[string](sesh.From(r.Context()), "late")
		io.WriteString(w, v)
	}))
	if got := do(reader, "GET", "/", cn+"="+id).Body.String(); got != "value" {
		t.Fatalf("late change on an existing session: read %q, want saved", got)
	}
}

func TestSeveralManagersOneRequest(t *testing.T) {
	a := newEnv(t, nil)
	b := newEnv(t, func(c *sesh.Config) { c.Cookie.Name = "prefs" })
	h := a.m.Handler(b.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		must(t, a.m.From(r.Context()).Set("who", "a"))
		must(t, b.m.From(r.Context()).Set("who", "b"))
		if sesh.From(r.Context()) != b.m.From(r.Context()) {
			t.Error("From does not return the innermost manager's session")
		}
		io.WriteString(w, "ok")
	})))
	w := do(h, "GET", "/")
	ida := cookieValue(t, w.Header(), cn)
	idb := cookieValue(t, w.Header(), "prefs")
	if ida == idb {
		t.Fatal("both managers issued the same ID")
	}
	ctx := context.Background()
	if _, err := a.mem.Get(ctx, sesh.HashID(ida)); err != nil {
		t.Fatal("manager a's session not in its store")
	}
	if _, err := b.mem.Get(ctx, sesh.HashID(idb)); err != nil {
		t.Fatal("manager b's session not in its store")
	}
}

func TestFromWithoutMiddlewarePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("From on a bare context did not panic")
		}
	}()
	sesh.From(context.Background())
}
