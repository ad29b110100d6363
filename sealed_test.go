package sesh_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/cookie"
)

var (
	key1 = cookie.Key{ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef")}
	key2 = cookie.Key{ID: "k2", Secret: []byte("fedcba9876543210fedcba9876543210")}
)

// countingCodec counts Decode calls: a sealed cookie that fails to
// authenticate must never reach it.
type countingCodec struct {
	sesh.JSONCodec
	decodes atomic.Int64
}

func (c *countingCodec) Decode(b []byte, d *sesh.Data) error {
	c.decodes.Add(1)
	return c.JSONCodec.Decode(b, d)
}

type sealedEnv struct {
	clock *fakeClock
	m     *sesh.Manager
	codec *countingCodec
	logs  *syncBuffer
}

func newSealed(t *testing.T, keys []cookie.Key, mod func(*sesh.Config)) *sealedEnv {
	t.Helper()
	sealer, err := cookie.NewSealer(keys...)
	must(t, err)
	e := &sealedEnv{clock: newClock(), codec: &countingCodec{}, logs: &syncBuffer{}}
	cfg := sesh.Config{Sealer: sealer, Now: e.clock.Now, Codec: e.codec,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if mod != nil {
		mod(&cfg)
	}
	m, err := sesh.New(cfg)
	must(t, err)
	e.m = m
	return e
}

func TestSealedRoundTripValueTypes(t *testing.T) {
	e := newSealed(t, []cookie.Key{key1}, nil)
	type inner struct {
		When  time.Time         `json:"when"`
		Tags  []string          `json:"tags"`
		Attrs map[string]string `json:"attrs"`
		Ptr   *int              `json:"ptr"`
	}
	n := 7
	when := time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC)
	values := map[string]any{
		"str": "héllo 日本 \"quoted\" <tag>", "int": 42, "neg": -1.5, "big": int64(1) << 53, "bool": true,
		"null": nil, "bytes": []byte{0, 1, 254, 255}, "slice": []int{1, 2, 3},
		"struct": inner{When: when, Tags: []string{"a"}, Attrs: map[string]string{"k": "v"}, Ptr: &n},
	}
	ctx := context.Background()
	s, err := e.m.Load(ctx, "")
	must(t, err)
	for k, v := range values {
		must(t, s.Set(k, v))
	}
	sc, err := e.m.Commit(ctx, s)
	must(t, err)
	if strings.Contains(sc, "hello") || strings.Contains(sc, "quoted") {
		t.Fatal("plaintext visible in the cookie")
	}
	s2, err := e.m.Load(ctx, sc[:strings.IndexByte(sc, ';')])
	must(t, err)
	if s2.Status() != sesh.StatusUnmodified {
		t.Fatalf("status %v", s2.Status())
	}
	if v, _ := sesh.Get[string](s2, "str"); v != values["str"] {
		t.Errorf("str = %q", v)
	}
	if v, _ := sesh.Get[int](s2, "int"); v != 42 {
		t.Errorf("int = %v", v)
	}
	if v, _ := sesh.Get[float64](s2, "neg"); v != -1.5 {
		t.Errorf("neg = %v", v)
	}
	if v, _ := sesh.Get[int64](s2, "big"); v != 1<<53 {
		t.Errorf("big = %v", v)
	}
	if v, _ := sesh.Get[bool](s2, "bool"); !v {
		t.Errorf("bool = %v", v)
	}
	if v, ok := s2.Get("null"); !ok || v != nil {
		t.Errorf("null = %v %v", v, ok)
	}
	if v, _ := sesh.Get[[]byte](s2, "bytes"); !bytes.Equal(v, []byte{0, 1, 254, 255}) {
		t.Errorf("bytes = %v", v)
	}
	if v, _ := sesh.Get[[]int](s2, "slice"); fmt.Sprint(v) != "[1 2 3]" {
		t.Errorf("slice = %v", v)
	}
	got, _ := sesh.Get[inner](s2, "struct")
	if !got.When.Equal(when) || got.Tags[0] != "a" || got.Attrs["k"] != "v" || *got.Ptr != 7 {
		t.Errorf("struct = %+v", got)
	}
}

// sealedValue returns a valid sealed session cookie value with user alice.
func sealedValue(t *testing.T, e *sealedEnv) string {
	t.Helper()
	ctx := context.Background()
	s, err := e.m.Load(ctx, "")
	must(t, err)
	must(t, s.Set("user", "alice"))
	sc, err := e.m.Commit(ctx, s)
	must(t, err)
	c, err := http.ParseSetCookie(sc)
	must(t, err)
	return c.Value
}

func TestSealedTamperingGivesEmptySession(t *testing.T) {
	e := newSealed(t, []cookie.Key{key1}, nil)
	v := sealedValue(t, e)
	h := e.m.Handler(http.HandlerFunc(whoami))
	if got := do(h, "GET", "/", cn+"="+v).Body.String(); got != "alice" {
		t.Fatalf("valid cookie reads %q", got)
	}
	b64 := v[strings.LastIndexByte(v, '.')+1:]
	raw, err := base64.RawURLEncoding.DecodeString(b64)
	must(t, err)
	prefix := v[:len(v)-len(b64)]
	var variants []string
	for i := range raw { // flip a bit in every byte: nonce, ciphertext, tag
		r := bytes.Clone(raw)
		r[i] ^= 0x01
		variants = append(variants, prefix+base64.RawURLEncoding.EncodeToString(r))
	}
	for i := range len(prefix) - 1 { // and in the version and key ID
		b := []byte(v)
		b[i] ^= 0x01
		variants = append(variants, string(b))
	}
	variants = append(variants,
		v[:len(v)-1], v[:len(v)/2], v+"A", v+"AAAA", v+"=", v+"==", "", ".", "v1..",
		strings.Replace(v, "v1.", "v2.", 1), strings.Replace(v, ".k1.", ".k9.", 1),
		prefix+base64.StdEncoding.EncodeToString(raw), prefix+base64.RawStdEncoding.EncodeToString(raw),
		v+"."+b64, "v1.k1", strings.Repeat("A", 5000),
	)
	e.codec.decodes.Store(0)
	for i, bad := range variants {
		w := do(h, "GET", "/", cn+"="+bad)
		if w.Code != 200 || w.Body.String() != "" {
			t.Fatalf("variant %d: code %d body %q", i, w.Code, w.Body.String())
		}
	}
	if n := e.codec.decodes.Load(); n != 0 {
		t.Fatalf("the codec decoded %d unauthenticated payloads", n)
	}
	if strings.Contains(e.logs.String(), v[10:30]) {
		t.Fatal("a sealed value fragment reached the logs")
	}
}

func TestSealedCookieSwapping(t *testing.T) {
	a := newSealed(t, []cookie.Key{key1}, func(c *sesh.Config) { c.Cookie.Name = "a" })
	b := newSealed(t, []cookie.Key{key1}, func(c *sesh.Config) { c.Cookie.Name = "b" })
	ctx := context.Background()
	s, _ := a.m.Load(ctx, "")
	must(t, s.Set("user", "alice"))
	sc, err := a.m.Commit(ctx, s)
	must(t, err)
	c, _ := http.ParseSetCookie(sc)
	s2, err := b.m.Load(ctx, "b="+c.Value)
	must(t, err)
	if s2.Has("user") || s2.Status() != sesh.StatusNew {
		t.Fatal("a value sealed for cookie a opened as cookie b")
	}
	s3, _ := a.m.Load(ctx, "a="+c.Value)
	if !s3.Has("user") {
		t.Fatal("control: cookie a does not open as a")
	}
}

func TestSealedKeyRotation(t *testing.T) {
	old := newSealed(t, []cookie.Key{key1}, nil)
	v := sealedValue(t, old)
	rotated := newSealed(t, []cookie.Key{key2, key1}, nil)
	h := rotated.m.Handler(http.HandlerFunc(whoami))
	w := do(h, "GET", "/", cn+"="+v)
	if w.Body.String() != "alice" {
		t.Fatalf("old-key cookie under rotation reads %q", w.Body.String())
	}
	nv := cookieValue(t, w.Header(), cn)
	if !strings.HasPrefix(nv, "v1.k2.") {
		t.Fatalf("not re-sealed with the current key: %.10s…", nv)
	}
	if got := do(h, "GET", "/", cn+"="+nv).Body.String(); got != "alice" {
		t.Fatalf("re-sealed cookie reads %q", got)
	}
	// Once k1 is removed, its cookies are refused.
	removed := newSealed(t, []cookie.Key{key2}, nil)
	if got := do(removed.m.Handler(http.HandlerFunc(whoami)), "GET", "/", cn+"="+v).Body.String(); got != "" {
		t.Fatalf("cookie under a removed key reads %q", got)
	}
}

func TestSealedDeadlines(t *testing.T) {
	e := newSealed(t, []cookie.Key{key1}, func(c *sesh.Config) {
		c.IdleTimeout = 30 * time.Minute
		c.AbsoluteTimeout = 2 * time.Hour
	})
	h := routes(e.m)
	c := cookieValue(t, do(h, "GET", "/login").Header(), cn)
	// Idle: the browser still sends the cookie, but the seal says it is over.
	e.clock.Advance(31 * time.Minute)
	if got := do(h, "GET", "/me", cn+"="+c).Body.String(); got != "" {
		t.Fatalf("idle-expired sealed cookie reads %q", got)
	}
	// Active every 20 minutes: the seal is renewed, until the absolute deadline.
	c = cookieValue(t, do(h, "GET", "/login").Header(), cn)
	for range 5 {
		e.clock.Advance(20 * time.Minute)
		w := do(h, "GET", "/me", cn+"="+c)
		if w.Body.String() != "alice" {
			t.Fatalf("active session lost: %q", w.Body.String())
		}
		if lines := sessionCookies(w.Header(), cn); len(lines) == 1 {
			c = cookieValue(t, w.Header(), cn)
		}
	}
	e.clock.Advance(25 * time.Minute) // 125 minutes after sign-in
	if got := do(h, "GET", "/me", cn+"="+c).Body.String(); got != "" {
		t.Fatalf("past the absolute deadline: %q", got)
	}
}

func TestSealedLifecycle(t *testing.T) {
	e := newSealed(t, []cookie.Key{key1}, nil)
	h := routes(e.m)
	anon := cookieValue(t, do(h, "GET", "/count").Header(), cn)
	w := do(h, "GET", "/login", cn+"="+anon)
	in := cookieValue(t, w.Header(), cn)
	if in == anon {
		t.Fatal("sign-in did not change the cookie")
	}
	if got := do(h, "GET", "/count", cn+"="+in).Body.String(); got != "2" {
		t.Fatalf("data lost across Regenerate: %q", got)
	}
	w = do(h, "GET", "/logout", cn+"="+in)
	lines := sessionCookies(w.Header(), cn)
	if len(lines) != 1 || !strings.Contains(lines[0], "Max-Age=0") {
		t.Fatalf("logout cookie %q", lines)
	}
	// Flash and per-value TTL behave as with a store.
	fh := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		switch r.URL.Path {
		case "/set":
			must(t, s.Flash("msg", "hi"))
			must(t, s.SetTTL("otp", "1", time.Minute))
		default:
			m, _ := sesh.Get[string](s, "msg")
			fmt.Fprintf(w, "%s|%v", m, s.Has("otp"))
		}
	}))
	c := cookieValue(t, do(fh, "GET", "/set").Header(), cn)
	w = do(fh, "GET", "/get", cn+"="+c)
	if w.Body.String() != "hi|true" {
		t.Fatalf("first read %q", w.Body.String())
	}
	c = cookieValue(t, w.Header(), cn)
	e.clock.Advance(2 * time.Minute)
	if got := do(fh, "GET", "/get", cn+"="+c).Body.String(); got != "|false" {
		t.Fatalf("second read %q", got)
	}
}

