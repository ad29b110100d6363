// Package expresstest is the interop scenario every express-session
// store pairing runs: a real Express app (started by the caller) and a
// sesh server on the same store share sessions both ways, with secret
// rotation, logout on either side, and the cookie fields of the record
// (lifetime, attributes) as each side reads the other's (Run, RunNoTTL).
//
// Session and Cookie are express-session 1.19.0's own test suite
// (test/session.js, test/cookie.js), ported case by case and run on any
// store in express's layout; Cases lists its cases and how sesh stands on
// each (docs/express-session-parity.md).
package expresstest

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/express"
	"github.com/sesh-go/sesh/cookie"
)

// Secrets are the secrets both sides use: the Node app must be started
// with SECRET="new secret,old secret".
const Secrets = "new secret,old secret"

// Run checks that the Express app at nodeURL and a sesh server on st (the
// same sessions, in the Node store's layout) share sessions. The Express app
// (express-session with resave: false, saveUninitialized: false, proxy:
// true, no cookie options) serves GET /views (count in req.session.views),
// /set?k=&v=, /dump (req.session as JSON), /logout (destroy), /cookie
// (req.session.cookie as JSON) and /remember?ms= (req.session.cookie.maxAge
// set to ms, or null for "null", with a change to the data).
func Run(t *testing.T, nodeURL string, st sesh.Store) {
	t.Helper()
	goURL := goServer(t, st, "new secret", "old secret")
	t.Run("NodeCreatesGoContinues", func(t *testing.T) {
		b := newBrowser(t)
		if got := b.get(nodeURL, "/views"); got != "1" {
			t.Fatalf("node first view: %s", got)
		}
		if !strings.HasPrefix(b.cookie(nodeURL), "s%3A") {
			t.Fatalf("Node's cookie %q", b.cookie(nodeURL))
		}
		if got := b.get(goURL, "/views"); got != "2" {
			t.Fatalf("Go did not continue Node's session: %s", got)
		}
		if got := b.get(nodeURL, "/views"); got != "3" {
			t.Fatalf("Node did not see Go's change: %s", got)
		}
		b.get(nodeURL, "/set?k=name&v=bob")
		if got := b.get(goURL, "/get?k=name"); got != "bob" {
			t.Fatalf("a value Node set reads %q in Go", got)
		}
		// Go rewrites the record; Node's own properties survive.
		b.get(goURL, "/views")
		if got := b.get(nodeURL, "/dump"); !strings.Contains(got, `"name":"bob"`) || !strings.Contains(got, `"views":4`) {
			t.Fatalf("Node's view after Go's rewrite: %s", got)
		}
	})

	t.Run("GoCreatesNodeContinues", func(t *testing.T) {
		b := newBrowser(t)
		if got := b.get(goURL, "/views"); got != "1" {
			t.Fatalf("go first view: %s", got)
		}
		if cv := b.cookie(goURL); !strings.HasPrefix(cv, "s%3A") {
			t.Fatalf("Go's cookie %q is not express-session's s: form", cv)
		}
		if got := b.get(nodeURL, "/views"); got != "2" {
			t.Fatalf("Node did not continue Go's session: %s", got)
		}
		if got := b.get(goURL, "/views"); got != "3" {
			t.Fatalf("Go did not see Node's change: %s", got)
		}
	})

	t.Run("SecretRotation", func(t *testing.T) {
		b := newBrowser(t)
		b.get(nodeURL, "/views")
		id, ok := mustCookieValue(t, "new secret").DecodeID(unescapeCookie(b.cookie(nodeURL)))
		if !ok {
			t.Fatal("Node's cookie does not verify with the current secret")
		}
		// The same session under a cookie signed with the old secret.
		b.setCookie(goURL, mustCookieValue(t, "old secret").EncodeID(id))
		if got := b.get(goURL, "/views"); got != "2" {
			t.Fatalf("Go with an old-secret cookie: %s", got)
		}
		if got := b.get(nodeURL, "/views"); got != "3" {
			t.Fatalf("Node with an old-secret cookie: %s", got)
		}
		b.setCookie(goURL, mustCookieValue(t, "unknown secret").EncodeID(id))
		if got := b.get(goURL, "/views"); got != "1" {
			t.Fatalf("a cookie signed with an unknown secret was accepted: %s", got)
		}
	})

	t.Run("LogoutInGo", func(t *testing.T) {
		b := newBrowser(t)
		b.get(nodeURL, "/views")
		b.get(nodeURL, "/views")
		old := b.cookie(nodeURL)
		b.get(goURL, "/logout")
		b.setCookie(nodeURL, old) // even replaying the cookie
		if got := b.get(nodeURL, "/views"); got != "1" {
			t.Fatalf("Node still has the session Go destroyed: %s", got)
		}
	})

	t.Run("LogoutInNode", func(t *testing.T) {
		b := newBrowser(t)
		b.get(goURL, "/views")
		b.get(goURL, "/views")
		old := b.cookie(goURL)
		b.get(nodeURL, "/logout")
		b.setCookie(goURL, old)
		if got := b.get(goURL, "/views"); got != "1" {
			t.Fatalf("Go still has the session Node destroyed: %s", got)
		}
	})

	runLifetime(t, nodeURL, goURL, st)
}

