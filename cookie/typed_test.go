package cookie

import (
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