func TestSealedRevocation(t *testing.T) {
	var mu sync.Mutex
	notBefore := map[string]time.Time{}
	e := newSealed(t, []cookie.Key{key1}, func(c *sesh.Config) {
		c.Revoked = func(ctx context.Context, m sesh.Meta) (bool, error) {
			mu.Lock()
			defer mu.Unlock()
			nb, ok := notBefore[m.UserID]
			return ok && m.SignedIn.Before(nb), nil
		}
	})
	mux := http.NewServeMux()
	mux.HandleFunc("/login", login)
	mux.HandleFunc("/me", whoami)
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		mu.Lock()
		notBefore[s.Meta().UserID] = e.clock.Now().Add(time.Millisecond)
		mu.Unlock()
		s.Destroy()
	})
	h := e.m.Handler(mux)
	stolen := cookieValue(t, do(h, "GET", "/login").Header(), cn)
	e.clock.Advance(time.Second)
	do(h, "GET", "/logout", cn+"="+stolen)
	e.clock.Advance(time.Second)
	if got := do(h, "GET", "/me", cn+"="+stolen).Body.String(); got != "" {
		t.Fatalf("replayed cookie after logout reads %q", got)
	}
	// Signing in again works.
	fresh := cookieValue(t, do(h, "GET", "/login").Header(), cn)
	if got := do(h, "GET", "/me", cn+"="+fresh).Body.String(); got != "alice" {
		t.Fatalf("new sign-in reads %q", got)
	}
	// Without the hook, the replay would have worked: the docs say so.
	plain := newSealed(t, []cookie.Key{key1}, nil)
	ph := routes(plain.m)
	c := cookieValue(t, do(ph, "GET", "/login").Header(), cn)
	do(ph, "GET", "/logout", cn+"="+c)
	if got := do(ph, "GET", "/me", cn+"="+c).Body.String(); got != "alice" {
		t.Fatalf("control: %q", got)
	}
	// A failing hook fails closed.
	failing := newSealed(t, []cookie.Key{key1}, func(c *sesh.Config) {
		c.Revoked = func(context.Context, sesh.Meta) (bool, error) { return false, errors.New("db down") }
	})
	c = sealedValue(t, failing)
	if w := do(failing.m.Handler(http.HandlerFunc(whoami)), "GET", "/", cn+"="+c); w.Code != 500 {
		t.Fatalf("failing revocation hook: code %d", w.Code)
	}
}

