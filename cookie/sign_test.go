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

func TestSignForBindsName(t *testing.T) {
	s, _ := NewSigner([][]byte{secretA}, SignerOptions{})
	role := s.SignFor("role", "admin")
	if v, i, ok := s.VerifyFor("role", role); !ok || v != "admin" || i != 0 {
		t.Fatalf("VerifyFor(role) = %q %d %v", v, i, ok)
	}
	if _, _, ok := s.VerifyFor("lang", role); ok {
		t.Fatal("a value signed for role verified as lang")
	}
	if _, _, ok := s.Verify(role); ok {
		t.Fatal("a bound value verified unbound")
	}
	if _, _, ok := s.VerifyFor("role", s.Sign("admin")); ok {
		t.Fatal("an unbound value verified bound")
	}
	if _, _, ok := s.VerifyFor("", s.Sign("admin")); ok {
		t.Fatal("an unbound value verified bound to the empty name")
	}
	// The name's length is in the MAC: "ab"+"c" and "a"+"bc" differ.
	sig := s.SignFor("ab", "c")
	if _, _, ok := s.VerifyFor("a", "bc"+sig[strings.LastIndexByte(sig, '.'):]); ok {
		t.Fatal("name/value boundary is ambiguous")
	}
	// Rotation works for bound values.
	rot, _ := NewSigner([][]byte{secretB, secretA}, SignerOptions{})
	if v, i, ok := rot.VerifyFor("role", role); !ok || v != "admin" || i != 1 {
		t.Fatalf("rotation: %q %d %v", v, i, ok)
	}
}

// One spelling per signature: Go's base64 decoders skip CR and LF, and
// without Strict accept non-zero trailing bits.
func TestVerifyCanonical(t *testing.T) {
	for encName, enc := range map[string]*base64.Encoding{"RawURL": base64.RawURLEncoding, "RawStd": base64.RawStdEncoding, "Std": base64.StdEncoding} {
		s, _ := NewSigner([][]byte{secretA}, SignerOptions{Encoding: enc})
		for _, bound := range []bool{false, true} {
			signed := s.Sign("v")
			verify := func(x string) bool { _, _, ok := s.Verify(x); return ok }
			if bound {
				signed = s.SignFor("n", "v")
				verify = func(x string) bool { _, _, ok := s.VerifyFor("n", x); return ok }
			}
			if !verify(signed) {
				t.Fatalf("%s: the canonical form is refused", encName)
			}
			sig := signed[2:]
			for name, bad := range map[string]string{
				"LF inserted":      "v." + sig[:10] + "\n" + sig[10:],
				"CRLF inserted":    "v." + sig[:10] + "\r\n" + sig[10:],
				"LF replacing":     "v." + sig[:10] + "\n" + sig[11:],
				"trailing bits":    "v." + withTrailingBits(t, enc, sig),
				"padding added":    signed + "=",
				"padding added x2": signed + "==",
				"space":            "v." + sig[:10] + " " + sig[11:],
			} {
				if verify(bad) {
					t.Errorf("%s bound=%v: %s accepted: %q", encName, bound, name, bad)
				}
			}
		}
	}
}

// withTrailingBits returns the base64 text sig (of enc, padded or not)
// with the unused low bits of its last character set: a second spelling of
// the same bytes for a decoder that is not Strict.
func withTrailingBits(t *testing.T, enc *base64.Encoding, sig string) string {
	t.Helper()
	alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	if enc == base64.RawURLEncoding || enc == base64.URLEncoding {
		alphabet = alphabet[:62] + "-_"
	}
	body := strings.TrimRight(sig, "=")
	unused := map[int]int{2: 4, 3: 2}[len(body)%4]
	if unused == 0 {
		t.Fatalf("%q has no trailing bits", sig)
	}
	i := strings.IndexByte(alphabet, body[len(body)-1])
	out := body[:len(body)-1] + string(alphabet[i|(1<<unused-1)]) + sig[len(body):]
	a, err1 := enc.DecodeString(sig)
	b, err2 := enc.DecodeString(out)
	if out == sig || err1 != nil || err2 != nil || string(a) != string(b) {
		t.Fatalf("%q is not a second spelling of %q", out, sig)
	}
	return out
}

func FuzzVerify(f *testing.F) {
	s, _ := NewSigner([][]byte{secretA, secretB}, SignerOptions{})
	good := s.Sign("value")
	bound := s.SignFor("sid", "value")
	big := s.SignFor("sid", strings.Repeat("v", 64<<10-44))
	for _, seed := range []string{good, good + "=", "", ".", "a.b.c", good[:len(good)-2], bound, big, big[:len(big)-1] + "\n", strings.Repeat(".", 64<<10)} {
		f.Add(seed, "sid")
	}
	f.Fuzz(func(t *testing.T, in, name string) {
		if v, i, ok := s.Verify(in); ok && i == 0 && s.Sign(v) != in {
			t.Fatalf("Verify accepted %q, which Sign does not produce", in)
		}
		v, i, ok := s.VerifyFor(name, in)
		if ok {
			if i == 0 && s.SignFor(name, v) != in {
				t.Fatalf("VerifyFor accepted %q, which SignFor does not produce", in)
			}
			if _, _, other := s.VerifyFor(name+"x", in); other {
				t.Fatalf("%q verified for %q and %q", in, name, name+"x")
			}
			if _, _, raw := s.Verify(in); raw {
				t.Fatalf("%q verified bound and unbound", in)
			}
		}
		if len(in) > 64<<10 {
			return
		}
		checkAllocs(t, "Verify", len(in), 0, allocConst, func() { s.Verify(in) })
		checkAllocs(t, "VerifyFor", len(in), 0, allocConst, func() { s.VerifyFor(name, in) })
	})
}
