package remix

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/nodepeer"
)

var peerDir = filepath.Join("testdata", "node")

// nodeWrite has @remix-run/node's cookie session storage set values and
// flashes and commit; it returns the Cookie header for the result.
func nodeWrite(t *testing.T, secrets string, set, flash map[string]string) string {
	t.Helper()
	if flash == nil {
		flash = map[string]string{}
	}
	sb, _ := json.Marshal(set)
	fb, _ := json.Marshal(flash)
	line := nodepeer.Run(t, peerDir, "peer.js", "write", secrets, string(sb), string(fb))
	if i := strings.IndexByte(line, ';'); i > 0 {
		return line[:i]
	}
	t.Fatalf("Remix wrote %q", line)
	return ""
}

// nodeRead has Remix read keys from a Cookie header (flash values are
// consumed by the read, as in Remix).
func nodeRead(t *testing.T, secrets, header string, keys ...string) map[string]any {
	t.Helper()
	out := nodepeer.Run(t, peerDir, "peer.js", "read", secrets, header, strings.Join(keys, ","))
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("Remix read: %q: %v", out, err)
	}
	return m
}

// goRound serves one request through a Manager configured for Remix and
// returns the session's view and the new Cookie header (or the old one if
// no cookie was set).
func goRound(t *testing.T, m *sesh.Manager, header string, fn func(s *sesh.Session)) string {
	t.Helper()
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fn(sesh.From(r.Context())) }))
	r := httptest.NewRequest("GET", "/", nil)
	if header != "" {
		r.Header.Set("Cookie", header)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if line := w.Header().Get("Set-Cookie"); line != "" {
		return line[:strings.IndexByte(line, ';')]
	}
	return header
}

// TestRemixPeer shares one cookie-only session with the real
// @remix-run/node (createCookieSessionStorage), both ways, with flash values
// and secret rotation.
func TestRemixPeer(t *testing.T) {
	m := newManager(t, "new secret", "old secret")

	t.Run("RemixWritesGoReads", func(t *testing.T) {
		hdr := nodeWrite(t, "new secret", map[string]string{"user": "bob"}, map[string]string{"error": "boom"})
		var user, flash string
		var hadFlash bool
		hdr = goRound(t, m, hdr, func(s *sesh.Session) {
			user, _ = sesh.Get[string](s, "user")
			hadFlash = s.Has("error")
			flash, _ = sesh.Get[string](s, "error")
		})
		if user != "bob" || flash != "boom" || !hadFlash {
			t.Fatalf("Go read user %q flash %q (had %v)", user, flash, hadFlash)
		}
		// Go consumed the flash and committed: Remix sees the user, no flash.
		got := nodeRead(t, "new secret", hdr, "user", "error")
		if got["user"] != "bob" || got["error"] != nil || len(got["flashLeft"].([]any)) != 0 {
			t.Fatalf("Remix after Go's commit: %v", got)
		}
	})

	t.Run("GoWritesRemixReads", func(t *testing.T) {
		hdr := goRound(t, m, "", func(s *sesh.Session) {
			s.Set("user", "alice")
			s.Set("cart", []string{"apple"})
			s.Flash("notice", "welcome")
		})
		got := nodeRead(t, "new secret", hdr, "user", "notice", "cart")
		if got["user"] != "alice" || got["notice"] != "welcome" {
			t.Fatalf("Remix read Go's cookie as %v", got)
		}
		if cart, _ := got["cart"].([]any); len(cart) != 1 || cart[0] != "apple" {
			t.Fatalf("cart %v", got["cart"])
		}
	})

	t.Run("Rotation", func(t *testing.T) {
		hdr := nodeWrite(t, "old secret", map[string]string{"user": "carol"}, nil)
		var user string
		hdr2 := goRound(t, m, hdr, func(s *sesh.Session) { user, _ = sesh.Get[string](s, "user") })
		if user != "carol" {
			t.Fatalf("Go with an old-secret cookie read user %q", user)
		}
		if hdr2 == hdr {
			t.Fatal("a cookie opened with an old secret was not re-signed with the current one")
		}
		if got := nodeRead(t, "new secret", hdr2, "user"); got["user"] != "carol" {
			t.Fatalf("Remix with only the new secret read Go's re-signed cookie as %v", got)
		}
		// A secret neither side knows any more: an empty session.
		gone := nodeWrite(t, "retired secret", map[string]string{"user": "mallory"}, nil)
		s, err := m.Load(context.Background(), gone)
		if err != nil || s.Len() != 0 {
			t.Fatalf("a cookie signed with an unknown secret: %d values, %v", s.Len(), err)
		}
	})
}