// runLifetime checks the cookie fields of the record between the sides:
// the Node app's cookie lifetime survives Go's writes, a CommitWith expiry
// and the attributes sesh sends reach Node.
func runLifetime(t *testing.T, nodeURL, goURL string, st sesh.Store) {
	t.Run("NodeLifetimeSurvivesGoWrite", func(t *testing.T) {
		b := newBrowser(t)
		b.get(nodeURL, "/views")
		const week = 7 * 24 * time.Hour
		b.get(nodeURL, "/remember?ms=604800000") // remember me, in Node
		if got := b.get(goURL, "/views"); got != "2" {
			t.Fatalf("go: %s", got)
		}
		c := b.cookieObject(nodeURL)
		if !near(c.OriginalMaxAge, week, time.Second) || c.Expires == nil || !nearTime(*c.Expires, time.Now().Add(week), 10*time.Second) {
			t.Fatalf("Node's remember-me after a Go write: %+v", c)
		}
		b.get(nodeURL, "/remember?ms=null") // a browser-session cookie again
		if got := b.get(goURL, "/views"); got != "3" {
			t.Fatalf("go: %s", got)
		}
		if c := b.cookieObject(nodeURL); c.OriginalMaxAge != nil || c.Expires != nil {
			t.Fatalf("Node's browser-session cookie after a Go write: %+v", c)
		}
	})

	t.Run("GoCommitWithExpiresReachesNode", func(t *testing.T) {
		b := newBrowser(t)
		b.get(goURL, "/views")
		b.get(goURL, "/remember-until?s=3600")
		c := b.cookieObject(nodeURL)
		if c.Expires == nil || !nearTime(*c.Expires, time.Now().Add(time.Hour), 10*time.Second) || !near(c.OriginalMaxAge, time.Hour, 10*time.Second) {
			t.Fatalf("Go's CommitWith expiry as Node reads it: %+v", c)
		}
	})

	t.Run("GoCookieAttributesReachNode", func(t *testing.T) {
		goAttr := goServerWith(t, st, func(c *sesh.Config) {
			c.Cookie.Partitioned = true
			c.Cookie.Priority = cookie.PriorityHigh
		}, "new secret", "old secret")
		b := newBrowser(t)
		b.get(goAttr, "/views")
		if c := b.cookieObject(nodeURL); !c.Partitioned || c.Priority != "high" || !c.Secure {
			t.Fatalf("the cookie of a Go session as Node reads it: %+v", c)
		}
		// Node re-sends that session's cookie (persistent now, and modified)
		// with the attributes in the record, on a request it sees as https.
		h := b.headers(nodeURL, "/remember?ms=60000", "X-Forwarded-Proto", "https")
		line := setCookieLine(h, "connect.sid")
		for _, want := range []string{"Partitioned", "Priority=High", "Secure", "Expires="} {
			if !strings.Contains(line, want) {
				t.Fatalf("Node's Set-Cookie %q lacks %s", line, want)
			}
		}
		// Over plain HTTP it sends no cookie for a session whose record says
		// secure (the package doc's plain-HTTP note), yet saves the session.
		h = b.headers(nodeURL, "/remember?ms=120000")
		if line := setCookieLine(h, "connect.sid"); line != "" {
			t.Fatalf("Node sent a Secure session's cookie over plain HTTP: %q", line)
		}
		if c := b.cookieObject(nodeURL); !near(c.OriginalMaxAge, 2*time.Minute, time.Second) {
			t.Fatalf("Node did not save the session over plain HTTP: %+v", c)
		}
	})
}

