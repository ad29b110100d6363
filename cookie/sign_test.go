package cookie

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestSignerExpressVector(t *testing.T) {
	// cookie-signature's sign("hello", "tobiiscool").
	s, err := NewSigner([][]byte{[]byte("tobiiscool")}, SignerOptions{Encoding: base64.RawStdEncoding, AllowShortSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	const want = "hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI"
	if got := s.Sign("hello"); got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
	if v, i, ok := s.Verify(want); !ok || v != "hello" || i != 0 {
		t.Fatalf("Verify = %q %d %v", v, i, ok)
	}
	for _, bad := range []string{want + "=", want + "x", want[:len(want)-1], "hello.", "hello", "", "." + want, strings.Replace(want, "+", "-", 1), "hellO" + want[5:]} {
		if _, _, ok := s.Verify(bad); ok {
			t.Errorf("Verify(%q) accepted", bad)
		}
	}
}

func TestSignerRotationAndSecrets(t *testing.T) {
	if _, err := NewSigner(nil, SignerOptions{}); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("no secret: %v", err)
	}
	if _, err := NewSigner([][]byte{[]byte("short")}, SignerOptions{}); !errors.Is(err, ErrShortSecret) {
		t.Fatalf("short secret: %v", err)
	}
	if _, err := NewSigner([][]byte{secretA, {}}, SignerOptions{}); err == nil {
		t.Fatal("empty secret accepted")
	}
	old, _ := NewSigner([][]byte{secretA}, SignerOptions{})
	signed := old.Sign("v")
	rot, _ := NewSigner([][]byte{secretB, secretA}, SignerOptions{})
	if v, i, ok := rot.Verify(signed); !ok || v != "v" || i != 1 {
		t.Fatalf("old signature under rotation: %q %d %v", v, i, ok)
	}
	if _, i, ok := rot.Verify(rot.Sign("v")); !ok || i != 0 {
		t.Fatal("current signature")
	}
	removed, _ := NewSigner([][]byte{secretB}, SignerOptions{})
	if _, _, ok := removed.Verify(signed); ok {
		t.Fatal("removed secret still verifies")
	}
	if strings.ContainsAny(rot.Sign("v"), "+/=") {
		t.Fatal("native signatures must be base64url")
	}
}

func TestEscape(t *testing.T) {
	cases := map[string]string{
		"s:abc+/=":        "s%3Aabc%2B%2F%3D",
		"a b":             "a%20b",
		"日本":              "%E6%97%A5%E6%9C%AC",
		"-_.!~*'()AZaz09": "-_.!~*'()AZaz09",
		"%;,\"":           "%25%3B%2C%22",
	}
	for in, want := range cases {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzVerify(f *testing.F) {
	s, _ := NewSigner([][]byte{secretA, secretB}, SignerOptions{})
	good := s.Sign("value")
	for _, seed := range []string{good, good + "=", "", ".", "a.b.c", good[:len(good)-2]} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		v, i, ok := s.Verify(in)
		if !ok {
			return
		}
		if i == 0 && s.Sign(v) != in {
			t.Fatalf("Verify accepted %q, which Sign does not produce", in)
		}
	})
}
