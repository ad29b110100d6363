package remix

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/cookie"
)

// Vectors computed with Remix v2's code under Node 20 (reference notes).
func TestSignerVectors(t *testing.T) {
	s, err := NewSigner([]byte("secret1"))
	if err != nil {
		t.Fatal(err)
	}
	got := s.Encode([]byte(`{"hello":"mjackson"}`))
	want := "eyJoZWxsbyI6Im1qYWNrc29uIn0%3D.MhdrGeaXZvqV2Ma1z0HlR22HKPsv5xbLn3%2B8XuPWj%2BU"
	if got != want {
		t.Fatalf("Encode = %q, want %q", got, want)
	}
	p, idx, err := s.Decode(unescape(t, want))
	if err != nil || string(p) != `{"hello":"mjackson"}` || idx != 0 {
		t.Fatalf("Decode = %q, %d, %v", p, idx, err)
	}
	u, _ := NewSigner([]byte("sécret✓"))
	if v := unescape(t, u.Encode([]byte(`{"hello":"mjackson"}`))); !strings.HasSuffix(v, ".c/I4VyuE5y5JWUqWKsmSmYd4iKyfksZmk0fOo7HsxlY") {
		t.Fatalf("non-ASCII secret: %q", v)
	}
}

func unescape(t *testing.T, v string) string {
	t.Helper()
	got := cookie.Values([]string{"c=" + v}, "c")
	if len(got) != 1 {
		t.Fatalf("parse %q", v)
	}
	return got[0]
}

func TestDecodeRefusals(t *testing.T) {
	s, _ := NewSigner([]byte("secret1"))
	good := unescape(t, s.Encode([]byte(`{"a":1}`)))
	other, _ := NewSigner([]byte("other"))
	for name, v := range map[string]string{
		"padding re-added":  good + "=",
		"trailing":          good + "x",
		"other secret":      unescape(t, other.Encode([]byte(`{"a":1}`))),
		"no signature":      strings.Split(good, ".")[0],
		"payload changed":   "f" + good[1:],
		"empty":             "",
		"signed non-base64": s.s.Sign("!!!"),
	} {
		if _, _, err := s.Decode(v); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Decode(%q) = %v, want ErrInvalid", name, v, err)
		}
	}
	rot, _ := NewSigner([]byte("new"), []byte("secret1"))
	if _, idx, err := rot.Decode(good); err != nil || idx != 1 {
		t.Fatalf("rotation: idx %d, %v", idx, err)
	}
}

func newManager(t *testing.T, secrets ...string) *sesh.Manager {
	t.Helper()
	cfg := sesh.Config{}
	var sec [][]byte
	for _, s := range secrets {
		sec = append(sec, []byte(s))
	}
	if err := Configure(&cfg, sec...); err != nil {
		t.Fatal(err)
	}
	m, err := sesh.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestManagerReadsRemixCookie: the cookie Remix's cookie session storage
// wrote for set("user","mjackson") + flash("error","boom").
func TestManagerReadsRemixCookie(t *testing.T) {
	m := newManager(t, "s3cr3t")
	hdr := "__session=eyJ1c2VyIjoibWphY2tzb24iLCJfX2ZsYXNoX2Vycm9yX18iOiJib29tIn0%3D.D6e7UYsSCyWpl802kmpbRwdm3b9jXiTP2CMq4pkikoQ"
	s, err := m.Load(context.Background(), hdr)
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := sesh.Get[string](s, "user"); u != "mjackson" {
		t.Fatalf("user = %q", u)
	}
	if e, _ := sesh.Get[string](s, "error"); e != "boom" {
		t.Fatalf("flash error = %q", e)
	}
	if s.Has("error") {
		t.Fatal("the flash value was not consumed by reading it")
	}
	// A tampered cookie reads as a new, empty session.
	s, _ = m.Load(context.Background(), strings.Replace(hdr, "eyJ1", "eyJ2", 1))
	if s.Status() != sesh.StatusNew || s.Len() != 0 {
		t.Fatalf("tampered cookie: %v, %d values", s.Status(), s.Len())
	}
}

func TestManagerWritesRemixFormat(t *testing.T) {
	m := newManager(t, "s3cr3t")
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		s.Set("user", "mjackson")
		s.Flash("error", "boom")
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	line := w.Header().Get("Set-Cookie")
	if !strings.HasPrefix(line, "__session=") || !strings.HasSuffix(line, "; Path=/; HttpOnly; Secure; SameSite=Lax") {
		t.Fatalf("Set-Cookie %q", line)
	}
	v := unescape(t, strings.TrimPrefix(line[:strings.IndexByte(line, ';')], "__session="))
	b64 := v[:strings.LastIndexByte(v, '.')]
	payload, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(payload), `"__flash_error__":"boom"`) || !strings.Contains(string(payload), `"user":"mjackson"`) {
		t.Fatalf("payload %s", payload)
	}
	// sesh's metadata is the creation time alone: no session ID (Remix's
	// cookie sessions have none) in the readable cookie.
	if !regexp.MustCompile(`,"__sesh":\{"c":\d{13}\}\}$`).Match(payload) {
		t.Fatalf("payload %s: want only the creation time as sesh's metadata", payload)
	}
}

