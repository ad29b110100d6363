package sesh

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh/internal/alloctest"
)

var codecSeeds = []string{
	`{}`,
	`{"c":1700000000000,"v":{"count":5}}`,
	`{"c":1,"i":"abc","u":"alice","s":2,"a":"Mozilla/5.0 (X11)","p":3600000,"v":{"a":{"x":[1,"two",{"3":null}]},"b":"q\"uote","c":true,"d":-1.5e3},"t":{"a":1700000000000}}`,
	`{"v":{}}`, `{"t":{}}`, `{"v":{"k":"\u00e9"}}`, `{"a":"\u003c"}`, `{"C":1}`, `{"c":1,"c":2}`,
	`{"c":01}`, `{"c":1.5}`, `{"c":-0}`, `{"c":9223372036854775807}`, `{"c":9223372036854775808}`,
	`{"v":{"a":1,"a":2}}`, `{"v":{"a":[1,2}}`, `{"v":{"a":"x\\"}}`, `{"v":{"a":}}`, `{"v":null}`,
	`{"x":1}`, `{"c":1} `, ` {"c":1}`, `{"c":1}{}`, `{"i":"a\u0000b"}`, `{"v":{"k":1}`, `{"t":{"k":"x"}}`,
}

// Allocation bound of JSONCodec.Decode, for inputs up to 64 KB. The worst
// case builds two maps: the fast path decodes every member and fails at the
// last byte (trailing space, a float further on), then encoding/json
// decodes it all again. A member costs at least 7 bytes (`"ab":0,`: past
// the 64 one-letter keys, keys take two letters), and its map slot 40 bytes
// (a string and a RawMessage, or a string and a time.Time), at a load
// factor as low as 7/16 just after the table doubled, plus the tables left
// behind while it grew: about 190 bytes per member, 27 per input byte, for
// each of the two maps. Add encoding/json's read buffer (grown by doubling:
// up to 4 bytes per byte), the fast path's copy of the input and the
// values' copies (1 each): about 60. Measured worst (codecAllocShapes at
// every size up to 64 KB in steps of 256 bytes): 66 per byte, 73
// under the race detector. k = 96 leaves room for map growth points and
// size classes the sweep missed.
const (
	codecAllocK = 96
	codecAllocC = 16 << 10
)

// codecAllocShapes are the inputs that allocate the most per byte.
var codecAllocShapes = map[string]alloctest.Shape{
	// the fast path's map, then encoding/json's
	"values, trailing space": func(n int) []byte { return alloctest.Members(n, `{"v":{`, `0`, `}} `) },
	"values, float after":    func(n int) []byte { return alloctest.Members(n, `{"v":{`, `{}`, `},"c":1.5}`) },
	// deadlines: a map of int64, then one of time.Time
	"deadlines, float after": func(n int) []byte { return alloctest.Members(n, `{"t":{`, `1`, `},"c":1.5}`) },
	"escaped values":         func(n int) []byte { return alloctest.Members(n, `{"v":{`, `"\u0000"`, `}}`) },
	"escaped string":         func(n int) []byte { return alloctest.Fill(n, `{"i":"`, `\u0041`, ``, `"}`) },
	"deep nesting": func(n int) []byte {
		return append(append([]byte(`{"v":{"a":`), alloctest.Nest(min(n/2, 9990), "[", "", "]")...), "}}"...)
	},
}

// TestJSONCodecDecodeAllocations checks codecAllocK on every shape at
// every size up to 64 KB, in steps of 2 KB.
func TestJSONCodecDecodeAllocations(t *testing.T) {
	alloctest.Sweep(t, "JSONCodec.Decode", 2048, codecAllocK, codecAllocC, codecAllocShapes, func(b []byte) {
		var d Data
		JSONCodec{}.Decode(b, &d)
	})
}

// FuzzJSONCodecDecode: wherever the fast path accepts, it agrees with
// encoding/json; the public Decode never disagrees with the reference, and
// allocates at most codecAllocK bytes per input byte.
func FuzzJSONCodecDecode(f *testing.F) {
	for _, s := range codecSeeds {
		f.Add([]byte(s))
	}
	for _, s := range alloctest.Seeds(codecAllocShapes) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		var d Data
		alloctest.Check(t, "JSONCodec.Decode", len(src), codecAllocK, codecAllocC, func() { JSONCodec{}.Decode(src, &d) })
		var fast, slow Data
		okFast := decodeFast(src, &fast)
		errSlow := decodeSlow(src, &slow)
		if okFast && errSlow != nil {
			t.Fatalf("fast path accepted %q, encoding/json refuses: %v", src, errSlow)
		}
		if okFast && !reflect.DeepEqual(fast, slow) {
			t.Fatalf("fast and slow differ on %q:\nfast %#v\nslow %#v", src, fast, slow)
		}
	})
}

func TestDecodeFastTakesEncodeOutput(t *testing.T) {
	d := Data{
		Values:    map[string]json.RawMessage{},
		Created:   time.UnixMilli(1700000000000),
		UserID:    "alice",
		UserAgent: "Mozilla/5.0",
		Persist:   time.Hour,
		Deadlines: map[string]time.Time{"otp": time.UnixMilli(1700000300000)},
	}
	d.Values["n"] = []byte(`42`)
	d.Values["cart"] = []byte(`{"items":["apple","pear"]}`)
	b, err := JSONCodec{}.Encode(nil, &d)
	if err != nil {
		t.Fatal(err)
	}
	var got Data
	if !decodeFast(b, &got) {
		t.Fatalf("fast path refused Encode's output %s", b)
	}
	if !reflect.DeepEqual(got, d) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", got, d)
	}
	for _, s := range codecSeeds {
		var a, b Data
		okFast := decodeFast([]byte(s), &a)
		err := decodeSlow([]byte(s), &b)
		if okFast && (err != nil || !reflect.DeepEqual(a, b)) {
			t.Errorf("%s: fast accepted, slow says %v", s, err)
		}
	}
}

// FuzzFastValue checks the one-pass JSON check against encoding/json: on a
// value without surrounding whitespace, value accepts exactly what
// json.Valid accepts.
func FuzzFastValue(f *testing.F) {
	for _, s := range []string{`1`, `-0.5e+10`, `01`, `1.`, `"a\u00e9\"\\"`, `"\x01"`, `"\ud800"`, `"\x"`, `{"a":[1,{"b":null}]}`,
		`{ "a" : [ 1 , 2 ] }`, `[]`, `[,]`, `{"a":1,}`, `tru`, `true`, `nul`, `"\xff"`, `[[[[]]]]`, `1e`, `-`, `{"a" 1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 || isSpace(b[0]) || isSpace(b[len(b)-1]) {
			return
		}
		p := fastParser{b: b}
		got := p.value(0) && p.i == len(b)
		if want := json.Valid(b); got != want {
			t.Fatalf("value(%q) = %v, json.Valid = %v", b, got, want)
		}
	})
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func TestFastValueNesting(t *testing.T) {
	for _, n := range []int{maxDepth, maxDepth + 1} {
		b := []byte(strings.Repeat("[", n) + strings.Repeat("]", n))
		p := fastParser{b: b}
		if got, want := p.value(0) && p.i == len(b), json.Valid(b); got != want {
			t.Fatalf("depth %d: value %v, json.Valid %v", n, got, want)
		}
	}
}
