package remix

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

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

// nodeEnv runs one peer.js command with extra environment (FILE_DIR,
// REMIX_COOKIE).
func nodeEnv(t *testing.T, env []string, args ...string) string {
	t.Helper()
	return nodepeer.RunEnv(t, peerDir, env, append([]string{"peer.js"}, args...)...)
}

// remixMirror is a Manager whose cookie attributes are peer.js's: HttpOnly,
// SameSite=Lax, Path=/, no Secure.
func remixMirror(t *testing.T, store sesh.Store, mod func(*sesh.Config), secrets ...string) *sesh.Manager {
	t.Helper()
	var cfg sesh.Config
	var err error
	if store == nil {
		err = ConfigureWith(&cfg, SecretOptions{AllowShortSecrets: true}, bytesOf(secrets)...)
	} else {
		err = ConfigureIDStorageWith(&cfg, store, SecretOptions{AllowShortSecrets: true}, bytesOf(secrets)...)
	}
	if err != nil {
		t.Fatal(err)
	}
	cfg.Cookie.Secure = sesh.SecureNever
	if mod != nil {
		mod(&cfg)
	}
	m, err := sesh.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// attrsOf is a Set-Cookie line without its name=value.
func attrsOf(line string) string {
	if i := strings.IndexByte(line, ';'); i >= 0 {
		return line[i:]
	}
	return ""
}

// TestRemixPeerDestroyBytes: Go's destroy line is byte for byte Remix's
// destroySession line, for the cookie storage and for the file storage's
// ID cookie, with and without a maxAge on the cookie.
func TestRemixPeerDestroyBytes(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		file   bool
		maxAge bool
	}{{"cookie", false, false}, {"cookie maxAge", false, true}, {"file", true, false}, {"file maxAge", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			env := []string{`REMIX_COOKIE={"maxAge":null}`}
			mod := func(c *sesh.Config) {}
			if tc.maxAge {
				env = []string{`REMIX_COOKIE={"maxAge":3600}`}
				mod = func(c *sesh.Config) { c.Cookie.MaxAge = time.Hour }
			}
			var store sesh.Store
			if tc.file {
				dir := t.TempDir()
				env = append(env, "FILE_DIR="+dir)
				fs, err := NewFileStore(dir)
				if err != nil {
					t.Fatal(err)
				}
				store = fs
			}
			m := remixMirror(t, store, mod, "s3cr3t")
			remix := nodeEnv(t, env, "destroy", "s3cr3t", pairOf(nodeEnv(t, env, "write", "s3cr3t", `{"user":"bob"}`, `{}`)))
			s, err := m.Load(ctx, pairOf(nodeEnv(t, env, "write", "s3cr3t", `{"user":"bob"}`, `{}`)))
			if err != nil {
				t.Fatal(err)
			}
			if u, _ := sesh.Get[string](s, "user"); u != "bob" {
				t.Fatalf("Go read user %q", u)
			}
			goLine, err := m.Destroy(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			if goLine != remix {
				t.Fatalf("destroy line differs:\nGo:   %s\nNode: %s", goLine, remix)
			}
		})
	}
}

