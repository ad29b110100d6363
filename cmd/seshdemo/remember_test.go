package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/filestore"
)

var rememberCreds = url.Values{"username": {"alice"}, "password": {"wonderland"}, "remember": {"on"}}

const (
	restoredNotice = "This browser remembered you, so no password was needed."
	theftNotice    = "Signed out everywhere, to be safe."
	theftAlert     = "A copy of your remember-me cookie was used"
	day            = 24 * time.Hour
)

// signInLines posts the sign-in form with a client that follows no
// redirect, and returns the response's Set-Cookie lines by cookie name.
func signInLines(t *testing.T, srv *httptest.Server, remember bool) map[string]string {
	t.Helper()
	noFollow := &http.Client{Transport: srv.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"username": {"alice"}, "password": {"wonderland"}}
	if remember {
		form.Set("remember", "on")
	}
	resp, err := noFollow.PostForm(srv.URL+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	lines := map[string]string{}
	for _, l := range resp.Header.Values("Set-Cookie") {
		name, _, _ := strings.Cut(l, "=")
		lines[name] = l
	}
	return lines
}

// TestRememberMeCookies: the box adds a remember-me cookie that lives 30
// days (HttpOnly, Secure, SameSite=Lax, host-only); the session cookie stays
// a browser-session cookie either way.
func TestRememberMeCookies(t *testing.T) {
	srv := newServer(t)
	for _, remember := range []bool{false, true} {
		lines := signInLines(t, srv, remember)
		sess := lines[cookieName]
		if sess == "" || strings.Contains(sess, "Max-Age") || strings.Contains(sess, "Expires") {
			t.Fatalf("remember=%v: session cookie %q, want a browser-session cookie", remember, sess)
		}
		rem, ok := lines[rememberName]
		if ok != remember {
			t.Fatalf("remember=%v: remember-me cookie %q", remember, rem)
		}
		if !remember {
			continue
		}
		for _, attr := range []string{"Max-Age=" + strconv.Itoa(int(rememberFor/time.Second)), "Expires=", "HttpOnly",
			"Secure", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(rem, attr) {
				t.Fatalf("remember-me cookie %q lacks %s", rem, attr)
			}
		}
		if strings.Contains(rem, "Domain") {
			t.Fatalf("remember-me cookie %q has a Domain", rem)
		}
	}
	if durationWords(rememberFor) != "30 days" {
		t.Fatalf("rememberFor %v: the pages and docs say 30 days", rememberFor)
	}
}

// TestRememberMeAcrossRestarts: ticked, the box keeps alice signed in
// across browser restarts for 30 days after the cookie was last used; the
// session itself still ends after 30 idle minutes (and a new one is
// restored); 31 days without a visit, it is over. Unticked, a restart signs
// her out.
func TestRememberMeAcrossRestarts(t *testing.T) {
	clock := newFakeClock()
	srv := newServerWithClock(t, clock.Now)
	c := newClient(t, srv, uaFirefoxLinux)
	hint := regexp.MustCompile(`\s+`).ReplaceAllString(c.get("/login"), " ")
	mustContain(t, hint, "Remember me for 30 days")
	mustContain(t, hint, "Unticked, closing the browser signs you out.")
	mustContain(t, hint, "the session itself still ends after about 30 minutes without a visit, and 12 hours after it started at the latest")
	mustContain(t, hint, "for 30 days after the cookie was last used")

	body := c.post("/login", rememberCreds)
	mustContain(t, body, "Welcome back, alice.")
	mustContain(t, body, "Remember me</dt><dd id=\"remember-state\">on:")
	first, firstSession := c.cookie(rememberName), c.sessionCookie()
	if first == "" {
		t.Fatal("no remember-me cookie after signing in with the box ticked")
	}

	// 29 days later the browser starts again: the session cookie is gone,
	// the remember-me cookie starts a new session.
	clock.Advance(29 * day)
	c.restart()
	if c.sessionCookie() != "" || c.cookie(rememberName) != first {
		t.Fatal("restart: the jar should keep only the remember-me cookie")
	}
	body = c.get("/")
	mustContain(t, body, "Signed in as <b>alice</b>, with the password <time")
	mustContain(t, body, ">29 days ago</time>")
	mustContain(t, body, restoredNotice)
	mustContain(t, body, "this browser's remember-me cookie, without the password")
	mustNotContain(t, body, endedNotice)
	second := c.cookie(rememberName)
	if second == "" || second == first || c.sessionCookie() == "" || c.sessionCookie() == firstSession {
		t.Fatal("a restore must rotate the remember-me cookie and start a new session")
	}
	mustNotContain(t, c.get("/"), restoredNotice) // said once

	// The session still ends after 30 idle minutes; the next visit starts
	// a new one from the token, without a word about an ended session.
	restored := c.sessionCookie()
	clock.Advance(idleTimeout + time.Minute)
	body = c.get("/")
	mustContain(t, body, "Signed in as <b>alice</b>")
	mustContain(t, body, restoredNotice)
	mustNotContain(t, body, endedNotice)
	if c.sessionCookie() == restored || c.cookie(rememberName) == second {
		t.Fatal("after the idle timeout: want a new session and a rotated token")
	}

	// 31 days after its last use the token has expired: signed out.
	clock.Advance(31 * day)
	c.restart()
	body = c.get("/")
	mustContain(t, body, "You are not signed in")
	mustNotContain(t, body, restoredNotice)
	if c.cookie(rememberName) != "" {
		t.Fatal("the expired token's cookie was not removed")
	}

	// Unticked: a restart signs her out.
	d := newClient(t, srv, uaEdgeWindows)
	body = d.post("/login", creds)
	mustContain(t, body, "off: the session cookie ends when the browser closes")
	if d.cookie(rememberName) != "" {
		t.Fatal("a remember-me cookie without the box ticked")
	}
	d.restart()
	mustContain(t, d.get("/"), "You are not signed in")
}

// TestRememberMeSessionLimits: a remembered browser's session ends at the
// idle and absolute timeouts like any other; only the next visit starts a
// new one from the token. An unremembered one is signed out.
func TestRememberMeSessionLimits(t *testing.T) {
	clock := newFakeClock()
	srv := newServerWithClock(t, clock.Now)
	for _, remember := range []bool{false, true} {
		c := newClient(t, srv, uaEdgeWindows)
		form := creds
		if remember {
			form = rememberCreds
		}
		start := clock.Now()
		c.post("/login", form)
		first := c.sessionCookie()
		// Visits every 25 minutes keep the session only until 12 hours
		// after it started.
		for clock.Now().Add(25 * time.Minute).Before(start.Add(absoluteTimeout)) {
			clock.Advance(25 * time.Minute)
			mustContain(t, c.get("/sessions"), "Edge 124 on Windows")
			if c.sessionCookie() != first {
				t.Fatalf("remember=%v: the session changed before its deadline", remember)
			}
		}
		clock.Set(start.Add(absoluteTimeout))
		body := c.get("/")
		if !remember {
			mustContain(t, body, "You are not signed in")
			mustContain(t, body, endedNotice)
			continue
		}
		mustContain(t, body, "Signed in as <b>alice</b>")
		mustContain(t, body, restoredNotice)
		if c.sessionCookie() == first || c.sessionCookie() == "" {
			t.Fatal("the absolute timeout did not end the remembered session")
		}
	}
}

// TestSessionsPageListsRememberedDevices: the sessions page lists each
// remembered device beside the live sessions, with its last use; forgetting
// one ends its token (the device's live session goes on until it ends), and
// "sign out everywhere else" forgets every device but keeps this browser
// remembered with a new token.
func TestSessionsPageListsRememberedDevices(t *testing.T) {
	clock := newFakeClock()
	srv := newServerWithClock(t, clock.Now)
	laptop := newClient(t, srv, uaFirefoxLinux)
	phone := newClient(t, srv, uaSafariIPhone)
	laptop.post("/login", rememberCreds)
	clock.Advance(time.Hour)
	phone.post("/login", rememberCreds)
	// Two days later both browsers start again: their tokens start new
	// sessions (the old ones have timed out).
	clock.Advance(2 * day)
	laptop.restart()
	phone.restart()
	mustContain(t, laptop.get("/"), restoredNotice)
	mustContain(t, phone.get("/"), restoredNotice)

	body := laptop.get("/sessions")
	rows := sessionRows(body)
	want := []row{
		{current: true, device: "Firefox 126 on Linux"},
		{device: "Safari 17 on iOS"},
		{remembered: true, device: "Safari 17 on iOS"},
		{remembered: true, device: "Firefox 126 on Linux"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v, want %+v:\n%s", rows, want, body)
	}
	for i := range rows {
		if (rows[i].handle != "") == rows[i].current {
			t.Fatalf("row %d %+v: every row but this device's has a button", i, rows[i])
		}
		got := rows[i]
		got.handle = ""
		if got != want[i] {
			t.Fatalf("row %d: %+v, want %+v", i, got, want[i])
		}
	}
	mustContain(t, body, `<span class="badge remembered">Remembered device</span>`)
	mustContain(t, body, `Remembered on that device <time datetime="`+clock.Now().Add(-2*day-time.Hour).UTC().Format(time.RFC3339)+`"`)
	mustContain(t, body, `last used <time datetime="`+clock.Now().UTC().Format(time.RFC3339)+`"`) // the restores
	mustContain(t, body, `forgotten <time datetime="`+clock.Now().Add(rememberFor).UTC().Format(time.RFC3339)+`"`)
	for _, tok := range []string{laptop.cookie(rememberName), phone.cookie(rememberName)} {
		sel, ver, _ := strings.Cut(tok, ".")
		if tok == "" || strings.Contains(body, sel) || strings.Contains(body, ver) {
			t.Fatal("the sessions page shows a remember-me token (or there is none)")
		}
	}

	// Forget the phone: its live session goes on, but a restart signs it
	// out.
	body = laptop.post("/sessions/end", url.Values{"handle": {rows[2].handle}})
	mustContain(t, body, "That device is forgotten: it no longer signs in by itself.")
	if n := len(sessionRows(body)); n != 3 {
		t.Fatalf("after forgetting the phone: %d rows, want 3", n)
	}
	mustContain(t, phone.get("/"), "Signed in as <b>alice</b>")
	phone.restart()
	mustContain(t, phone.get("/"), "You are not signed in")

	// The phone signs in again, remembered; "sign out everywhere else"
	// ends its sessions (the one from before its restart is still live on
	// the server: it has not been idle for 30 minutes) and forgets every
	// device, and the laptop is remembered again with a new token.
	phone.post("/login", rememberCreds)
	oldLaptopToken := laptop.cookie(rememberName)
	body = laptop.post("/sessions/end", url.Values{"handle": {"others"}})
	mustContain(t, body, "Signed out of 2 other sessions. Every remembered device is forgotten. This browser stays remembered")
	rows = sessionRows(body)
	if len(rows) != 2 || !rows[0].current || !rows[1].remembered || rows[1].device != "Firefox 126 on Linux" {
		t.Fatalf("after signing out everywhere else: %+v, want this session and this browser's new token", rows)
	}
	if tok := laptop.cookie(rememberName); tok == "" || tok == oldLaptopToken {
		t.Fatal("the laptop's remember-me cookie was not replaced")
	}
	mustContain(t, phone.get("/"), "You are not signed in")
	phone.restart()
	mustContain(t, phone.get("/"), "You are not signed in")
	// A copy of the laptop's old cookie is worthless now.
	copyOf := newClient(t, srv, "copy")
	copyOf.setCookie(rememberName, oldLaptopToken)
	mustContain(t, copyOf.get("/"), "You are not signed in")
	clock.Advance(3 * day)
	laptop.restart()
	mustContain(t, laptop.get("/"), restoredNotice)
}

// TestCopiedRememberCookie: a remember-me cookie copied to another
// browser works until one of the two copies is used after the other
// rotated it (past the grace window); then both are signed out and the
// series is revoked. The browser that used the older copy is sent to the
// sign-in page, which says what happened; alice's next sign-in elsewhere
// says it too, once.
func TestCopiedRememberCookie(t *testing.T) {
	t.Run("real browser first", func(t *testing.T) {
		clock := newFakeClock()
		srv := newServerWithClock(t, clock.Now)
		alice := newClient(t, srv, uaFirefoxLinux)
		alice.post("/login", rememberCreds)
		thief := newClient(t, srv, uaEdgeWindows)
		thief.setCookie(rememberName, alice.cookie(rememberName))
		// Alice's phone, remembered too, and signed in.
		phone := newClient(t, srv, uaSafariIPhone)
		phone.post("/login", rememberCreds)

		clock.Advance(day)
		alice.restart()
		mustContain(t, alice.get("/"), restoredNotice) // rotated
		phone.restart()
		mustContain(t, phone.get("/"), restoredNotice)
		clock.Advance(time.Minute) // past the 30 s grace
		body := thief.get("/cart")
		mustContain(t, body, "<h1>Sign in</h1>") // sent to the sign-in page
		mustContain(t, body, theftNotice)
		mustNotContain(t, body, "You are signed in")
		if thief.cookie(rememberName) != "" {
			t.Fatal("the copy's cookie was not removed")
		}
		mustNotContain(t, thief.get("/login"), theftNotice) // said once

		body = alice.get("/")
		mustContain(t, body, "You are not signed in") // the session the token started is revoked
		mustContain(t, body, endedNotice)
		alice.restart()
		mustContain(t, alice.get("/"), "You are not signed in") // and the token
		// The demo's OnTheft signs alice out everywhere: the phone too.
		mustContain(t, phone.get("/"), endedNotice)
		phone.restart()
		mustContain(t, phone.get("/"), "You are not signed in")

		body = alice.post("/login", creds)
		mustContain(t, body, "Signed in as <b>alice</b>")
		mustContain(t, body, theftAlert)
		alice.post("/logout", url.Values{})
		mustNotContain(t, alice.post("/login", creds), theftAlert) // once
	})
	t.Run("copy first", func(t *testing.T) {
		clock := newFakeClock()
		srv := newServerWithClock(t, clock.Now)
		alice := newClient(t, srv, uaFirefoxLinux)
		alice.post("/login", rememberCreds)
		thief := newClient(t, srv, uaEdgeWindows)
		thief.setCookie(rememberName, alice.cookie(rememberName))

		clock.Advance(day)
		// The copy works until the real browser uses its cookie: what a
		// remember-me token cannot prevent.
		body := thief.get("/")
		mustContain(t, body, "Signed in as <b>alice</b>")
		mustContain(t, body, restoredNotice)
		// Even so, the account page wants the password.
		mustContain(t, thief.get("/account"), "You signed in 1 day ago — sign in again to continue.")

		clock.Advance(time.Minute)
		alice.restart()
		body = alice.get("/")
		mustContain(t, body, "<h1>Sign in</h1>")
		mustContain(t, body, theftNotice)
		mustContain(t, body, "Every\nsession of <b>alice</b> is ended")
		mustNotContain(t, body, endedNotice)

		body = thief.get("/")
		mustContain(t, body, "You are not signed in")
		mustContain(t, body, endedNotice)

		// Alice was told on the sign-in page: signing in there does not say
		// it again.
		body = alice.post("/login", creds)
		mustContain(t, body, "Signed in as <b>alice</b>")
		mustNotContain(t, body, theftAlert)
	})
}

// TestAccountAsksForPasswordAgain: the account page wants the password
// typed in the last 10 minutes, so a session a remember-me cookie started
// is sent to sign in first, told how long ago that was; the sign-in comes
// back to the page.
func TestAccountAsksForPasswordAgain(t *testing.T) {
	clock := newFakeClock()
	srv := newServerWithClock(t, clock.Now)
	c := newClient(t, srv, uaFirefoxLinux)

	body := c.get("/account")
	mustContain(t, body, "<h1>Sign in</h1>")
	mustContain(t, body, "Sign in to continue to your account settings.")
	body = c.post("/login", url.Values{"username": {"alice"}, "password": {"wonderland"}, "remember": {"on"}, "next": {"/account"}})
	mustContain(t, body, "<h1>Account settings</h1>")
	clock.Advance(9 * time.Minute)
	mustContain(t, c.get("/account"), "<h1>Account settings</h1>")

	// The session started 29 days later by the remember-me cookie keeps
	// the time of that sign-in.
	clock.Advance(29 * day)
	c.restart()
	mustContain(t, c.get("/"), restoredNotice)
	body = c.get("/account")
	mustNotContain(t, body, "<h1>Account settings</h1>")
	mustContain(t, body, "You signed in 29 days ago — sign in again to continue.")
	mustContain(t, body, `<input type="hidden" name="next" value="/account">`)
	mustContain(t, body, `id="still-remembered"`) // no box to untick: the token stays
	mustNotContain(t, body, `id="remember"`)
	// A POST to the page's form is refused too.
	body = c.post("/account/end-all", url.Values{})
	mustContain(t, body, "sign in again to continue.")
	mustContain(t, c.get("/"), "Signed in as <b>alice</b>")

	// A wrong password keeps the way back; the right one goes there.
	body = c.post("/login", url.Values{"username": {"alice"}, "password": {"nope"}, "next": {"/account"}})
	mustContain(t, body, "Wrong user name or password.")
	mustContain(t, body, `<input type="hidden" name="next" value="/account">`)
	body = c.post("/login", url.Values{"username": {"alice"}, "password": {"wonderland"}, "next": {"/account"}})
	mustContain(t, body, "<h1>Account settings</h1>")
	mustContain(t, body, `<dd id="auth-time"><time`)
	mustContain(t, body, ">just now</time>")

	// A fresh password sign-in asks again after 10 minutes too.
	clock.Advance(11 * time.Minute)
	mustContain(t, c.get("/account"), "You signed in 11 minutes ago — sign in again to continue.")

	// The sign-in form goes back nowhere but the account page.
	for _, next := range []string{"https://evil.example/", "//evil.example", "/cart"} {
		noFollow := &http.Client{Transport: srv.Client().Transport, Jar: c.hc.Jar,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noFollow.PostForm(srv.URL+"/login", url.Values{"username": {"alice"}, "password": {"wonderland"}, "next": {next}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Fatalf("next=%q: redirected to %q, want /", next, loc)
		}
		if strings.Contains(c.get("/login?next="+url.QueryEscape(next)), `name="next"`) {
			t.Fatalf("next=%q: the form carries it", next)
		}
	}
}

// TestSignOutEverywhere: the account page's button ends every session and
// forgets every remembered device, this browser's too.
func TestSignOutEverywhere(t *testing.T) {
	clock := newFakeClock()
	srv := newServerWithClock(t, clock.Now)
	laptop := newClient(t, srv, uaFirefoxLinux)
	phone := newClient(t, srv, uaSafariIPhone)
	laptop.post("/login", rememberCreds)
	phone.post("/login", rememberCreds)
	mustContain(t, laptop.get("/account"), "<h1>Account settings</h1>")
	body := laptop.post("/account/end-all", url.Values{})
	mustContain(t, body, "<h1>Sign in</h1>")
	mustContain(t, body, "Signed out everywhere: every session of alice ended, this one included, and every remembered device is forgotten (4 in all).")
	if laptop.cookie(rememberName) != "" || laptop.sessionCookie() == "" {
		// The notice lives in a new, anonymous session.
		t.Fatalf("after signing out everywhere: remember-me %q, session %q", laptop.cookie(rememberName), laptop.sessionCookie())
	}
	for name, c := range map[string]*client{"laptop": laptop, "phone": phone} {
		mustContain(t, c.get("/"), "You are not signed in")
		c.restart()
		if body := c.get("/"); !strings.Contains(body, "You are not signed in") {
			t.Fatalf("%s restored after signing out everywhere:\n%s", name, body)
		}
	}
}

// TestLogoutForgetsThisBrowser: signing out ends this browser's token too;
// a copy of its cookie is worthless afterwards.
func TestLogoutForgetsThisBrowser(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv, uaFirefoxLinux)
	c.post("/login", rememberCreds)
	tok := c.cookie(rememberName)
	body := c.post("/logout", url.Values{})
	mustContain(t, body, "If this browser\nremembered you, it no longer does.")
	if c.cookie(rememberName) != "" {
		t.Fatal("sign-out left the remember-me cookie")
	}
	c.setCookie(rememberName, tok)
	c.restart()
	mustContain(t, c.get("/"), "You are not signed in")
}

// plainStore hides every optional interface of a store: a store without a
// user index (memcached, Cloudflare KV) as the demo sees it.
type plainStore struct{ sesh.Store }

// TestRememberMeOffWithoutUserIndex: on a store that cannot keep
// remember-me tokens, the demo starts without the box and says why.
func TestRememberMeOffWithoutUserIndex(t *testing.T) {
	st, err := filestore.New(t.TempDir(), filestore.Options{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h, err := newApp(plainStore{st}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("newApp on a store without a user index: %v", err)
	}
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	c := newClient(t, srv, uaFirefoxLinux)
	body := c.get("/login")
	mustContain(t, body, "Remember me is off: this store lacks the user index")
	mustNotContain(t, body, `id="remember"`)
	mustContain(t, c.post("/login", rememberCreds), "Signed in as <b>alice</b>")
	if c.cookie(rememberName) != "" {
		t.Fatal("a remember-me cookie without Remember")
	}
}
