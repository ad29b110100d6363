package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesh-go/sesh/filestore"
)

// client is a browser: a cookie jar and no automatic redirects beyond the
// standard ones (303 after POST becomes a GET, as in a browser).
type client struct {
	t   *testing.T
	srv *httptest.Server
	hc  *http.Client
	ua  string
}

func newClient(t *testing.T, srv *httptest.Server, ua string) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, srv: srv, hc: &http.Client{Jar: jar}, ua: ua}
}

func (c *client) do(method, path string, form url.Values) (int, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.srv.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("User-Agent", c.ua)
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func (c *client) get(path string) string {
	c.t.Helper()
	code, body := c.do("GET", path, nil)
	if code != http.StatusOK {
		c.t.Fatalf("GET %s: %d %s", path, code, body)
	}
	return body
}

func (c *client) post(path string, form url.Values) string {
	c.t.Helper()
	code, body := c.do("POST", path, form)
	if code != http.StatusOK {
		c.t.Fatalf("POST %s: %d %s", path, code, body)
	}
	return body
}

func (c *client) sessionCookie() string {
	u, _ := url.Parse(c.srv.URL)
	for _, k := range c.hc.Jar.Cookies(u) {
		if k.Name == "session" {
			return k.Value
		}
	}
	return ""
}

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	store, err := filestore.New(t.TempDir(), filestore.Options{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	h, err := newApp(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func mustContain(t *testing.T, body, want string) {
	t.Helper()
	if !strings.Contains(body, want) {
		t.Fatalf("page does not contain %q:\n%s", want, body)
	}
}

func mustNotContain(t *testing.T, body, unwanted string) {
	t.Helper()
	if strings.Contains(body, unwanted) {
		t.Fatalf("page contains %q:\n%s", unwanted, body)
	}
}

func TestSignInFlowWithFlashAndRegeneration(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv, "browser-one")

	mustContain(t, c.get("/cart"), "empty")
	if c.sessionCookie() != "" {
		t.Fatal("a visit that stored nothing created a session cookie")
	}

	// A wrong password: the error is a flash, shown once.
	body := c.post("/login", url.Values{"username": {"alice"}, "password": {"nope"}})
	mustContain(t, body, "Wrong user name or password.")
	mustNotContain(t, c.get("/login"), "Wrong user name or password.")
	before := c.sessionCookie()
	if before == "" {
		t.Fatal("no session after a failed sign-in flash")
	}

	// Fill the cart before signing in: it must survive the new ID.
	mustContain(t, c.post("/cart", url.Values{"item": {"pear"}}), "pear × 1")

	body = c.post("/login", url.Values{"username": {"alice"}, "password": {"wonderland"}})
	mustContain(t, body, "Welcome back, alice.")
	mustContain(t, body, `<span id="views">1</span>`)
	after := c.sessionCookie()
	if after == "" || after == before {
		t.Fatalf("session ID not regenerated at sign-in: before %q after %q", before, after)
	}
	body = c.get("/")
	mustNotContain(t, body, "Welcome back")
	mustContain(t, body, `<span id="views">2</span>`)
	mustContain(t, c.get("/cart"), "pear × 1")

	// The old cookie is dead: replaying it finds no session.
	replay := newClient(t, srv, "attacker")
	u, _ := url.Parse(srv.URL)
	replay.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "session", Value: before}})
	mustContain(t, replay.get("/"), "You are not signed in")

	body = c.post("/logout", url.Values{})
	mustContain(t, body, "<h1>Sign in</h1>")
	if c.sessionCookie() != "" {
		t.Fatal("sign-out left the session cookie in the jar")
	}
	mustContain(t, c.get("/"), "You are not signed in")
	mustContain(t, c.get("/cart"), "empty")
}

func TestViewCounterPerSession(t *testing.T) {
	srv := newServer(t)
	a, b := newClient(t, srv, "a"), newClient(t, srv, "b")
	mustContain(t, a.get("/"), `<span id="views">1</span>`)
	mustContain(t, a.get("/"), `<span id="views">2</span>`)
	mustContain(t, b.get("/"), `<span id="views">1</span>`)
	mustContain(t, a.get("/"), `<span id="views">3</span>`)
}

