package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/sesh-go/sesh/sqlitestore"
	"github.com/sesh-go/sesh/storetest"
)

// screenshotDir is where the browser test leaves one PNG per page it
// visits (gitignored). SESH_SCREENSHOTS overrides it.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("SESH_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("testoutput", "browser")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser is one headless Chromium with JavaScript off: a person with a
// mouse and a keyboard, nothing more.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
	name string
	n    *int // shared by the browsers of one test: screenshots in order
}

func newBrowser(t *testing.T, parent context.Context, base, dir, name string, n *int) *browser {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent)
	t.Cleanup(cancel)
	if err := chromedp.Run(ctx, emulation.SetScriptExecutionDisabled(true)); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	return &browser{t: t, ctx: ctx, base: base, dir: dir, name: name, n: n}
}

func (b *browser) run(what string, actions ...chromedp.Action) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %s: %v", b.name, what, err)
	}
}

// shot saves a screenshot of the whole page as NN-<browser>-<label>.png.
func (b *browser) shot(label string) {
	b.t.Helper()
	var png []byte
	b.run("screenshot "+label, chromedp.FullScreenshot(&png, 100))
	*b.n++
	name := filepath.Join(b.dir, strings.Join([]string{twoDigits(*b.n), b.name, label}, "-")+".png")
	if err := os.WriteFile(name, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", name)
}

func twoDigits(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }

// text returns the page's body text.
func (b *browser) text() string {
	b.t.Helper()
	var s string
	b.run("read page", chromedp.Text("body", &s, chromedp.ByQuery))
	return s
}

func (b *browser) want(substr string) {
	b.t.Helper()
	if s := b.text(); !strings.Contains(s, substr) {
		b.t.Fatalf("%s: page does not show %q:\n%s", b.name, substr, s)
	}
}

func (b *browser) wantNot(substr string) {
	b.t.Helper()
	if s := b.text(); strings.Contains(s, substr) {
		b.t.Fatalf("%s: page shows %q:\n%s", b.name, substr, s)
	}
}

func (b *browser) open(path string) {
	b.t.Helper()
	b.run("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady("body", chromedp.ByQuery))
}

// click submits a form by its button, as a person would, and waits for the
// next page.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.run("click "+sel, chromedp.Click(sel, chromedp.ByQuery, chromedp.NodeVisible), chromedp.Sleep(150*time.Millisecond),
		chromedp.WaitReady("body", chromedp.ByQuery))
}

func (b *browser) signIn(password string, remember bool) {
	b.t.Helper()
	b.open("/login")
	b.run("type password", chromedp.SetValue("#username", "alice", chromedp.ByQuery),
		chromedp.SendKeys("#password", password, chromedp.ByQuery))
	if remember {
		b.run("tick remember me", chromedp.Click("#remember", chromedp.ByQuery))
	}
	b.click("#signin")
}

// cookies returns the browser's cookies for base.
func (b *browser) cookies(base string) []*network.Cookie {
	b.t.Helper()
	var cs []*network.Cookie
	b.run("read cookies", chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cs, err = network.GetCookies().WithURLs([]string{base}).Do(ctx)
		return err
	}))
	return cs
}

