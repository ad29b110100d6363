package cookie

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	secretA = []byte("0123456789abcdef0123456789abcdef")
	secretB = []byte("fedcba9876543210fedcba9876543210")
	now     = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
)

func mustSealer(t testing.TB, keys ...Key) *Sealer {
	t.Helper()
	s, err := NewSealer(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealerKeyHygiene(t *testing.T) {
	bad := map[string][]Key{
		"none":          nil,
		"short":         {{ID: "a", Secret: []byte("too short")}},
		"31 bytes":      {{ID: "a", Secret: bytes.Repeat([]byte{1, 2}, 16)[:31]}},
		"all zero":      {{ID: "a", Secret: make([]byte, 32)}},
		"repeated byte": {{ID: "a", Secret: bytes.Repeat([]byte("x"), 64)}},
		"empty id":      {{ID: "", Secret: secretA}},
		"long id":       {{ID: "abcdefghi", Secret: secretA}},
		"dotted id":     {{ID: "a.b", Secret: secretA}},
		"duplicate id":  {{ID: "a", Secret: secretA}, {ID: "a", Secret: secretB}},
	}
	for name, keys := range bad {
		if _, err := NewSealer(keys...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewSealer(Key{ID: "z", Secret: make([]byte, 32)}); !errors.Is(err, ErrWeakKey) {
		t.Errorf("all-zero key: %v, want ErrWeakKey", err)
	}
	mustSealer(t, Key{ID: "k1", Secret: secretA}, Key{ID: "k0", Secret: secretB})
}

func TestSealOpenRoundTrip(t *testing.T) {
	s := mustSealer(t, Key{ID: "k1", Secret: secretA})
	for _, payload := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte{0, 255}, 1000)} {
		v := string(s.Seal(nil, "sid", now.Add(time.Hour), payload))
		if len(v) != s.SealedLen(len(payload)) {
			t.Fatalf("SealedLen %d, actual %d", s.SealedLen(len(payload)), len(v))
		}
		if !ValidValue(v) || strings.ContainsAny(v, "+/=") {
			t.Fatalf("sealed value is not cookie-safe base64url: %.40q", v)
		}
		got, exp, ki, err := s.Open("sid", v, now)
		if err != nil || !bytes.Equal(got, payload) || ki != 0 || !exp.Equal(now.Add(time.Hour)) {
			t.Fatalf("Open = %q %v %d %v", got, exp, ki, err)
		}
	}
	// Confidentiality: the payload is not visible in any decoding.
	v := string(s.Seal(nil, "sid", time.Time{}, []byte("MARKER-secret-MARKER")))
	raw, _ := base64.RawURLEncoding.DecodeString(v[strings.LastIndexByte(v, '.')+1:])
	if strings.Contains(v, "MARKER") || bytes.Contains(raw, []byte("MARKER")) {
		t.Fatal("plaintext visible")
	}
	// No expiry inside the seal: opens at any time.
	if _, exp, _, err := s.Open("sid", v, now.Add(1000*time.Hour)); err != nil || !exp.IsZero() {
		t.Fatalf("no-expiry seal: %v %v", exp, err)
	}
}

func TestSealExpiryInsideSeal(t *testing.T) {
	s := mustSealer(t, Key{ID: "k1", Secret: secretA})
	v := string(s.Seal(nil, "sid", now.Add(time.Minute), []byte("p")))
	if _, _, _, err := s.Open("sid", v, now.Add(59*time.Second)); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	if _, _, _, err := s.Open("sid", v, now.Add(time.Minute)); !errors.Is(err, ErrInvalidSeal) {
		t.Fatalf("at expiry: %v", err)
	}
}

func TestSealTamperOneErrorClass(t *testing.T) {
	s := mustSealer(t, Key{ID: "k1", Secret: secretA})
	v := string(s.Seal(nil, "sid", now.Add(time.Hour), []byte(`{"user":"alice"}`)))
	var bad []string
	for i := range v {
		for _, c := range []byte{'A', 'z', '_', '.'} {
			if v[i] != c {
				bad = append(bad, v[:i]+string(c)+v[i+1:])
			}
		}
	}
	bad = append(bad, "", v[:len(v)-1], v+"A", v+"=", v+".", "v2"+v[2:], strings.ToUpper(v[:2])+v[2:],
		strings.Replace(v, "-", "+", -1)+"+", v[:len(v)-4])
	before := s.opens.Load()
	for i, b := range bad {
		if b == v {
			continue
		}
		if _, _, _, err := s.Open("sid", b, now); err != ErrInvalidSeal {
			t.Fatalf("variant %d: err = %v, want exactly ErrInvalidSeal", i, err)
		}
	}
	if s.opens.Load() == before {
		t.Fatal("no decryption was attempted: the tamper test tested nothing")
	}
	// Another cookie name: rejected (the name is associated data).
	if _, _, _, err := s.Open("other", v, now); err != ErrInvalidSeal {
		t.Fatalf("swapped name: %v", err)
	}
}

func TestSealRotation(t *testing.T) {
	old := mustSealer(t, Key{ID: "k1", Secret: secretA})
	v := string(old.Seal(nil, "sid", time.Time{}, []byte("p")))
	rot := mustSealer(t, Key{ID: "k2", Secret: secretB}, Key{ID: "k1", Secret: secretA})
	if _, _, ki, err := rot.Open("sid", v, now); err != nil || ki != 1 {
		t.Fatalf("old-key value: index %d err %v", ki, err)
	}
	if nv := string(rot.Seal(nil, "sid", time.Time{}, []byte("p"))); !strings.HasPrefix(nv, "v1.k2.") {
		t.Fatalf("new seals use %q", nv[:6])
	}
	removed := mustSealer(t, Key{ID: "k2", Secret: secretB})
	before := removed.opens.Load()
	if _, _, _, err := removed.Open("sid", v, now); err != ErrInvalidSeal {
		t.Fatalf("removed key: %v", err)
	}
	if removed.opens.Load() != before {
		t.Fatal("an unknown key ID cost a decryption attempt")
	}
	// Same ID, different secret: rejected by authentication.
	impostor := mustSealer(t, Key{ID: "k1", Secret: secretB})
	if _, _, _, err := impostor.Open("sid", v, now); err != ErrInvalidSeal {
		t.Fatalf("wrong secret under the same ID: %v", err)
	}
}

func TestSealNoncesDistinct(t *testing.T) {
	s := mustSealer(t, Key{ID: "k1", Secret: secretA})
	const n = 100_000
	seen := make(map[[24]byte]struct{}, n)
	payload := []byte("same payload every time")
	buf := make([]byte, 0, 256)
	for range n {
		v := s.Seal(buf[:0], "sid", time.Time{}, payload)
		raw, err := base64.RawURLEncoding.AppendDecode(nil, v[len("v1.k1."):])
		if err != nil {
			t.Fatal(err)
		}
		var nonce [24]byte
		copy(nonce[:], raw)
		if _, dup := seen[nonce]; dup {
			t.Fatal("nonce repeated")
		}
		seen[nonce] = struct{}{}
	}
	if len(seen) != n {
		t.Fatalf("%d distinct nonces of %d", len(seen), n)
	}
}

// One spelling per sealed value: the body must be canonical base64url.
// Go's decoders skip CR and LF even in Strict mode, so without an explicit
// check "v1.k1.AAAA\nAAAA" opened like "v1.k1.AAAAAAAA".
func TestOpenCanonical(t *testing.T) {
	s := mustSealer(t, Key{ID: "k1", Secret: secretA})
	// 10 payload bytes: nonce 24 + expiry 8 + 10 + tag 16 = 58 bytes, whose
	// base64url ends in a character with 4 unused bits.
	v := string(s.Seal(nil, "sid", now.Add(time.Hour), []byte("1234567890")))
	if _, _, _, err := s.Open("sid", v, now); err != nil {
		t.Fatal(err)
	}
	prefix := "v1.k1."
	body := v[len(prefix):]
	for name, bad := range map[string]string{
		"LF inserted":   prefix + body[:20] + "\n" + body[20:],
		"CRLF inserted": prefix + body[:20] + "\r\n" + body[20:],
		"CR at the end": v + "\r",
		"LF first":      prefix + "\n" + body,
		"trailing bits": prefix + withTrailingBits(t, base64.RawURLEncoding, body),
		"padding added": v + "==",
		"std alphabet":  prefix + strings.NewReplacer("-", "+", "_", "/").Replace(body),
	} {
		if bad == v {
			continue
		}
		if _, _, _, err := s.Open("sid", bad, now); err != ErrInvalidSeal {
			t.Errorf("%s: Open(%q) = %v, want ErrInvalidSeal", name, bad, err)
		}
	}
}

func FuzzOpen(f *testing.F) {
	s := mustSealer(f, Key{ID: "k1", Secret: secretA}, Key{ID: "k0", Secret: secretB})
	good := string(s.Seal(nil, "sid", now.Add(time.Hour), []byte(`{"a":1}`)))
	big := string(s.Seal(nil, "sid", now.Add(time.Hour), bytes.Repeat([]byte("x"), 48<<10)))
	for _, seed := range []string{good, "", "v1.", "v1.k1.", "v1.k9." + good[6:], good + "=", "v2" + good[2:], good[:20],
		good[:30] + "\n" + good[30:], big, big[:len(big)-1], "v1.k1." + strings.Repeat("A", MaxSealedLen-6)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		payload, _, _, err := s.Open("sid", v, now)
		if len(v) <= 64<<10 {
			checkAllocs(t, "Open", len(v), allocOpenK, allocConst, func() { s.Open("sid", v, now) })
		}
		if err != nil {
			if err != ErrInvalidSeal {
				t.Fatalf("error class %v", err)
			}
			return
		}
		// What opens is canonical: the body is exactly the base64url of its bytes.
		body := v[strings.LastIndexByte(v, '.')+1:]
		raw, derr := base64.RawURLEncoding.DecodeString(body)
		if derr != nil || base64.RawURLEncoding.EncodeToString(raw) != body {
			t.Fatalf("opened a non-canonical value %q", v)
		}
		// Anything that opens was sealed by us: re-sealing gives a value that opens too.
		if _, _, _, err := s.Open("sid", string(s.Seal(nil, "sid", time.Time{}, payload)), now); err != nil {
			t.Fatal(err)
		}
	})
}

func BenchmarkSeal(b *testing.B) {
	s := mustSealer(b, Key{ID: "k1", Secret: secretA})
	payload := []byte(`{"c":1767225600000,"v":{"user":"alice","views":12}}`)
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = s.Seal(buf[:0], "sid", now, payload)
	}
}

func BenchmarkOpen(b *testing.B) {
	s := mustSealer(b, Key{ID: "k1", Secret: secretA})
	v := string(s.Seal(nil, "sid", now.Add(time.Hour), []byte(`{"c":1767225600000,"v":{"user":"alice","views":12}}`)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := s.Open("sid", v, now); err != nil {
			b.Fatal(err)
		}
	}
}