// RunNoTTL checks a Node store that keeps records without a TTL
// (connect-redis with disableTTL: true) against a sesh server on st. ttl
// reports the store's TTL for a session ID, negative for none.
func RunNoTTL(t *testing.T, nodeURL string, st sesh.Store, ttl func(id string) time.Duration) {
	t.Helper()
	goURL := goServer(t, st, "new secret", "old secret")
	b := newBrowser(t)
	if got := b.get(nodeURL, "/views"); got != "1" {
		t.Fatalf("node first view: %s", got)
	}
	id, ok := mustCookieValue(t, "new secret").DecodeID(unescapeCookie(b.cookie(nodeURL)))
	if !ok {
		t.Fatal("Node's cookie does not verify")
	}
	if d := ttl(id); d >= 0 {
		t.Fatalf("Node's record has a TTL (%v): not a disableTTL store", d)
	}
	if got := b.get(goURL, "/views"); got != "2" {
		t.Fatalf("Go did not continue Node's TTL-less session: %s", got)
	}
	if d := ttl(id); d <= 0 {
		t.Fatalf("after Go's write the record has no TTL (%v): sesh's idle deadline is missing", d)
	}
	if got := b.get(nodeURL, "/views"); got != "3" {
		t.Fatalf("Node did not see Go's change: %s", got)
	}
	if got := b.get(goURL, "/views"); got != "4" {
		t.Fatalf("Go after Node rewrote the record without a TTL: %s", got)
	}
	b.get(nodeURL, "/logout")
	if got := b.get(goURL, "/views"); got != "1" {
		t.Fatalf("Go still has the session Node destroyed: %s", got)
	}
}

// cookieJSON is express-session's req.session.cookie as the Node app's
// /cookie serves it.
type cookieJSON struct {
	OriginalMaxAge *float64 `json:"originalMaxAge"`
	Expires        *string  `json:"expires"`
	Secure         bool     `json:"secure"`
	Partitioned    bool     `json:"partitioned"`
	Priority       string   `json:"priority"`
}

func (b *browser) cookieObject(nodeURL string) cookieJSON {
	b.t.Helper()
	var c cookieJSON
	if err := json.Unmarshal([]byte(b.get(nodeURL, "/cookie")), &c); err != nil {
		b.t.Fatal(err)
	}
	return c
}

// near reports whether a millisecond count is within tol of d.
func near(ms *float64, d, tol time.Duration) bool {
	return ms != nil && math.Abs(*ms-float64(d.Milliseconds())) <= float64(tol.Milliseconds())
}

// nearTime reports whether an ISO time is within tol of want.
func nearTime(iso string, want time.Time, tol time.Duration) bool {
	got, err := time.Parse(time.RFC3339Nano, iso)
	return err == nil && got.Sub(want).Abs() <= tol
}

