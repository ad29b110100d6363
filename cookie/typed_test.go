package cookie

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type prefs struct {
	Theme string `json:"theme"`
	Lang  string `json:"lang"`
}

func TestTypedSigned(t *testing.T) {
	signer, err := NewSigner([][]byte{secretA}, SignerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewSigned[prefs]("prefs", Options{Path: "/", HttpOnly: true, SameSite: SameSiteLax, MaxAge: 3600}, signer)
	if err != nil {
		t.Fatal(err)
	}
	line, err := c.Serialize(prefs{"dark", "ja"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(line, "prefs=") || !strings.Contains(line, "; Max-Age=3600") || !strings.Contains(line, "; HttpOnly") {
		t.Fatalf("Set-Cookie %q", line)
	}
	header := line[:strings.IndexByte(line, ';')]
	got, ok := c.ParseHeader(header)
	if !ok || got != (prefs{"dark", "ja"}) {
		t.Fatalf("ParseHeader = %+v %v", got, ok)
	}
	// Bad signature → absent; a forged cookie before the good one is skipped.
	value := header[len("prefs="):]
	if _, ok := c.ParseHeader("prefs=" + value[:len(value)-1] + "x"); ok {
		t.Fatal("tampered cookie parsed")
	}
	if got, ok := c.ParseHeader("prefs=forged; prefs=" + value); !ok || got.Theme != "dark" {
		t.Fatal("valid second cookie not used")
	}
	// Rotation: a cookie signed with the old secret still reads.
	rot, _ := NewSigner([][]byte{secretB, secretA}, SignerOptions{})
	c2, _ := NewSigned[prefs]("prefs", Options{Path: "/"}, rot)
	if _, ok := c2.ParseHeader(header); !ok {
		t.Fatal("rotated signer rejects the old cookie")
	}
	if !strings.Contains(c.Expire(), "Max-Age=0") {
		t.Fatalf("Expire = %q", c.Expire())
	}
	// Wrong type in the cookie: absent.
	c3, _ := NewSigned[int]("prefs", Options{Path: "/"}, signer)
	if _, ok := c3.ParseHeader(header); ok {
		t.Fatal("a struct parsed as int")
	}
	if _, err := NewSigned[prefs]("bad name", Options{}, signer); err == nil {
		t.Fatal("invalid name accepted")
	}
	if _, err := NewSigned[prefs]("p", Options{}, nil); err == nil {
		t.Fatal("nil signer accepted")
	}
}

func TestTypedSealed(t *testing.T) {
	sealer := mustSealer(t, Key{ID: "k1", Secret: secretA})
	c, err := NewSealed[string]("csrf", Options{Path: "/", Secure: true, SameSite: SameSiteStrict, MaxAge: 60}, sealer)
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return now }
	line, err := c.Serialize("token-123")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(line, "token") {
		t.Fatal("sealed value readable")
	}
	header := line[:strings.IndexByte(line, ';')]
	if v, ok := c.ParseHeader(header); !ok || v != "token-123" {
		t.Fatalf("ParseHeader = %q %v", v, ok)
	}
	c.now = func() time.Time { return now.Add(61 * time.Second) }
	if _, ok := c.ParseHeader(header); ok {
		t.Fatal("expired sealed cookie parsed")
	}
	if _, err := c.Serialize(strings.Repeat("x", 5000)); err == nil {
		t.Fatal("oversized cookie serialized")
	}
	other, _ := NewSealed[string]("other", Options{Path: "/"}, sealer)
	other.now = func() time.Time { return now }
	if _, ok := other.ParseHeader("other=" + header[len("csrf="):]); ok {
		t.Fatal("a value sealed for csrf parsed as other")
	}
}

// A typed cookie's defaults are createCookie's: Path=/ and SameSite=Lax.
func TestTypedDefaults(t *testing.T) {
	signer, _ := NewSigner([][]byte{secretA}, SignerOptions{})
	c, err := NewSigned[string]("p", Options{}, signer)
	if err != nil {
		t.Fatal(err)
	}
	line, err := c.Serialize("x")
	if err != nil {
		t.Fatal(err)
	}
	value := line[len("p="):strings.IndexByte(line, ';')]
	if want := "p=" + value + "; Path=/; SameSite=Lax"; line != want {
		t.Fatalf("Serialize = %q, want %q", line, want)
	}
	if got, want := c.Expire(), "p=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; SameSite=Lax"; got != want {
		t.Fatalf("Expire = %q, want %q", got, want)
	}
	// SerializeWith applies them too; explicit values win.
	line, _ = c.SerializeWith("x", Options{MaxAge: 60})
	if !strings.HasSuffix(line, "; Path=/; Max-Age=60; SameSite=Lax") {
		t.Fatalf("SerializeWith = %q", line)
	}
	strict, _ := NewSigned[string]("p", Options{Path: "/app", SameSite: SameSiteStrict}, signer)
	if line, _ := strict.Serialize("x"); !strings.HasSuffix(line, "; Path=/app; SameSite=Strict") {
		t.Fatalf("explicit attributes: %q", line)
	}
	// __Host- needs Path=/, which the default supplies.
	if _, err := NewSealed[string]("__Host-p", Options{Secure: true}, mustSealer(t, Key{ID: "k", Secret: secretA})); err != nil {
		t.Fatalf("__Host- with default Path: %v", err)
	}
}

// A value signed for one cookie does not read as another (issue 14): the
// MAC covers the cookie's name.
func TestTypedSignedBindsName(t *testing.T) {
	signer, _ := NewSigner([][]byte{secretA}, SignerOptions{})
	lang, _ := NewSigned[string]("lang", Options{}, signer)
	role, _ := NewSigned[string]("role", Options{}, signer)
	line, _ := lang.Serialize("admin")
	value := line[len("lang="):strings.IndexByte(line, ';')]
	if v, ok := lang.ParseHeader("lang=" + value); !ok || v != "admin" {
		t.Fatalf("lang reads %q %v", v, ok)
	}
	if v, ok := role.ParseHeader("role=" + value); ok {
		t.Fatalf("a value signed for lang read as role: %q", v)
	}
	// Sealed values were already bound (associated data).
	sealer := mustSealer(t, Key{ID: "k", Secret: secretA})
	slang, _ := NewSealed[string]("lang", Options{}, sealer)
	srole, _ := NewSealed[string]("role", Options{}, sealer)
	line, _ = slang.Serialize("admin")
	if _, ok := srole.ParseHeader("role=" + line[len("lang="):strings.IndexByte(line, ';')]); ok {
		t.Fatal("a value sealed for lang read as role")
	}
}

// AcceptUnbound reads a value in the old unbound form, reports it stale,
// and the response writes it bound.
func TestTypedAcceptUnboundMigration(t *testing.T) {
	signer, _ := NewSigner([][]byte{secretA}, SignerOptions{})
	// What NewSigned wrote before names were bound: Sign(base64url(JSON)).
	old := signer.Sign(base64.RawURLEncoding.EncodeToString([]byte(`{"theme":"dark","lang":"ja"}`)))

	strict, _ := NewSigned[prefs]("prefs", Options{}, signer)
	if _, ok := strict.ParseHeader("prefs=" + old); ok {
		t.Fatal("an unbound value read without the migration option")
	}

	migrating, _ := NewSigned[prefs]("prefs", Options{}, signer, AcceptUnbound())
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, stale, ok := migrating.Read(r)
		if !ok {
			http.Error(w, "no prefs", http.StatusBadRequest)
			return
		}
		if stale {
			line, err := migrating.Serialize(p)
			if err != nil {
				t.Error(err)
			}
			w.Header().Add("Set-Cookie", line)
		}
		fmt.Fprint(w, p.Theme)
	})
	serve := func(cookie string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", cookie)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := serve("prefs=" + old)
	if w.Code != http.StatusOK || w.Body.String() != "dark" {
		t.Fatalf("old value: %d %q", w.Code, w.Body)
	}
	line := w.Header().Get("Set-Cookie")
	if line == "" {
		t.Fatal("a stale value was not written again")
	}
	bound := line[len("prefs="):strings.IndexByte(line, ';')]
	// The rewritten value is bound: it reads without the option, is not the
	// unbound form, and does not read under another name.
	if p, stale, ok := strict.ReadHeader("prefs=" + bound); !ok || stale || p.Lang != "ja" {
		t.Fatalf("rewritten value: %+v stale=%v ok=%v", p, stale, ok)
	}
	if _, _, ok := signer.Verify(bound); ok {
		t.Fatal("the rewritten value is still unbound")
	}
	other, _ := NewSigned[prefs]("other", Options{}, signer, AcceptUnbound())
	if _, ok := other.ParseHeader("other=" + bound); ok {
		t.Fatal("the rewritten value reads under another name")
	}
	// A bound, current value is not stale: no rewrite.
	if w := serve("prefs=" + bound); w.Header().Get("Set-Cookie") != "" {
		t.Fatal("a current value was rewritten")
	}
	// Rotation also reports stale.
	rot, _ := NewSigner([][]byte{secretB, secretA}, SignerOptions{})
	rotated, _ := NewSigned[prefs]("prefs", Options{}, rot)
	if _, stale, ok := rotated.ReadHeader("prefs=" + bound); !ok || !stale {
		t.Fatalf("old-secret value: stale=%v ok=%v", stale, ok)
	}
}

// The signed payload must be canonical base64url too, even under a valid
// MAC: one spelling per value.
func TestTypedSignedCanonicalPayload(t *testing.T) {
	signer, _ := NewSigner([][]byte{secretA}, SignerOptions{})
	c, _ := NewSigned[string]("p", Options{}, signer)
	payload := base64.RawURLEncoding.EncodeToString([]byte(`"hello"`)) // 7 bytes: 10 chars, 2 trailing bits
	if _, ok := c.ParseHeader("p=" + signer.SignFor("p", payload)); !ok {
		t.Fatal("canonical payload refused")
	}
	for name, bad := range map[string]string{
		"LF inside (sent as %0A)": payload[:4] + "%0A" + payload[4:],
		"CRLF at the end":         payload + "%0D%0A",
		"trailing bits":           withTrailingBits(t, base64.RawURLEncoding, payload),
		"padding":                 payload + "==",
		"std alphabet":            base64.RawStdEncoding.EncodeToString([]byte(`"<<>>???"`)),
	} {
		// Signed with the secret: only the payload's spelling is wrong.
		text := bad
		if vals := Values([]string{"x=" + bad}, "x"); len(vals) == 1 {
			text = vals[0]
		}
		if _, ok := c.ParseHeader("p=" + Escape(signer.SignFor("p", text))); ok {
			t.Errorf("%s: non-canonical payload %q accepted", name, text)
		}
	}
}

func FuzzTypedParse(f *testing.F) {
	signer, _ := NewSigner([][]byte{secretA, secretB}, SignerOptions{})
	oldSigner, _ := NewSigner([][]byte{secretB}, SignerOptions{})
	signed, _ := NewSigned[prefs]("p", Options{}, signer, AcceptUnbound())
	oldSigned, _ := NewSigned[prefs]("p", Options{}, oldSigner)
	sealer := mustSealer(f, Key{ID: "k1", Secret: secretA})
	sealed, _ := NewSealed[prefs]("p", Options{}, sealer)
	sealed.now = func() time.Time { return now }

	pair := func(line string) string { return line[:strings.IndexByte(line, ';')] }
	s1, _ := signed.Serialize(prefs{"dark", "ja"})
	s2, _ := oldSigned.Serialize(prefs{"light", "en"})
	s3, _ := sealed.Serialize(prefs{"dark", "fr"})
	big, _ := signed.Serialize(prefs{strings.Repeat("t", 2900), "x"})
	unbound := "p=" + signer.Sign(base64.RawURLEncoding.EncodeToString([]byte(`{"theme":"old"}`)))
	one := pair(s1)
	for _, seed := range []string{pair(s1), pair(s2), pair(s3), pair(big), unbound, "", "p=", "p=.", "p=x.y",
		"p=forged; " + pair(s1), strings.Repeat(one+"; ", 64<<10/(len(one)+2)), strings.Repeat("p=%41.", 10000)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		for _, c := range []*Typed[prefs]{signed, sealed} {
			if v, _, ok := c.ReadHeader(header); ok && c == signed {
				// Anything read was signed for "p" with one of the secrets,
				// or (AcceptUnbound) without a name.
				line, err := signed.Serialize(v)
				if err != nil {
					t.Fatal(err)
				}
				if got, ok := signed.ParseHeader(pair(line)); !ok || got != v {
					t.Fatalf("re-serialized value reads as %+v %v", got, ok)
				}
			}
			if len(header) <= 64<<10 {
				// Values, then per value: a MAC (pooled state) or an open,
				// the payload's decoding and, when it authenticates, JSON.
				k := uint64(allocValuesK + allocOpenK + raceHMACPerByte)
				checkAllocs(t, "ParseHeader", len(header), k, allocConst, func() { c.ParseHeader(header) })
			}
		}
	})
}