func findCookie(cs []*network.Cookie, name string) *network.Cookie {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// checkRememberCookie: the session cookie ends with the browser, the
// remember-me cookie outlives it for 30 days (by the browser's own clock),
// HttpOnly, Secure, SameSite=Lax.
func (b *browser) checkRememberCookie(base string) {
	b.t.Helper()
	cs := b.cookies(base)
	sc, rc := findCookie(cs, cookieName), findCookie(cs, rememberName)
	if sc == nil || !sc.Session {
		b.t.Fatalf("%s: session cookie %+v, want a browser-session cookie", b.name, sc)
	}
	if rc == nil {
		b.t.Fatalf("%s: no remember-me cookie in %+v", b.name, cs)
	}
	expires := time.Unix(int64(rc.Expires), 0)
	if rc.Session || !rc.HTTPOnly || !rc.Secure || rc.SameSite != network.CookieSameSiteLax ||
		expires.Before(time.Now().Add(rememberFor-time.Hour)) || expires.After(time.Now().Add(rememberFor+time.Hour)) {
		b.t.Fatalf("%s: remember-me cookie: browser-session=%v HttpOnly=%v Secure=%v SameSite=%q expires %v (want in %v)",
			b.name, rc.Session, rc.HTTPOnly, rc.Secure, rc.SameSite, expires, rememberFor)
	}
}

// restart is the browser closing and opening again: its browser-session
// cookies are deleted, its persistent ones kept.
func (b *browser) restart(base string) {
	b.t.Helper()
	cs := b.cookies(base)
	b.run("close and reopen", chromedp.ActionFunc(func(ctx context.Context) error {
		for _, c := range cs {
			if c.Session {
				if err := network.DeleteCookies(c.Name).WithURL(base).Do(ctx); err != nil {
					return err
				}
			}
		}
		return nil
	}), chromedp.Navigate("about:blank"))
	for _, c := range b.cookies(base) {
		if c.Session {
			b.t.Fatalf("%s: browser-session cookie %s survived the restart", b.name, c.Name)
		}
	}
}

// TestBrowserWalk drives Debian's Chromium, JavaScript disabled, through
// the demo as a person would.
func TestBrowserWalk(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the browser walk starts Chromium")
	}
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		storetest.Unavailable(t, "chromium (apt-get install chromium; .ci/run installs it)", exec.ErrNotFound)
	}

	// The server runs on a clock the walk moves forward (the store too: it
	// decides when a remember-me token has expired). The browser's clock
	// cannot move: the remember-me cookie's Max-Age of 30 days counts from
	// the real time, and only the server's tokens meet the moved clock.
	clock := newFakeClock()
	store, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "sessions.db"), sqlitestore.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	h, err := newAppWithClock(store, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1000, 800),
	)
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	dir := screenshotDir(t)

	var shots int
	laptop := newBrowser(t, alloc, srv.URL, dir, "laptop", &shots)
	var laptopUA string
	laptop.run("read the user agent", chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		_, _, _, laptopUA, _, err = cdpbrowser.GetVersion().Do(ctx)
		return err
	}))

	// The home page, signed out.
	laptop.open("/")
	laptop.want("You are not signed in")
	laptop.shot("home-signed-out")

	// A wrong password: the flash shows once, and not after a reload.
	laptop.signIn("nope", false)
	laptop.want("Wrong user name or password.")
	laptop.shot("wrong-password-flash")
	laptop.run("reload", chromedp.Reload(), chromedp.WaitReady("body", chromedp.ByQuery))
	laptop.wantNot("Wrong user name or password.")
	laptop.want("Remember me for 30 days")
	laptop.shot("sign-in")

	// The cart before signing in, across pages.
	laptop.open("/cart")
	laptop.click("#add-apple")
	laptop.click("#add-pear")
	laptop.want("apple × 1")
	laptop.open("/")
	laptop.open("/cart")
	laptop.want("pear × 1")
	laptop.shot("cart")

	// Sign in: the flash, the greeting, the cart kept, the cookie's flags.
	laptop.signIn("wonderland", false)
	laptop.want("Welcome back, alice.")
	laptop.want("Signed in as alice")
	laptop.want("off: the session cookie ends when the browser closes")
	laptop.shot("signed-in")
	laptop.open("/cart")
	laptop.want("apple × 1")
	var cookies []*network.Cookie
	laptop.run("read cookies", chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cookies, err = network.GetCookies().WithURLs([]string{srv.URL}).Do(ctx)
		return err
	}))
	var found bool
	for _, c := range cookies {
		if c.Name == cookieName {
			found = true
			// Chromium keeps the Secure __Host- cookie on http://127.0.0.1:
			// sesh's secure default costs nothing in local development.
			if !c.HTTPOnly || !c.Secure || c.SameSite != network.CookieSameSiteLax || !c.Session {
				t.Fatalf("session cookie: HttpOnly=%v Secure=%v SameSite=%q browser-session=%v", c.HTTPOnly, c.Secure, c.SameSite, c.Session)
			}
		}
	}
	if !found {
		t.Fatalf("no session cookie in the browser: %+v", cookies)
	}

	// A second browser, a phone by its header and its screen, signs in with
	// "remember me": a second cookie, persistent for 30 days; the session
	// cookie still ends with the browser.
	phone := newBrowser(t, alloc, srv.URL, dir, "phone", &shots)
	phone.run("be a phone", emulation.SetUserAgentOverride(uaSafariIPhone),
		emulation.SetDeviceMetricsOverride(390, 844, 2, true))
	phone.signIn("wonderland", true)
	phone.want("Signed in as alice")
	phone.want("Safari 17 on iOS")
	phone.want("on: when this session ends, this browser signs in again by itself")
	phone.shot("signed-in-remembered")
	phone.checkRememberCookie(srv.URL)

	// The sessions page lists both, this device first and marked, each by
	// its browser and system read from its User-Agent header, and the
	// phone's remember-me token as a remembered device.
	laptop.open("/sessions")
	laptop.want("This device")
	laptop.want("Safari 17 on iOS")
	laptop.want("Remembered device")
	var remembered []*cdp.Node
	laptop.run("find remembered devices", chromedp.Nodes(".session.remembered .agent", &remembered, chromedp.ByQueryAll))
	if len(remembered) != 1 {
		t.Fatalf("%d remembered devices on the sessions page, want the phone's", len(remembered))
	}
	var current string
	laptop.run("read the current session's device", chromedp.Text(".session.current .agent", &current, chromedp.ByQuery))
	wantOS := map[string]string{"linux": "Linux", "darwin": "macOS", "windows": "Windows"}[runtime.GOOS]
	if want := parseUA(laptopUA).String(); current != want || !strings.Contains(current, "Chrome") ||
		!strings.HasSuffix(current, " on "+wantOS) {
		t.Fatalf("current session shown as %q; its User-Agent %q reads %q (a Chrome on %s)", current, laptopUA, want, wantOS)
	}
	laptop.shot("sessions-two")
	laptop.run("dark scheme", emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{
		{Name: "prefers-color-scheme", Value: "dark"}}))
	laptop.shot("sessions-two-dark")
	laptop.run("light scheme", emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{
		{Name: "prefers-color-scheme", Value: "light"}}))
	phone.open("/sessions")
	phone.want(current) // the laptop, as the phone sees it
	phone.shot("sessions")

	// Ending the others signs the phone out; it is told so once.
	laptop.click("#end-others")
	laptop.want("Signed out of 1 other session.")
	laptop.want("This is your only session.")
	laptop.shot("sessions-ended-others")
	phone.open("/")
	phone.want("Your session has ended.")
	phone.want("You are not signed in")
	phone.shot("signed-out-elsewhere")
	phone.run("reload", chromedp.Reload(), chromedp.WaitReady("body", chromedp.ByQuery))
	phone.wantNot("Your session has ended.")

	// Sign out: the sign-in page says so; then the back button and a reload
	// show a signed-out page.
	laptop.open("/")
	laptop.click("#logout")
	laptop.want("Sign in")
	laptop.want("You are signed out.")
	laptop.shot("signed-out")
	laptop.run("back", chromedp.ActionFunc(func(ctx context.Context) error {
		// The back button: the previous history entry, without waiting for
		// a load event (the page may come from the back-forward cache).
		cur, entries, err := cdppage.GetNavigationHistory().Do(ctx)
		if err != nil || cur < 1 {
			return fmt.Errorf("history %d entries, current %d: %v", len(entries), cur, err)
		}
		return cdppage.NavigateToHistoryEntry(entries[cur-1].ID).Do(ctx)
	}), chromedp.Sleep(300*time.Millisecond))
	laptop.shot("back-button")
	laptop.wantNot("Signed in as alice") // pages are no-store: back asks the server
	laptop.run("reload", chromedp.Reload(), chromedp.WaitReady("body", chromedp.ByQuery))
	laptop.want("You are not signed in")
	laptop.wantNot("Signed in as alice")
	laptop.shot("signed-out-back-reload")

	// Remember me across a browser restart. The phone signs in again with
	// the box ticked; 29 days later (on the server's clock) the browser
	// restarts: the session cookie is gone, and the remember-me cookie
	// starts a new session without the password.
	phone.signIn("wonderland", true)
	phone.checkRememberCookie(srv.URL)
	firstToken := findCookie(phone.cookies(srv.URL), rememberName).Value
	clock.Advance(29 * 24 * time.Hour)
	phone.restart(srv.URL)
	phone.open("/")
	phone.want("This browser remembered you, so no password was needed.")
	phone.want("Signed in as alice, with the password 29 days ago.")
	phone.want("this browser's remember-me cookie, without the password")
	phone.wantNot("Your session has ended.")
	phone.shot("restored-after-restart")
	if tok := findCookie(phone.cookies(srv.URL), rememberName); tok == nil || tok.Value == firstToken {
		t.Fatal("the restore did not rotate the remember-me cookie")
	}
	phone.checkRememberCookie(srv.URL)

	// The account page wants the password again: the restored session
	// keeps the time of the sign-in 29 days ago.
	phone.open("/account")
	phone.want("You signed in 29 days ago — sign in again to continue.")
	phone.wantNot("Sign out everywhere and forget every device")
	phone.shot("account-asks-again")
	phone.run("type password", chromedp.SendKeys("#password", "wonderland", chromedp.ByQuery))
	phone.click("#signin")
	phone.want("Account settings")
	phone.want("Sign out everywhere")
	phone.shot("account")

	// A copy of the remember-me cookie, taken to another browser, works
	// only until both are used: the phone restarts a day later and uses
	// its own (rotating it); a minute later the copy is refused, both are
	// signed out, and the browser with the copy is told why.
	thief := newBrowser(t, alloc, srv.URL, dir, "copy", &shots)
	stolen := findCookie(phone.cookies(srv.URL), rememberName)
	thief.run("plant the copied cookie", network.SetCookie(stolen.Name, stolen.Value).WithURL(srv.URL).
		WithPath("/").WithSecure(true).WithHTTPOnly(true).WithSameSite(network.CookieSameSiteLax).
		WithExpires(ptrEpoch(time.Now().Add(time.Hour))))
	clock.Advance(24 * time.Hour)
	phone.restart(srv.URL)
	phone.open("/")
	phone.want("This browser remembered you")
	clock.Advance(time.Minute)
	thief.open("/")
	thief.want("Signed out everywhere, to be safe.")
	thief.want("Sign in")
	thief.wantNot("Signed in as alice")
	thief.shot("copied-cookie-refused")
	if findCookie(thief.cookies(srv.URL), rememberName) != nil {
		t.Fatal("the copied remember-me cookie was not removed")
	}
	phone.open("/")
	phone.want("Your session has ended.")
	phone.want("You are not signed in")
	phone.shot("signed-out-by-the-copy")
	phone.signIn("wonderland", false)
	phone.want("A copy of your remember-me cookie was used")
	phone.shot("signed-in-told-of-the-copy")

	// 31 days without a use, the token has expired on the server: the
	// browser still has the cookie (its clock did not move), and it no
	// longer signs in.
	phone.open("/")
	phone.click("#logout")
	phone.signIn("wonderland", true)
	clock.Advance(31 * 24 * time.Hour)
	phone.restart(srv.URL)
	if findCookie(phone.cookies(srv.URL), rememberName) == nil {
		t.Fatal("the browser dropped the remember-me cookie")
	}
	phone.open("/")
	phone.want("You are not signed in")
	phone.wantNot("remembered you")
	phone.shot("expired-after-31-days")
	if findCookie(phone.cookies(srv.URL), rememberName) != nil {
		t.Fatal("the expired token's cookie was not removed")
	}
}

// ptrEpoch is t as CDP's cookie expiry.
func ptrEpoch(t time.Time) *cdp.TimeSinceEpoch {
	e := cdp.TimeSinceEpoch(t)
	return &e
}