// setCookieFor commits a session holding a value of n bytes and returns the
// Set-Cookie line or the error.
func setCookieFor(t *testing.T, m *sesh.Manager, n int) (string, error) {
	t.Helper()
	ctx := context.Background()
	s, err := m.Load(ctx, "")
	must(t, err)
	must(t, s.Set("blob", strings.Repeat("x", n)))
	return m.Commit(ctx, s)
}

func TestSealedSizeLimit(t *testing.T) {
	short := newSealed(t, []cookie.Key{key1}, func(c *sesh.Config) { c.Cookie.Path = "/"; c.Cookie.Name = "s" })
	long := newSealed(t, []cookie.Key{key1}, func(c *sesh.Config) { c.Cookie.Path = "/a"; c.Cookie.Name = "s" })
	// Find a payload whose line is exactly 4096 bytes with Path=/; the same
	// payload with Path=/a is one byte longer.
	found := false
	for n := 2800; n < 3100; n++ {
		line, err := setCookieFor(t, short.m, n)
		if err != nil {
			break
		}
		if len(line) != sesh.MaxCookieLine {
			continue
		}
		found = true
		_, err = setCookieFor(t, long.m, n)
		var tooLarge *sesh.CookieTooLargeError
		if !errors.As(err, &tooLarge) || tooLarge.Size != sesh.MaxCookieLine+1 || !errors.Is(err, sesh.ErrCookieTooLarge) {
			t.Fatalf("4097-byte line: err = %v", err)
		}
		break
	}
	if !found {
		t.Fatal("no payload gave a 4096-byte line")
	}
	// Through the middleware: the commit fails, nothing is sent, and the
	// browser keeps its previous cookie.
	v := sealedValue(t, short)
	h := short.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		must(t, sesh.From(r.Context()).Set("blob", strings.Repeat("y", 5000)))
		io.WriteString(w, "ok")
	}))
	w := do(h, "GET", "/", "s="+v)
	if w.Code != 500 || len(w.Header().Values("Set-Cookie")) != 0 {
		t.Fatalf("oversized commit: code %d cookies %v", w.Code, w.Header().Values("Set-Cookie"))
	}
}

