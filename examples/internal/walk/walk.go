// Package walk is the one HTTP walk every example's test runs: count two
// views, sign in (the ID must change and the count must survive), read the
// user back.
package walk

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// Run drives h like a browser and fails t on any deviation. It serves h
// over TLS: the session cookie is Secure by default, and Go's cookie jar
// (unlike browsers on localhost) sends Secure cookies over https only.
func Run(t *testing.T, h http.Handler) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := srv.Client()
	c.Jar = jar
	u, _ := url.Parse(srv.URL)
	get := func(method, path string, form url.Values) string {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, srv.URL+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return string(b)
	}
	sessionID := func() string {
		for _, k := range jar.Cookies(u) {
			if k.Name == "__Host-session" {
				return k.Value
			}
		}
		return ""
	}
	if got := get("GET", "/", nil); got != "views: 1" {
		t.Fatalf("first visit: %q", got)
	}
	if got := get("GET", "/", nil); got != "views: 2" {
		t.Fatalf("second visit: %q", got)
	}
	before := sessionID()
	if got := get("POST", "/login", url.Values{"user": {"alice"}}); got != "signed in" {
		t.Fatalf("login: %q", got)
	}
	if after := sessionID(); after == "" || after == before {
		t.Fatalf("session ID not regenerated at sign-in (%q → %q)", before, after)
	}
	if got := get("GET", "/me", nil); got != `user: "alice"` {
		t.Fatalf("me: %q", got)
	}
	if got := get("GET", "/", nil); got != "views: 3" {
		t.Fatalf("count lost across sign-in: %q", got)
	}
}