// headers sends a GET with header name/value pairs and returns the
// response headers (the body is discarded; the status must be 200).
func (b *browser) headers(base, path string, kv ...string) http.Header {
	b.t.Helper()
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		b.t.Fatalf("GET %s%s: %d", base, path, resp.StatusCode)
	}
	return resp.Header
}

// setCookieLine returns the Set-Cookie line for name, "" if none.
func setCookieLine(h http.Header, name string) string {
	for _, l := range h.Values("Set-Cookie") {
		if strings.HasPrefix(l, name+"=") {
			return l
		}
	}
	return ""
}

// browser is a cookie jar shared by both servers (same host, other ports:
// cookies are not scoped by port).
type browser struct {
	t  *testing.T
	hc *http.Client
}

func (b *browser) get(base, path string) string {
	b.t.Helper()
	resp, err := b.hc.Get(base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		b.t.Fatalf("GET %s%s: %d %s", base, path, resp.StatusCode, body)
	}
	return strings.TrimSpace(string(body))
}

func (b *browser) cookie(base string) string {
	u, _ := url.Parse(base)
	for _, c := range b.hc.Jar.Cookies(u) {
		if c.Name == "connect.sid" {
			return c.Value
		}
	}
	return ""
}

func (b *browser) setCookie(base, value string) {
	u, _ := url.Parse(base)
	b.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "connect.sid", Value: value, Path: "/"}})
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, hc: &http.Client{Jar: jar}}
}

// goServer is the sesh side: compat/express on this package's store.
func goServer(t *testing.T, st sesh.Store, secrets ...string) string {
	t.Helper()
	return goServerWith(t, st, nil, secrets...)
}

// goServerWith is goServer with mod applied to the configuration.
func goServerWith(t *testing.T, st sesh.Store, mod func(*sesh.Config), secrets ...string) string {
	t.Helper()
	cfg := sesh.Config{Store: st}
	if mod != nil {
		mod(&cfg)
	}
	var sec [][]byte
	for _, s := range secrets {
		sec = append(sec, []byte(s))
	}
	if err := express.ConfigureWith(&cfg, express.SecretOptions{AllowShortSecrets: true}, sec...); err != nil {
		t.Fatal(err)
	}
	m, err := sesh.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outer := http.NewServeMux()
	// The explicit API: this commit's cookie lasts s seconds
	// (Manager.CommitWith with an absolute expiry).
	outer.HandleFunc("GET /remember-until", func(w http.ResponseWriter, r *http.Request) {
		s, err := m.LoadRequest(r)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		secs, _ := strconv.Atoi(r.URL.Query().Get("s"))
		line, err := m.CommitWith(r.Context(), s, sesh.CommitOptions{Expires: time.Now().Add(time.Duration(secs) * time.Second)})
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Add("Set-Cookie", line)
		fmt.Fprint(w, "ok")
	})
	mux := http.NewServeMux()
	outer.Handle("/", m.Handler(mux))
	mux.HandleFunc("GET /views", func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		n, _ := sesh.Get[int](s, "views")
		s.Set("views", n+1)
		fmt.Fprint(w, n+1)
	})
	mux.HandleFunc("GET /get", func(w http.ResponseWriter, r *http.Request) {
		v, _ := sesh.Get[string](sesh.From(r.Context()), r.URL.Query().Get("k"))
		fmt.Fprint(w, v)
	})
	mux.HandleFunc("GET /logout", func(w http.ResponseWriter, r *http.Request) {
		sesh.From(r.Context()).Destroy()
		fmt.Fprint(w, "bye")
	})
	srv := httptest.NewServer(outer)
	t.Cleanup(srv.Close)
	return srv.URL
}

func unescapeCookie(v string) string {
	u, err := url.PathUnescape(v)
	if err != nil {
		return v
	}
	return u
}

func mustCookieValue(t *testing.T, secret string) express.CookieValue {
	t.Helper()
	cv, err := express.NewCookieValue([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return cv
}