func TestSealedChunking(t *testing.T) {
	e := newSealed(t, []cookie.Key{key1}, func(c *sesh.Config) { c.Cookie.MaxChunks = 4 })
	set := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		if n := r.URL.Query().Get("n"); n != "" {
			var size int
			fmt.Sscan(n, &size)
			must(t, s.Set("blob", strings.Repeat("z", size)))
		}
		b, _ := sesh.Get[string](s, "blob")
		fmt.Fprint(w, len(b))
	}))
	jar := map[string]string{}
	send := func(target string) *http.Response {
		var parts []string
		for k, v := range jar {
			parts = append(parts, k+"="+v)
		}
		w := do(set, "GET", target, strings.Join(parts, "; "))
		for _, l := range w.Header().Values("Set-Cookie") {
			c, err := http.ParseSetCookie(l)
			must(t, err)
			if c.MaxAge < 0 || c.Value == "" {
				delete(jar, c.Name)
			} else {
				jar[c.Name] = c.Value
			}
		}
		return w.Result()
	}
	body := func(r *http.Response) string { b, _ := io.ReadAll(r.Body); return string(b) }

	send("/?n=7000")
	if len(jar) != 3 || jar[cn+".0"] == "" || jar[cn+".2"] == "" || jar[cn] != "" {
		t.Fatalf("7000 bytes → cookies %v", keys(jar))
	}
	if got := body(send("/")); got != "7000" {
		t.Fatalf("chunked session reads %s", got)
	}
	send("/?n=4000") // shrinks to two chunks: session.2 expired
	if len(jar) != 2 || jar[cn+".2"] != "" {
		t.Fatalf("after shrinking: %v", keys(jar))
	}
	send("/?n=10") // fits one cookie: all chunks expired
	if len(jar) != 1 || jar[cn] == "" {
		t.Fatalf("after shrinking to one cookie: %v", keys(jar))
	}
	if got := body(send("/")); got != "10" {
		t.Fatalf("reads %s", got)
	}
	if r := send("/?n=20000"); r.StatusCode != 500 { // more than 4 chunks
		t.Fatalf("past MaxChunks: %d", r.StatusCode)
	}
	// A missing middle chunk: no session.
	send("/?n=7000")
	delete(jar, cn+".1")
	if got := body(send("/")); got != "0" {
		t.Fatalf("incomplete chunks read %s", got)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSealedConfig(t *testing.T) {
	sealer, err := cookie.NewSealer(key1)
	must(t, err)
	if _, err := sesh.New(sesh.Config{Sealer: sealer, Store: newEnv(t, nil).mem}); !errors.Is(err, sesh.ErrConfig) {
		t.Fatalf("Store and Sealer both set: %v", err)
	}
	if _, err := sesh.New(sesh.Config{}); !errors.Is(err, sesh.ErrConfig) {
		t.Fatalf("neither set: %v", err)
	}
	if _, err := sesh.New(sesh.Config{Store: newEnv(t, nil).mem, Cookie: sesh.CookieConfig{MaxChunks: 3}}); !errors.Is(err, sesh.ErrConfig) {
		t.Fatalf("chunks without a sealer: %v", err)
	}
	m, err := sesh.New(sesh.Config{Sealer: sealer})
	must(t, err)
	if _, err := m.LoadID(context.Background(), sesh.NewID()); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("LoadID in cookie mode: %v", err)
	}
}