// TestRememberMe: the box makes the cookie persistent (Max-Age of 30 days);
// without it the cookie is a browser-session cookie.
func TestRememberMe(t *testing.T) {
	srv := newServer(t)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, remember := range []bool{false, true} {
		form := url.Values{"username": {"alice"}, "password": {"wonderland"}}
		if remember {
			form.Set("remember", "on")
		}
		resp, err := noFollow.PostForm(srv.URL+"/login", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var line string
		for _, l := range resp.Header.Values("Set-Cookie") {
			if strings.HasPrefix(l, "session=") {
				line = l
			}
		}
		if line == "" {
			t.Fatalf("remember=%v: no session cookie in %q", remember, resp.Header.Values("Set-Cookie"))
		}
		persistent := strings.Contains(line, "Max-Age=2592000") && strings.Contains(line, "Expires=")
		if persistent != remember {
			t.Fatalf("remember=%v: cookie %q", remember, line)
		}
		if !strings.Contains(line, "HttpOnly") || !strings.Contains(line, "SameSite=Lax") {
			t.Fatalf("cookie without HttpOnly or SameSite=Lax: %q", line)
		}
	}
}

func TestCartRejectsUnknownItem(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv, "b")
	code, _ := c.do("POST", "/cart", url.Values{"item": {"<script>"}})
	if code != http.StatusBadRequest {
		t.Fatalf("unknown item: status %d, want 400", code)
	}
	if c.sessionCookie() != "" {
		t.Fatal("a rejected request created a session")
	}
}

func TestSessionsPageEndsOtherSessions(t *testing.T) {
	srv := newServer(t)
	laptop := newClient(t, srv, "laptop-browser")
	phone := newClient(t, srv, "phone-browser")
	creds := url.Values{"username": {"alice"}, "password": {"wonderland"}}
	laptop.post("/login", creds)
	phone.post("/login", creds)

	body := laptop.get("/sessions")
	mustContain(t, body, "laptop-browser")
	mustContain(t, body, "phone-browser")
	mustContain(t, body, "this one")
	if rows := strings.Count(body, "<tr><td>"); rows != 2 {
		t.Fatalf("%d session rows, want 2:\n%s", rows, body)
	}
	if strings.Contains(body, laptop.sessionCookie()) || strings.Contains(body, phone.sessionCookie()) {
		t.Fatal("the sessions page shows a raw session ID")
	}

	body = laptop.post("/sessions/end", url.Values{"handle": {"others"}})
	mustContain(t, body, "Signed out of 1 other session(s).")
	mustNotContain(t, body, "phone-browser")
	mustContain(t, phone.get("/"), "You are not signed in")
	mustContain(t, laptop.get("/"), "Signed in as <b>alice</b>")
}

func TestEndOneSessionByHandle(t *testing.T) {
	srv := newServer(t)
	a := newClient(t, srv, "first")
	b := newClient(t, srv, "second")
	creds := url.Values{"username": {"alice"}, "password": {"wonderland"}}
	a.post("/login", creds)
	b.post("/login", creds)
	body := a.get("/sessions")
	m := regexp.MustCompile(`<td>second</td>\s*<td><form method="post" action="/sessions/end"><input type="hidden" name="handle" value="([^"]+)">`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no end button for the second session:\n%s", body)
	}
	mustContain(t, a.post("/sessions/end", url.Values{"handle": {m[1]}}), "Session ended.")
	mustContain(t, b.get("/"), "You are not signed in")

	// A handle that is not one of the user's sessions changes nothing.
	mustContain(t, a.post("/sessions/end", url.Values{"handle": {"bogus"}}), "Could not end that session.")
	mustContain(t, a.get("/"), "Signed in as <b>alice</b>")
}

func TestCrossOriginPostIsRefused(t *testing.T) {
	srv := newServer(t)
	req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader("user=alice&password=wonderland"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin POST: status %d, want 403", resp.StatusCode)
	}
	if len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Fatal("a refused request set a cookie")
	}
}

// syncBuffer is an io.Writer safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunServesAndShutsDown(t *testing.T) {
	for _, storeURL := range []string{"memory://", ""} {
		t.Run("store="+storeURL, func(t *testing.T) {
			t.Chdir(t.TempDir()) // the default store lives under ./.seshdemo
			env := map[string]string{"ADDR": "127.0.0.1:0", "STORE": storeURL}
			var out syncBuffer
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- run(ctx, func(k string) string { return env[k] }, &out) }()

			addrRE := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)`)
			var addr string
			for deadline := time.Now().Add(10 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				if m := addrRE.FindStringSubmatch(out.String()); m != nil {
					addr = m[1]
				}
			}
			if addr == "" {
				cancel()
				t.Fatalf("run did not print its address; output:\n%s", out.String())
			}
			resp, err := http.Get("http://" + addr + "/")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			mustContain(t, string(b), "sesh demo")
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("run did not return after cancel")
			}
		})
	}
}

func TestRunRejectsBadStore(t *testing.T) {
	err := run(context.Background(), func(k string) string {
		return map[string]string{"ADDR": "127.0.0.1:0", "STORE": "nosuch://x"}[k]
	}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "memory") {
		t.Fatalf("bad store URL: err %v, want an error naming the known schemes", err)
	}
}
