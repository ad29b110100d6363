package sesh

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unsafe"

	"github.com/sesh-go/sesh/internal/alloctest"
)

// Allocation bound of appendSimple and decodeSimple, for inputs up to
// 64 KB: each makes at most one allocation, of the input's length plus 2
// (appendSimple's quotes) or less (decodeSimple's string), which the
// allocator rounds up to its size class: at most 1/8 more for small
// objects, the next 8 KB page for large ones. k = 2 covers the rounding;
// the constant, the page and the boxed result.
const (
	simpleAllocK = 2
	simpleAllocC = 8 << 10
)

// appendSimple must write exactly what json.Marshal writes, wherever it
// accepts a value: a stored value's bytes do not depend on the path taken.
func TestAppendSimpleMatchesMarshal(t *testing.T) {
	values := []any{0, 1, -1, math.MaxInt, math.MinInt, int64(math.MinInt64), int32(-7), uint(3), uint64(math.MaxUint64),
		true, false, "", "hello", "a b~", "with\"quote", `back\slash`, "<tag>", "a&b", "tab\t", "ü", "\xff", "\u2028",
		1.5, nil, []int{1}}
	accepted := 0
	for _, v := range values {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := appendSimple(nil, v)
		if !ok {
			continue
		}
		accepted++
		if !bytes.Equal(got, want) {
			t.Errorf("appendSimple(%#v) = %s, json.Marshal = %s", v, got, want)
		}
	}
	if accepted != 14 {
		t.Errorf("appendSimple took %d of the values, want 14 (ints, bools, plain strings)", accepted)
	}
	if _, ok := appendSimple(nil, "<"); ok {
		t.Error("appendSimple took a string json.Marshal escapes")
	}
}

func FuzzAppendSimple(f *testing.F) {
	f.Add("plain", int64(42), true)
	f.Add("<&>\"\\\x00\xff\u2028", int64(-1), false)
	f.Add(strings.Repeat("x", alloctest.MaxInput), int64(math.MinInt64), true)
	f.Fuzz(func(t *testing.T, s string, n int64, b bool) {
		for _, v := range []any{s, n, int(n), b} {
			alloctest.Check(t, "appendSimple", len(s), simpleAllocK, simpleAllocC, func() { appendSimple(nil, v) })
			got, ok := appendSimple(nil, v)
			if !ok {
				continue
			}
			want, err := json.Marshal(v)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("appendSimple(%#v) = %s, json.Marshal = %s (%v)", v, got, want, err)
			}
		}
	})
}

// decodeSimple must agree with json.Unmarshal wherever it accepts input,
// for every type it handles.
func checkDecodeSimple(t *testing.T, raw []byte) (accepted int) {
	t.Helper()
	check := func(name string, fast func() (any, bool), slow func() (any, error)) {
		got, ok := fast()
		if !ok {
			return
		}
		accepted++
		want, err := slow()
		if err != nil {
			t.Fatalf("decodeSimple(%q) into %s = %v, json.Unmarshal fails: %v", raw, name, got, err)
		}
		if got != want {
			t.Fatalf("decodeSimple(%q) into %s = %#v, json.Unmarshal = %#v", raw, name, got, want)
		}
	}
	check("int", func() (any, bool) { var v int; ok := decodeSimple(raw, &v); return v, ok },
		func() (any, error) { var v int; err := json.Unmarshal(raw, &v); return v, err })
	check("int64", func() (any, bool) { var v int64; ok := decodeSimple(raw, &v); return v, ok },
		func() (any, error) { var v int64; err := json.Unmarshal(raw, &v); return v, err })
	check("bool", func() (any, bool) { var v bool; ok := decodeSimple(raw, &v); return v, ok },
		func() (any, error) { var v bool; err := json.Unmarshal(raw, &v); return v, err })
	check("string", func() (any, bool) { var v string; ok := decodeSimple(raw, &v); return v, ok },
		func() (any, error) { var v string; err := json.Unmarshal(raw, &v); return v, err })
	return accepted
}

func TestDecodeSimpleMatchesUnmarshal(t *testing.T) {
	for raw, want := range map[string]int{
		"0": 2, "42": 2, "-7": 2, "9223372036854775807": 2, "-9223372036854775808": 2, "9223372036854775808": 0,
		"01": 0, "-": 0, "1.0": 0, "1e3": 0, " 1": 0, "true": 1, "false": 1, "null": 0, `"x"`: 1, `""`: 1,
		`"a\"b"`: 0, `"\u00fc"`: 0, `"ü"`: 1, "\"\xff\"": 0, "\"a\xe6\x97\xa5\"": 1, `"tab	"`: 0, `"unterminated`: 0, `"`: 0,
	} {
		if got := checkDecodeSimple(t, []byte(raw)); got != want {
			t.Errorf("decodeSimple accepted %q for %d types, want %d", raw, got, want)
		}
	}
	var f float64
	if decodeSimple([]byte("1"), &f) {
		t.Error("decodeSimple took a float64")
	}
}

func FuzzDecodeSimple(f *testing.F) {
	for _, s := range []string{"0", "-12", "9223372036854775808", "true", `"plain"`, `"esc\n"`, "1e2", "-0",
		`"` + strings.Repeat("x", alloctest.MaxInput-2) + `"`, strings.Repeat("9", alloctest.MaxInput)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkDecodeSimple(t, raw)
		var (
			i  int
			i6 int64
			b  bool
			s  string
		)
		for _, p := range []any{&i, &i6, &b, &s} {
			alloctest.Check(t, "decodeSimple", len(raw), simpleAllocK, simpleAllocC, func() { decodeSimple(raw, p) })
		}
	})
}

func TestNewIDAndKey(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id, key := newIDAndKey()
		if !ValidID(id) || key != HashID(id) || seen[id] {
			t.Fatalf("newIDAndKey = %q, %q (HashID %q, ValidID %v, repeated %v)", id, key, HashID(id), ValidID(id), seen[id])
		}
		// A store that keeps the key must not keep the ID's bytes alive.
		k, i := uintptr(unsafe.Pointer(unsafe.StringData(key))), uintptr(unsafe.Pointer(unsafe.StringData(id)))
		if k == i+uintptr(len(id)) || k < i+uintptr(len(id)) && i < k+uintptr(len(key)) { // a slice of one string, or overlapping
			t.Fatal("the store key shares its bytes with the ID")
		}
		seen[id] = true
	}
}

// ValidID accepts exactly the 43-character strings that are the one
// spelling of 32 bytes in unpadded base64url: every byte value at every
// position of a minted ID, against encoding/base64's strict decoder.
func TestValidIDIsCanonicalBase64(t *testing.T) {
	id := NewID()
	accepted := 0
	for pos := range IDLen {
		for c := range 256 {
			b := []byte(id)
			b[pos] = byte(c)
			s := string(b)
			raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
			want := err == nil && len(raw) == 32
			if got := ValidID(s); got != want {
				t.Fatalf("ValidID(%q) = %v, strict base64url decoding says %v", s, got, want)
			}
			if want {
				accepted++
			}
		}
	}
	if want := (IDLen-1)*64 + 16; accepted != want {
		t.Errorf("accepted %d mutations, want %d (64 per position, 16 at the last)", accepted, want)
	}
	for _, s := range []string{"", id[:IDLen-1], id + "A"} {
		if ValidID(s) {
			t.Errorf("ValidID(%q) = true", s)
		}
	}
}