// A nil *cookie.Sealer in Config.Sealer is no sealer, not a conflict with
// Store: `var s *cookie.Sealer; …; Config{Store: st, Sealer: s}` is common.
func TestTypedNilSealerIsNoSealer(t *testing.T) {
	var nilSealer *cookie.Sealer
	m, err := sesh.New(sesh.Config{Store: newEnv(t, nil).mem, Sealer: nilSealer})
	if err != nil {
		t.Fatalf("Store with a nil *cookie.Sealer: %v", err)
	}
	s, err := m.Load(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	s.Set("k", 1)
	if c, err := m.Commit(context.Background(), s); err != nil || !strings.HasPrefix(c, cn+"=") {
		t.Fatalf("commit: %q, %v", c, err)
	}
	if _, err := sesh.New(sesh.Config{Sealer: nilSealer}); !errors.Is(err, sesh.ErrConfig) {
		t.Fatalf("only a nil sealer: err = %v, want ErrConfig (no Store and no Sealer)", err)
	}
}

func TestSealedReloadIsUnsupported(t *testing.T) {
	e := newSealed(t, []cookie.Key{key1}, nil)
	s, err := e.m.Load(context.Background(), "")
	must(t, err)
	s.Set("k", 1)
	if err := e.m.Reload(context.Background(), s); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Reload of a cookie-only session = %v, want ErrUnsupported", err)
	}
}
