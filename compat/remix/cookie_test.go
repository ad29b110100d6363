package remix

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/cookie"
	"github.com/sesh-go/sesh/internal/nodepeer"
)

func mustCookieSigner(t testing.TB, secrets ...string) *Signer {
	t.Helper()
	var b [][]byte
	for _, s := range secrets {
		b = append(b, []byte(s))
	}
	s, err := NewSignerWith(SecretOptions{AllowShortSecrets: true}, b...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustCookie[T any](t testing.TB, name string, opts cookie.Options, s *Signer) *cookie.Typed[T] {
	t.Helper()
	c, err := NewCookie[T](name, opts, s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pairOf(line string) string {
	if i := strings.IndexByte(line, ';'); i >= 0 {
		return line[:i]
	}
	return line
}

// Set-Cookie lines computed with Remix v2's createCookie under Node 20
// (reference notes), reproduced byte for byte, and read back.
func TestCookieVectors(t *testing.T) {
	type hello struct {
		Hello string `json:"hello"`
	}
	c := mustCookie[hello](t, "my-cookie", cookie.Options{}, mustCookieSigner(t, "secret1"))
	line, err := c.Serialize(hello{"mjackson"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "my-cookie=eyJoZWxsbyI6Im1qYWNrc29uIn0%3D.MhdrGeaXZvqV2Ma1z0HlR22HKPsv5xbLn3%2B8XuPWj%2BU; Path=/; SameSite=Lax"; line != want {
		t.Fatalf("Serialize =\n%s\nwant\n%s", line, want)
	}
	if v, stale, ok := c.ReadHeader(pairOf(line)); !ok || stale || v.Hello != "mjackson" {
		t.Fatalf("read back %+v stale=%v ok=%v", v, stale, ok)
	}

	null := mustCookie[*string](t, "my-cookie", cookie.Options{}, mustCookieSigner(t, "secret1"))
	if line, _ := null.Serialize(nil); line != "my-cookie=bnVsbA%3D%3D.EeXhsmp0UtqHGt4rVQjnFy8SQsjF8S2xFE5ZnJ4FLUY; Path=/; SameSite=Lax" {
		t.Fatalf("null: %s", line)
	}

	all := mustCookie[int](t, "c", cookie.Options{HttpOnly: true, Secure: true, MaxAge: 3600, Domain: "example.com", Path: "/app",
		SameSite: cookie.SameSiteStrict, Priority: cookie.PriorityHigh, Partitioned: true}, mustCookieSigner(t, "s"))
	if line, _ := all.Serialize(1); line != "c=MQ%3D%3D.SAt2n%2BZ4rtVASY0wrNTqLTuo%2BoPEOh3%2BnHU88%2Fx1GxU; Max-Age=3600; Domain=example.com; Path=/app; HttpOnly; Secure; Partitioned; Priority=High; SameSite=Strict" {
		t.Fatalf("all attributes: %s", line)
	}

	opts := cookie.Options{HttpOnly: true, Secure: true}
	id := mustCookie[string](t, "__session", opts, mustCookieSigner(t, "s3cr3t"))
	const idValue = "__session=IjAxMjM0NTY3ODlhYmNkZWYi.PCyAmkvqqQJNQ7UMzWFVYtGWrV2Ri%2Bt8aeKpCdQUKdU"
	for _, tc := range []struct {
		opts cookie.Options
		want string
	}{
		{opts, idValue + "; Path=/; HttpOnly; Secure; SameSite=Lax"},
		{cookie.Options{HttpOnly: true, Secure: true, MaxAge: 3600}, idValue + "; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax"},
		{cookie.Options{HttpOnly: true, Secure: true, Expires: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},
			idValue + "; Path=/; Expires=Wed, 02 Jan 2030 03:04:05 GMT; HttpOnly; Secure; SameSite=Lax"},
	} {
		if line, err := id.SerializeWith("0123456789abcdef", tc.opts); err != nil || line != tc.want {
			t.Errorf("SerializeWith(%+v) =\n%s\nwant\n%s (%v)", tc.opts, line, tc.want, err)
		}
	}
	if v, ok := id.ParseHeader(idValue); !ok || v != "0123456789abcdef" {
		t.Fatalf("id cookie reads %q %v", v, ok)
	}
	if v, ok := id.ParseHeader(`__session="` + idValue[len("__session="):] + `"`); !ok || v != "0123456789abcdef" {
		t.Fatalf("quoted id cookie reads %q %v", v, ok)
	}
}

func TestCookieRefusals(t *testing.T) {
	s := mustCookieSigner(t, "secret1")
	c := mustCookie[string](t, "c", cookie.Options{}, s)
	b64 := func(js string) string { return base64.StdEncoding.EncodeToString([]byte(js)) }
	for name, value := range map[string]string{
		"empty (Remix's unsigned empty string)": "",
		"no signature":                          b64(`"x"`),
		"other secret":                          cookie.Escape(mustCookieSigner(t, "other").s.Sign(b64(`"x"`))),
		// Signed with the right secret, but not what a Remix writer emits:
		"unpadded payload":     cookie.Escape(s.s.Sign(strings.TrimRight(b64(`"ab"`), "="))), // "ImFiIg==" without its padding
		"payload with LF":      cookie.Escape(s.s.Sign(b64(`"x"`)[:2] + "\n" + b64(`"x"`)[2:])),
		"invalid UTF-8":        cookie.Escape(s.s.Sign(b64("\"\xff\""))),
		"JSON of another type": cookie.Escape(s.s.Sign(b64(`{"a":1}`))),
		"padded signature":     cookie.Escape(s.s.Sign(b64(`"x"`)) + "="),
	} {
		if v, ok := c.ParseHeader("c=" + value); ok {
			t.Errorf("%s: read as %q", name, v)
		}
	}
	// Non-zero trailing bits in the payload: "Ing=" is the canonical
	// base64 of `"x`; "Inh=" has the same bytes and a set trailing bit.
	if got, _ := base64.StdEncoding.DecodeString("Inh="); string(got) != `"x` {
		t.Fatalf("test vector: %q", got)
	}
	if _, _, err := s.Decode(s.s.Sign("Inh=")); err == nil {
		t.Fatal("payload with trailing bits accepted")
	}
	if p, _, err := s.Decode(s.s.Sign("Ing=")); err != nil || string(p) != `"x` {
		t.Fatalf("canonical payload: %q %v", p, err)
	}
	// Remix does not bind the name, and neither can this format: a value
	// for one cookie reads as another signed with the same secrets.
	line, _ := c.Serialize("admin")
	other := mustCookie[string](t, "role", cookie.Options{}, s)
	if v, ok := other.ParseHeader("role=" + pairOf(line)[len("c="):]); !ok || v != "admin" {
		t.Fatalf("the documented cross-name reading does not hold: %q %v", v, ok)
	}
	// An empty string is written signed.
	if line, _ := c.Serialize(""); !strings.HasPrefix(line, "c=IiI%3D.") {
		t.Fatalf("empty string: %s", line)
	}
	if _, err := NewCookie[string]("c", cookie.Options{}, nil); err == nil {
		t.Fatal("nil Signer accepted")
	}
}

func TestCookieRotation(t *testing.T) {
	old := mustCookie[string](t, "c", cookie.Options{}, mustCookieSigner(t, "old"))
	rot := mustCookie[string](t, "c", cookie.Options{}, mustCookieSigner(t, "new", "old"))
	line, _ := old.Serialize("v")
	if v, stale, ok := rot.ReadHeader(pairOf(line)); !ok || !stale || v != "v" {
		t.Fatalf("old-secret value: %q stale=%v ok=%v", v, stale, ok)
	}
	line, _ = rot.Serialize("v")
	if _, stale, ok := rot.ReadHeader(pairOf(line)); !ok || stale {
		t.Fatalf("current value: stale=%v ok=%v", stale, ok)
	}
}

// TestShortSecretWarning: a secret under 32 bytes is accepted with one
// warning, which never carries the secret; AllowShortSecrets silences it.
func TestShortSecretWarning(t *testing.T) {
	const secret = "x-short-secret-do-not-log"
	long := bytes.Repeat([]byte("k"), MinSecretLen)
	logTo := func(buf *bytes.Buffer) *slog.Logger { return slog.New(slog.NewTextHandler(buf, nil)) }

	var buf bytes.Buffer
	if _, err := NewSignerWith(SecretOptions{Logger: logTo(&buf)}, long, []byte(secret)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, "level=WARN") || !strings.Contains(out, "secret_index=[1]") {
		t.Fatalf("warning: %q", out)
	}
	if strings.Contains(out, secret) || strings.Contains(out, "short-secret") || strings.Contains(out, string(long)) {
		t.Fatalf("the warning shows a secret: %q", out)
	}

	buf.Reset()
	cfg := sesh.Config{}
	if err := ConfigureWith(&cfg, SecretOptions{Logger: logTo(&buf), AllowShortSecrets: true}, []byte(secret)); err != nil {
		t.Fatal(err)
	}
	if _, err := NewIDCookieWith(SecretOptions{Logger: logTo(&buf), AllowShortSecrets: true}, []byte(secret)); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSignerWith(SecretOptions{Logger: logTo(&buf)}, long); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Fatalf("silenced or long secrets logged %q", buf.String())
	}

	// The functions without options log to slog.Default.
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	slog.SetDefault(logTo(&buf))
	cfg = sesh.Config{}
	if err := Configure(&cfg, []byte(secret)); err != nil {
		t.Fatal(err)
	}
	if err := ConfigureIDStorage(&sesh.Config{}, mustFileStore(t), []byte("also short")); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(buf.String(), "secret_index=[0]"); got != 2 || strings.Contains(buf.String(), secret) {
		t.Fatalf("default logger: %q", buf.String())
	}
}

func mustFileStore(t *testing.T) *FileStore {
	t.Helper()
	fs, err := NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

type peerPrefs struct {
	Theme string   `json:"theme"`
	Lang  string   `json:"lang"`
	HTML  string   `json:"html"`
	N     int      `json:"n"`
	Tags  []string `json:"tags"`
}

// nodeCookie runs createCookie(name, options) in @remix-run/node.
func nodeCookie(t *testing.T, cmd, name string, options map[string]any, arg string) string {
	t.Helper()
	ob, _ := json.Marshal(options)
	return nodepeer.Run(t, peerDir, "peer.js", cmd, name, string(ob), arg)
}

func nodeCookieRead(t *testing.T, name string, options map[string]any, header string) json.RawMessage {
	t.Helper()
	var out struct{ Value json.RawMessage }
	if raw := nodeCookie(t, "cookie-read", name, options, header); json.Unmarshal([]byte(raw), &out) != nil {
		t.Fatalf("Remix read: %q", raw)
	}
	return out.Value
}

// TestRemixCookiePeer checks NewCookie against the real @remix-run/node
// createCookie, both ways: byte-identical Set-Cookie lines, values read on
// either side, rotation, and the documented empty-string difference.
func TestRemixCookiePeer(t *testing.T) {
	v := peerPrefs{Theme: "dark", Lang: "日本語 😀", HTML: "<a href='x'>&amp;</a>", N: 3, Tags: []string{"a+b", "c/d"}}
	js, _ := json.Marshal(v)
	nodeOpts := map[string]any{"secrets": []string{"new secret"}, "httpOnly": true, "maxAge": 3600}
	goCookie := mustCookie[peerPrefs](t, "prefs", cookie.Options{HttpOnly: true, MaxAge: 3600}, mustCookieSigner(t, "new secret", "old secret"))

	t.Run("SameBytes", func(t *testing.T) {
		nodeLine := nodeCookie(t, "cookie-write", "prefs", nodeOpts, string(js))
		goLine, err := goCookie.Serialize(v)
		if err != nil {
			t.Fatal(err)
		}
		if goLine != nodeLine {
			t.Fatalf("Set-Cookie differs:\nGo:   %s\nNode: %s", goLine, nodeLine)
		}
	})

	t.Run("RemixWritesGoReads", func(t *testing.T) {
		w := peerPrefs{Theme: "light", Lang: "fr", HTML: "\u2028", N: -7}
		wb, _ := json.Marshal(w)
		line := nodeCookie(t, "cookie-write", "prefs", nodeOpts, string(wb))
		got, stale, ok := goCookie.ReadHeader(pairOf(line))
		if !ok || stale || got.Theme != w.Theme || got.HTML != w.HTML || got.N != w.N {
			t.Fatalf("Go read %+v stale=%v ok=%v from %s", got, stale, ok, line)
		}
	})

	t.Run("GoWritesRemixReads", func(t *testing.T) {
		line, _ := goCookie.Serialize(v)
		var got peerPrefs
		if raw := nodeCookieRead(t, "prefs", nodeOpts, pairOf(line)); json.Unmarshal(raw, &got) != nil ||
			got.Theme != v.Theme || got.Lang != v.Lang || got.HTML != v.HTML || got.N != v.N || len(got.Tags) != 2 {
			t.Fatalf("Remix read %s", raw)
		}
		// Another secret: Remix reads null.
		if raw := nodeCookieRead(t, "prefs", map[string]any{"secrets": []string{"other"}}, pairOf(line)); string(raw) != "null" {
			t.Fatalf("Remix with another secret read %s", raw)
		}
	})

	t.Run("Rotation", func(t *testing.T) {
		line := nodeCookie(t, "cookie-write", "prefs", map[string]any{"secrets": []string{"old secret"}}, string(js))
		got, stale, ok := goCookie.ReadHeader(pairOf(line))
		if !ok || !stale || got.Lang != v.Lang {
			t.Fatalf("old-secret value: %+v stale=%v ok=%v", got, stale, ok)
		}
		again, _ := goCookie.Serialize(got)
		if raw := nodeCookieRead(t, "prefs", nodeOpts, pairOf(again)); !bytes.Contains(raw, []byte(`"theme":"dark"`)) {
			t.Fatalf("Remix with only the new secret read %s", raw)
		}
	})

	t.Run("EmptyString", func(t *testing.T) {
		s := mustCookie[string](t, "e", cookie.Options{}, mustCookieSigner(t, "new secret"))
		opts := map[string]any{"secrets": []string{"new secret"}}
		// Remix writes "" unsigned; Go reads that as absent.
		line := nodeCookie(t, "cookie-write", "e", opts, `""`)
		if pairOf(line) != "e=" {
			t.Fatalf("Remix wrote %q", line)
		}
		if v, ok := s.ParseHeader(pairOf(line)); ok {
			t.Fatalf("Go read Remix's unsigned empty value as %q", v)
		}
		// Go writes "" signed; Remix reads "".
		goLine, _ := s.Serialize("")
		if raw := nodeCookieRead(t, "e", opts, pairOf(goLine)); string(raw) != `""` {
			t.Fatalf("Remix read Go's empty string as %s", raw)
		}
	})
}

// Allocation bound for Parse of a Remix cookie, for inputs up to 64 KB:
// cookie.Values costs at most 7 bytes per header byte (16 bytes of string
// header per value of at least 3 bytes, plus percent-decoded copies; see
// cookie/alloc_test.go), each value's payload decodes to 3/4 of its
// length, and HMAC states are pooled (under the race detector the pool
// drops some, hence raceHMACPerByte).
const remixAllocK = 7 + 1

func allocBytes(f func()) uint64 {
	best := ^uint64(0)
	var a, b runtime.MemStats
	for range 3 {
		runtime.ReadMemStats(&a)
		f()
		runtime.ReadMemStats(&b)
		best = min(best, b.TotalAlloc-a.TotalAlloc)
	}
	return best
}

func FuzzCookieParse(f *testing.F) {
	s := mustCookieSigner(f, "secret1", "old")
	c := mustCookie[peerPrefs](f, "p", cookie.Options{}, s)
	line, _ := c.Serialize(peerPrefs{Theme: "dark", Tags: []string{"x"}})
	big, _ := c.Serialize(peerPrefs{Theme: strings.Repeat("t", 2000)})
	one := pairOf(line)
	for _, seed := range []string{one, pairOf(big), "", "p=", "p=.", "p=e30%3D.x", "p=" + s.s.Sign("e30="),
		strings.Repeat(one+"; ", 64<<10/(len(one)+2)), strings.Repeat("p=%41.", 10000)} {
		f.Add(seed)
	}
	cur := mustCookieSigner(f, "secret1")
	old := mustCookieSigner(f, "old")
	f.Fuzz(func(t *testing.T, header string) {
		v, ok := c.ParseHeader(header)
		if ok {
			// Read: some value of the header is exactly what one of the
			// secrets signs for v's JSON as Go or Remix wrote it.
			found := false
			for _, raw := range cookie.Values([]string{header}, "p") {
				b64 := raw[:max(strings.LastIndexByte(raw, '.'), 0)]
				if cur.s.Sign(b64) == raw || old.s.Sign(b64) == raw {
					found = true
				}
			}
			if !found {
				t.Fatalf("read %+v from %q, which no secret signed", v, header)
			}
		}
		if len(header) <= 64<<10 {
			limit := uint64(remixAllocK+raceHMACPerByte)*uint64(len(header)) + 8<<10
			if got := allocBytes(func() { c.ParseHeader(header) }); got > limit {
				t.Fatalf("ParseHeader allocated %d bytes for %d bytes of input (bound %d)", got, len(header), limit)
			}
		}
	})
}