func TestCodecRoundTrip(t *testing.T) {
	var d sesh.Data
	if err := (Codec{}).Decode([]byte(`{"a":1,"__sesh":{"c":5,"u":"x","t":{"a":9}}}`), &d); err != nil {
		t.Fatal(err)
	}
	if d.UserID != "x" || d.Created.UnixMilli() != 5 || len(d.Values) != 1 || d.Deadlines["a"].UnixMilli() != 9 {
		t.Fatalf("%+v", d)
	}
	b, err := (Codec{}).Encode(nil, &d)
	if err != nil || string(b) != `{"a":1,"__sesh":{"c":5,"u":"x","t":{"a":9}}}` {
		t.Fatalf("Encode = %s, %v", b, err)
	}
	for _, bad := range []string{`[]`, `null`, `"x"`, `{`, `{"__sesh":1}`} {
		if err := (Codec{}).Decode([]byte(bad), &d); !errors.Is(err, sesh.ErrDecode) {
			t.Errorf("Decode(%s) = %v", bad, err)
		}
	}
	if b, _ := (Codec{}).Encode(nil, &sesh.Data{}); string(b) != "{}" {
		t.Fatalf("empty: %s", b)
	}
}

// An unmodified request re-sends no cookie: Remix's format carries no
// expiry to refresh.
func TestUnmodifiedRequestSetsNoCookie(t *testing.T) {
	m := newManager(t, "s3cr3t")
	var user string
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, _ = sesh.Get[string](sesh.From(r.Context()), "user")
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", "__session=eyJ1c2VyIjoibWphY2tzb24iLCJfX2ZsYXNoX2Vycm9yX18iOiJib29tIn0%3D.D6e7UYsSCyWpl802kmpbRwdm3b9jXiTP2CMq4pkikoQ")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if user != "mjackson" {
		t.Fatalf("user %q", user)
	}
	if c := w.Header().Values("Set-Cookie"); len(c) != 0 {
		t.Fatalf("an unmodified request set %q", c)
	}
}

// TestFirstSeenTime: a session Remix created carries no creation time. Go
// enforces no absolute timeout on it while it only reads it; its first Go
// write records the time, from which the absolute timeout then runs.
func TestFirstSeenTime(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var cfg sesh.Config
	if err := ConfigureWith(&cfg, SecretOptions{AllowShortSecrets: true}, []byte("s3cr3t")); err != nil {
		t.Fatal(err)
	}
	cfg.AbsoluteTimeout, cfg.IdleTimeout = 2*time.Hour, time.Hour
	cfg.Now = func() time.Time { return now }
	m, err := sesh.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// set("user","mjackson") + flash("error","boom") by Remix, years ago.
	const remixCookie = "__session=eyJ1c2VyIjoibWphY2tzb24iLCJfX2ZsYXNoX2Vycm9yX18iOiJib29tIn0%3D.D6e7UYsSCyWpl802kmpbRwdm3b9jXiTP2CMq4pkikoQ"
	for range 2 {
		s, err := m.Load(ctx, remixCookie)
		if err != nil || s.Status() != sesh.StatusUnmodified || !s.Meta().Created.IsZero() {
			t.Fatalf("Remix's session read by Go: %v, created %v, %v", s.Status(), s.Meta().Created, err)
		}
		if line, err := m.Commit(ctx, s); line != "" || err != nil {
			t.Fatalf("a read-only request wrote %q, %v", line, err)
		}
		now = now.Add(24 * time.Hour) // no absolute timeout without a first-seen time
	}
	s, _ := m.Load(ctx, remixCookie)
	s.Set("views", 1)
	line, err := m.Commit(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	s, _ = m.Load(ctx, pairOf(line))
	if !s.Meta().Created.Equal(now) || s.Status() != sesh.StatusUnmodified {
		t.Fatalf("after Go's write: created %v (want %v), %v", s.Meta().Created, now, s.Status())
	}
	now = now.Add(2 * time.Hour)
	if s, _ = m.Load(ctx, pairOf(line)); s.Status() != sesh.StatusNew {
		t.Fatalf("past the absolute timeout from the first-seen time: %v", s.Status())
	}
	// A Remix cookie session has no ID, in Go as in Remix.
	if s, _ = m.Load(ctx, remixCookie); s.ID() != "" {
		t.Fatal("a Remix cookie session has an ID")
	}
}