// TestRemixPeerLargestSession: the largest session Remix's cookie storage
// commits still commits from Go after a one-key change (sesh adds no bytes
// it does not need), and Remix reads Go's cookie; a smaller one gets only
// sesh's first-seen time as metadata, which Remix carries along.
func TestRemixPeerLargestSession(t *testing.T) {
	m := remixMirror(t, nil, nil, "s3cr3t")
	var out struct {
		SetCookie string
		Fill      int
	}
	raw := nodeEnv(t, nil, "write-max", "s3cr3t", `{"user":"alice"}`, "big")
	if err := json.Unmarshal([]byte(raw), &out); err != nil || out.Fill < 2000 {
		t.Fatalf("write-max: %q, %v", raw, err)
	}
	if len(out.SetCookie) > 4096 || len(out.SetCookie) < 4096-12 { // a byte more of data can add several escaped characters
		t.Fatalf("Remix's largest line is %d bytes", len(out.SetCookie))
	}
	var big string
	hdr := nodepeer.Serve(t, m, pairOf(out.SetCookie), func(s *sesh.Session) {
		big, _ = sesh.Get[string](s, "big")
		s.Set("user", "bobby")
	})
	if len(big) != out.Fill || hdr == pairOf(out.SetCookie) {
		t.Fatalf("Go read %d bytes of big (want %d); new cookie: %v", len(big), out.Fill, hdr != pairOf(out.SetCookie))
	}
	if p := payloadOf(t, hdr); strings.Contains(p, metaKey) {
		t.Fatalf("Go's cookie carries metadata it has no room for: …%s", p[len(p)-60:])
	}
	got := nodeRead(t, "s3cr3t", hdr, "user", "big")
	if got["user"] != "bobby" || got["big"] != big {
		t.Fatalf("Remix read user %v and %d bytes of big", got["user"], len(fmt.Sprint(got["big"])))
	}

	// With room: the first-seen time, and nothing else, is added.
	hdr = nodepeer.Serve(t, m, nodeWrite(t, "s3cr3t", map[string]string{"user": "alice"}, nil), func(s *sesh.Session) { s.Set("user", "bobby") })
	var data map[string]json.RawMessage
	if err := json.Unmarshal([]byte(payloadOf(t, hdr)), &data); err != nil {
		t.Fatal(err)
	}
	if meta := string(data[metaKey]); !regexp.MustCompile(`^\{"c":\d{13}\}$`).MatchString(meta) {
		t.Fatalf("metadata %s, want only the first-seen time", meta)
	}
	// Remix carries it along on its own commit.
	hdr = pairOf(nodeEnv(t, nil, "rewrite", "s3cr3t", hdr, `{"theme":"dark"}`))
	json.Unmarshal([]byte(payloadOf(t, hdr)), &data)
	if _, ok := data[metaKey]; !ok || string(data["theme"]) != `"dark"` {
		t.Fatalf("after Remix's commit: %s", payloadOf(t, hdr))
	}
}

// payloadOf is the JSON a Remix cookie header carries (unverified).
func payloadOf(t *testing.T, header string) string {
	t.Helper()
	v := unescape(t, header[strings.IndexByte(header, '=')+1:])
	b, err := base64.StdEncoding.DecodeString(v[:strings.LastIndexByte(v, '.')])
	if err != nil {
		t.Fatalf("payload of %q: %v", header, err)
	}
	return string(b)
}

// TestRemixPeerCookieExpires: with Remix's createCookie({expires}) on both
// sides, Go's commits carry the same fixed Expires as Remix's, for a
// session either side created, in the cookie and the file storage.
func TestRemixPeerCookieExpires(t *testing.T) {
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	for _, file := range []bool{false, true} {
		t.Run(map[bool]string{false: "cookie", true: "file"}[file], func(t *testing.T) {
			env := []string{`REMIX_COOKIE={"expires":"` + exp.Format(time.RFC3339) + `","maxAge":null}`}
			var store sesh.Store
			if file {
				dir := t.TempDir()
				env = append(env, "FILE_DIR="+dir)
				fs, err := NewFileStore(dir)
				if err != nil {
					t.Fatal(err)
				}
				store = fs
			}
			m := remixMirror(t, store, func(c *sesh.Config) { c.Cookie.Expires = exp }, "s3cr3t")
			remixLine := nodeEnv(t, env, "write", "s3cr3t", `{"user":"bob"}`, `{}`)
			if !strings.Contains(remixLine, "; Expires="+exp.Format(http.TimeFormat)+";") {
				t.Fatalf("Remix wrote %q", remixLine)
			}
			ctx := context.Background()
			s, err := m.Load(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			s.Set("user", "alice")
			goLine, err := m.Commit(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			if attrsOf(goLine) != attrsOf(remixLine) {
				t.Fatalf("Go's new session: attributes differ:\nGo:   %s\nNode: %s", attrsOf(goLine), attrsOf(remixLine))
			}
			if file {
				return // a server-side session's cookie is not sent again on a change
			}
			s, err = m.Load(ctx, pairOf(remixLine))
			if err != nil {
				t.Fatal(err)
			}
			s.Set("user", "carol")
			goLine, err = m.Commit(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			if attrsOf(goLine) != attrsOf(remixLine) {
				t.Fatalf("Go's commit of Remix's session: attributes differ:\nGo:   %s\nNode: %s", attrsOf(goLine), attrsOf(remixLine))
			}
			if got := nodeEnv(t, env, "read", "s3cr3t", pairOf(goLine), "user"); !strings.Contains(got, `"user":"carol"`) {
				t.Fatalf("Remix read %s", got)
			}
		})
	}
}
