// Package expresstest is the interop scenario every express-session
// store pairing runs: a real Express app (started by the caller) and a
// sesh server on the same store share sessions both ways, with secret
// rotation and logout on either side.
package expresstest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/express"
)

// Secrets are the secrets both sides use: the Node app must be started
// with SECRET="new secret,old secret".
const Secrets = "new secret,old secret"

// Run checks that the Express app at nodeURL and a sesh server on st (the
// same sessions, in the Node store's layout) share sessions.
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
	cfg := sesh.Config{Store: st}
	var sec [][]byte
	for _, s := range secrets {
		sec = append(sec, []byte(s))
	}
	if err := express.Configure(&cfg, sec...); err != nil {
		t.Fatal(err)
	}
	m, err := sesh.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
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
	srv := httptest.NewServer(m.Handler(mux))
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
