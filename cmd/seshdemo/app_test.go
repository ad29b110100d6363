package main

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
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
	// The server is TLS (see newServerWithClock): its transport trusts it.
	hc := &http.Client{Transport: srv.Client().Transport, Jar: newBrowserJar(t)}
	return &client{t: t, srv: srv, hc: hc, ua: ua}
}

// browserJar is a cookie jar that knows, as a browser does, which cookies
// end with the browser (no Max-Age or Expires) and which outlive it.
type browserJar struct {
	*cookiejar.Jar
	mu         sync.Mutex
	persistent map[string]bool
}

func newBrowserJar(t *testing.T) *browserJar {
	t.Helper()
	j, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browserJar{Jar: j, persistent: map[string]bool{}}
}

func (j *browserJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	for _, c := range cookies {
		j.persistent[c.Name] = c.MaxAge > 0 || (c.MaxAge == 0 && !c.Expires.IsZero())
	}
	j.mu.Unlock()
	j.Jar.SetCookies(u, cookies)
}

// restart is the browser closing and opening again: its browser-session
// cookies are gone, its persistent ones kept.
func (c *client) restart() {
	c.t.Helper()
	old := c.hc.Jar.(*browserJar)
	fresh := newBrowserJar(c.t)
	u, _ := url.Parse(c.srv.URL)
	old.mu.Lock()
	var kept []*http.Cookie
	for _, k := range old.Cookies(u) {
		if old.persistent[k.Name] {
			kept = append(kept, &http.Cookie{Name: k.Name, Value: k.Value, Path: "/", Secure: true, HttpOnly: true, MaxAge: 3600})
		}
	}
	old.mu.Unlock()
	fresh.SetCookies(u, kept)
	c.hc.Jar = fresh
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

func (c *client) sessionCookie() string { return c.cookie(cookieName) }

// cookie returns the value of the browser's cookie name, "" if none.
func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.srv.URL)
	for _, k := range c.hc.Jar.Cookies(u) {
		if k.Name == name {
			return k.Value
		}
	}
	return ""
}

// setCookie puts a cookie in the browser's jar, persistent.
func (c *client) setCookie(name, value string) {
	u, _ := url.Parse(c.srv.URL)
	c.hc.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/", Secure: true, HttpOnly: true, MaxAge: 3600}})
}

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	return newServerWithClock(t, time.Now)
}

// newServerWithClock serves the demo on a file store, with now as the
// session manager's clock.
func newServerWithClock(t *testing.T, now func() time.Time) *httptest.Server {
	t.Helper()
	// The store is on the same clock: it decides when a remember-me token
	// has expired.
	store, err := filestore.New(t.TempDir(), filestore.Options{SweepInterval: -1, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	h, err := newAppWithClock(store, slog.New(slog.NewTextHandler(io.Discard, nil)), now)
	if err != nil {
		t.Fatal(err)
	}
	// Over TLS: the session cookie is Secure (sesh's default), and Go's
	// cookie jar, unlike browsers on localhost, sends Secure cookies over
	// https only. The browser walk runs over plain http://127.0.0.1.
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// cookieName is the demo's session cookie, rememberName its remember-me
// cookie: sesh's default names.
const (
	cookieName   = "__Host-session"
	rememberName = "__Host-remember"
)

// fakeClock is a clock tests move by hand. It starts at the real time, so
// that what the store keeps has real deadlines in the future.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *fakeClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

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

// Real User-Agent headers for the clients of these tests.
const (
	uaFirefoxLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0"
	uaSafariIPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 " +
		"(KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1"
	uaEdgeWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) " +
		"Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80"
)

const (
	signedOutNotice = "You are signed out."
	endedNotice     = "Your session has ended."
)

var creds = url.Values{"username": {"alice"}, "password": {"wonderland"}}

func TestSignInFlowWithFlashAndRegeneration(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv, uaFirefoxLinux)

	mustContain(t, c.get("/cart"), "Your cart is empty.")
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

	body = c.post("/login", creds)
	mustContain(t, body, "Welcome back, alice.")
	mustContain(t, body, `<span id="views">1</span>`)
	after := c.sessionCookie()
	if after == "" || after == before {
		t.Fatalf("session ID not regenerated at sign-in: before %q after %q", before, after)
	}
	body = c.get("/")
	mustNotContain(t, body, "Welcome back")
	mustContain(t, body, `<span id="views">2</span>`)
	mustContain(t, body, "Firefox 126 on Linux") // this browser, parsed
	mustContain(t, c.get("/cart"), "pear × 1")

	// The old cookie is dead: replaying it finds no session, says the
	// session ended, and the response expires or replaces the dead cookie.
	replay := newClient(t, srv, "attacker")
	u, _ := url.Parse(srv.URL)
	replay.hc.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: before, Secure: true, Path: "/"}})
	mustContain(t, replay.get("/cart"), endedNotice)
	if replay.sessionCookie() != "" {
		t.Fatal("the dead cookie was not expired")
	}
	body = replay.get("/")
	mustContain(t, body, "You are not signed in")
	mustNotContain(t, body, endedNotice) // said once

	body = c.post("/logout", url.Values{})
	mustContain(t, body, "<h1>Sign in</h1>")
	mustContain(t, body, signedOutNotice)
	if c.sessionCookie() != "" {
		t.Fatal("sign-out left the session cookie in the jar")
	}
	body = c.get("/")
	mustContain(t, body, "You are not signed in")
	mustNotContain(t, body, endedNotice) // signing out is not a session ending elsewhere
	mustContain(t, c.get("/cart"), "Your cart is empty.")
}

// TestSignedOutNoticeOnlyWhenTrue: the sign-in page says "signed out" after
// sign-out, and not to someone signed in who follows the same link.
func TestSignedOutNoticeOnlyWhenTrue(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv, uaFirefoxLinux)
	mustContain(t, c.get("/login?signed_out"), signedOutNotice)
	mustNotContain(t, c.get("/login"), signedOutNotice)
	c.post("/login", creds)
	body := c.get("/login?signed_out")
	mustNotContain(t, body, signedOutNotice)
	mustContain(t, body, "You are signed in as <b>alice</b>")
}

func TestViewCounterPerSession(t *testing.T) {
	srv := newServer(t)
	a, b := newClient(t, srv, "a"), newClient(t, srv, "b")
	mustContain(t, a.get("/"), `<span id="views">1</span>`)
	mustContain(t, a.get("/"), `<span id="views">2</span>`)
	mustContain(t, b.get("/"), `<span id="views">1</span>`)
	mustContain(t, a.get("/"), `<span id="views">3</span>`)
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

// sessionRow matches one row of "Your sessions": the device, and the handle
// of its sign-out button if it has one.
var sessionRowRE = regexp.MustCompile(`(?s)<li class="session( current| remembered)?">.*?<span class="agent" title="[^"]*">([^<]*)</span>` +
	`.*?<div class="session-action">(?:<form method="post" action="/sessions/end"><input type="hidden" name="handle" value="([^"]+)">)?`)

type row struct {
	current    bool
	remembered bool // a remembered device, not a live session
	device     string
	handle     string
}

func sessionRows(body string) []row {
	var rows []row
	for _, m := range sessionRowRE.FindAllStringSubmatch(body, -1) {
		rows = append(rows, row{current: m[1] == " current", remembered: m[1] == " remembered",
			device: html.UnescapeString(m[2]), handle: m[3]})
	}
	return rows
}

func TestSessionsPageEndsOtherSessions(t *testing.T) {
	srv := newServer(t)
	laptop := newClient(t, srv, uaFirefoxLinux)
	phone := newClient(t, srv, uaSafariIPhone)
	laptop.post("/login", creds)
	phone.post("/login", creds)

	body := laptop.get("/sessions")
	rows := sessionRows(body)
	want := []row{{current: true, device: "Firefox 126 on Linux"}, {device: "Safari 17 on iOS"}} // this device first
	if len(rows) != 2 {
		t.Fatalf("rows %+v, want two:\n%s", rows, body)
	}
	if rows[0].handle != "" || rows[1].handle == "" {
		t.Fatalf("the current session must have no sign-out button, the other one must: %+v", rows)
	}
	rows[1].handle = ""
	if !slices.Equal(rows, want) {
		t.Fatalf("rows %+v, want %+v", rows, want)
	}
	mustContain(t, body, `<span class="badge">This device</span>`)
	mustContain(t, body, `title="`+uaSafariIPhone+`"`) // the raw header, as a tooltip
	mustContain(t, body, "last active")
	if strings.Contains(body, laptop.sessionCookie()) || strings.Contains(body, phone.sessionCookie()) {
		t.Fatal("the sessions page shows a raw session ID")
	}

	body = laptop.post("/sessions/end", url.Values{"handle": {"others"}})
	mustContain(t, body, "Signed out of 1 other session.")
	mustNotContain(t, body, "Safari")
	mustContain(t, body, "This is your only session.")
	mustNotContain(t, body, `id="end-others"`)
	body = phone.get("/")
	mustContain(t, body, "You are not signed in")
	mustContain(t, body, endedNotice)
	mustContain(t, laptop.get("/"), "Signed in as <b>alice</b>")
}

func TestEndOneSessionByHandle(t *testing.T) {
	srv := newServer(t)
	a := newClient(t, srv, uaFirefoxLinux)
	b := newClient(t, srv, uaEdgeWindows)
	a.post("/login", creds)
	b.post("/login", creds)
	var handle string
	for _, r := range sessionRows(a.get("/sessions")) {
		if r.device == "Edge 124 on Windows" {
			handle = r.handle
		}
	}
	if handle == "" {
		t.Fatal("no sign-out button for the second session")
	}
	mustContain(t, a.post("/sessions/end", url.Values{"handle": {handle}}), "That session is signed out.")
	mustContain(t, b.get("/"), "You are not signed in")

	// A handle that is not one of the user's sessions changes nothing.
	body := a.post("/sessions/end", url.Values{"handle": {"bogus"}})
	mustContain(t, body, `<div class="notice bad" id="alert" role="alert"><div>Could not end that session`)
	mustContain(t, a.get("/"), "Signed in as <b>alice</b>")
}

func TestCrossOriginPostIsRefused(t *testing.T) {
	srv := newServer(t)
	req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader("user=alice&password=wonderland"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := srv.Client().Transport.RoundTrip(req)
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
