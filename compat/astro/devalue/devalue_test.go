package devalue

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"runtime"
	"strings"
	"testing"
	"time"
)

// allocBound is the most Parse may allocate for n bytes of input:
// allocPerByte*n + allocSlack.
//
// Why 64: Parse keeps a 24-byte member per index or string inside a node
// (the smallest, "0,", is 2 bytes: 12 per byte), a 32-byte node plus a
// 16-byte value slot per node, and the Go values themselves. The costliest
// shape measured (TestParseAllocation) is a one-key object, {"":0}, each
// referenced once: Go's map allocates a whole 8-slot group (~300 bytes) for
// ~9 bytes of input, about 43 bytes per byte. 64 leaves room for the
// allocator's size classes. allocSlack covers what does not grow with the
// input (the first map groups, the scanner, the runtime's own bookkeeping
// while the measurement runs).
const (
	allocPerByte = 64
	allocSlack   = 64 << 10
)

func allocBound(n int) uint64 { return uint64(allocPerByte*n + allocSlack) }

// allocated returns the bytes the heap handed out while f ran.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

func TestParseErrors(t *testing.T) {
	for in, want := range map[string]error{
		``:                                      ErrInvalid,
		`[]`:                                    ErrInvalid,
		`{}`:                                    ErrInvalid,
		`5`:                                     ErrInvalid,
		`[1]x`:                                  ErrInvalid,
		`[1] [2]`:                               ErrInvalid,
		`[{"a":7}]`:                             ErrInvalid, // index out of range
		`[{"a":"x"}]`:                           ErrInvalid, // index not a number
		`[{"a":1.5},0]`:                         ErrInvalid, // index not an integer
		`[{"a":-2}]`:                            ErrInvalid, // a hole is not a value
		`[{"a":-7}]`:                            ErrInvalid,
		`[{"__proto__":0}]`:                     ErrInvalid,
		`[["URL",0]]`:                           ErrInvalid, // the href is the URL itself
		`[["URL",1],5]`:                         ErrInvalid, // the href is not a string
		`[["Date","yesterday"]]`:                ErrInvalid, // not toISOString's form
		`[["Date","2023-02-29T00:00:00.000Z"]]`: ErrInvalid,
		`[["Date","-000000-01-01T00:00:00.000Z"]]`:      ErrInvalid,
		`[["BigInt","1.5"]]`:                            ErrInvalid,
		`[["BigInt",""]]`:                               ErrInvalid,
		`[["Map",1]]`:                                   ErrInvalid,
		`[["null","a"]]`:                                ErrInvalid,
		`[["null",1,0]]`:                                ErrInvalid,
		`[[-7,4294967296]]`:                             ErrInvalid, // beyond JavaScript's array length
		`[[-7,3,5,0]]`:                                  ErrInvalid, // index past the length
		`[[-7,3,0]]`:                                    ErrInvalid,
		`[["Int8Array",1]]`:                             ErrInvalid, // no ArrayBuffer node
		`[["Int16Array",1],["ArrayBuffer","AQID"]]`:     ErrInvalid, // 3 bytes are not whole Int16s
		`[["Int16Array",1,1],["ArrayBuffer","AQID"]]`:   ErrInvalid, // misaligned
		`[["Uint8Array",1,1,3],["ArrayBuffer","AQID"]]`: ErrInvalid, // past the buffer
		`[["Uint8Array",1,4],["ArrayBuffer","AQID"]]`:   ErrInvalid,
		`[["ArrayBuffer","AQI"]]`:                       ErrInvalid, // not padded base64
		`[["Object",1],{}]`:                             ErrInvalid, // boxes only primitives
		`[["Object",-1]]`:                               ErrInvalid,
		`[["Object",1],null]`:                           ErrInvalid,
		`[["Foo"]]`:                                     ErrInvalid, // a custom type without its payload
		`[["Foo","x"]]`:                                 ErrInvalid,
		`[["A",1],["B",0]]`:                             ErrInvalid, // custom types looping without a container
		`[["A",1],["Object",0]]`:                        ErrInvalid,
		`[["RegExp","a","gg"]]`:                         ErrInvalid,
		`[["RegExp","a","uv"]]`:                         ErrInvalid,
		`[["RegExp","a","x"]]`:                          ErrInvalid,
		`[["RegExp","a",1]]`:                            ErrInvalid,
		`[["Temporal.Instant",1]]`:                      ErrInvalid,
		`[[[0]]]`:                                       ErrInvalid, // devalue never nests JSON below a node
		`[[null]]`:                                      ErrInvalid,
		`["a` + "\x01" + `"]`:                           ErrInvalid, // a raw control character
		`["\x"]`:                                        ErrInvalid,
		`["\u12"]`:                                      ErrInvalid,
		`[01]`:                                          ErrInvalid,
		`[1.]`:                                          ErrInvalid,
		`[tru]`:                                         ErrInvalid,
		"[\"\xff\"]":                                    ErrInvalid, // not UTF-8
	} {
		if _, err := Parse(in); !errors.Is(err, want) {
			t.Errorf("Parse(%s) = %v, want %v", in, err, want)
		}
	}
}

func TestSpecialValues(t *testing.T) {
	for in, check := range map[string]func(any) bool{
		`-1`: func(v any) bool { _, ok := v.(Undefined); return ok },
		`-3`: func(v any) bool { f, ok := v.(float64); return ok && math.IsNaN(f) },
		`-4`: func(v any) bool { return v == math.Inf(1) },
		`-5`: func(v any) bool { return v == math.Inf(-1) },
		`-6`: func(v any) bool { f, ok := v.(float64); return ok && f == 0 && math.Signbit(f) },
	} {
		v, err := Parse(in)
		if err != nil || !check(v) {
			t.Errorf("Parse(%s) = %#v, %v", in, v, err)
		}
		if s, err := Stringify(v, Options{}); err != nil || s != in {
			t.Errorf("Stringify of %s = %q, %v", in, s, err)
		}
	}
}

func TestCyclesKeepIdentity(t *testing.T) {
	v, err := Parse(`[{"self":0,"list":1},[0,1]]`)
	if err != nil {
		t.Fatal(err)
	}
	o := v.(*Object)
	if o.Values["self"] != o {
		t.Fatal("a self-reference did not come back as the same object")
	}
	l := o.Values["list"].(*Array)
	if l.Elems[0] != o || l.Elems[1] != l {
		t.Fatal("references inside an array lost their identity")
	}
}

// TestReadAsJavaScriptDoes: input devalue itself never writes, read as
// devalue.parse reads it, so that Stringify writes what devalue would.
func TestReadAsJavaScriptDoes(t *testing.T) {
	for in, want := range map[string]string{
		`[["Set",1,1,2,3,4,5,5],"a",0,-0.0,-3,0.0]`:                 `[["Set",1,2,3],"a",0,-3]`,          // SameValueZero: one "a", 0 = -0
		`[["Map",1,2,1,3],"k","v","w"]`:                             `[["Map",1,2],"k","w"]`,             // a later value, the first place
		`[[-7,10,7,1,1,2,7,2],"a","b"]`:                             `[[-7,10,1,1,7,1],"b"]`,             // indexes ascending, the later wins
		`[[-7,3,0,1],"a"]`:                                          `[[1,-2,-2],"a"]`,                   // devalue's own rule picks the form
		`[[-2,-2,-2,-2,-2,-2,-2]]`:                                  `[[-7,7]]`,                          // and for a dense input too
		`[{"b":1,"2":1,"a":1,"1":1,"b":2},"x",3]`:                   `[{"1":1,"2":1,"b":2,"a":1},"x",3]`, // JSON.parse: the last duplicate, the first place
		`[["RegExp","a","yig"]]`:                                    `[["RegExp","a","giy"]]`,            // RegExp.prototype.flags' order
		`[["URLSearchParams","?a=1&&b=%zz&c+d=%41%f0%9f%98%80&e"]]`: `[["URLSearchParams","a=1&b=%25zz&c+d=A%F0%9F%98%80&e="]]`,
		`[["Date","+275761-01-01T00:00:00.000Z"]]`:                  `[["Date",""]]`, // beyond Date's range: new Date makes it invalid
		`[["BigInt","-007"]]`:                                       `[["BigInt","-7"]]`,
		`[["Uint8Array",1,0],["ArrayBuffer","AQID"]]`:               `[["Uint8Array",1],["ArrayBuffer","AQID"]]`,
		`[1e400]`:                       `-4`,
		`[1.0,1]`:                       `[1]`,
		` [ 1 , "\u0061" ] `:            `[1]`,
		`[[1,2],"\ud83d\ude00",{}]`:     "[[1,2],\"\U0001F600\",{}]",
		`[["Foo",-1]]`:                  `[["Foo",-1]]`,
		`[{"a":1},["URL","not a URL"]]`: `[{"a":1},["URL","not a URL"]]`, // kept, not checked
	} {
		v, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%s): %v", in, err)
			continue
		}
		if got, err := Stringify(v, Options{}); err != nil || got != want {
			t.Errorf("Parse(%s) writes %s, %v; want %s", in, got, err, want)
		}
	}
}

func TestURLSearchParamsDecoding(t *testing.T) {
	for in, want := range map[string][]Param{
		"a=%zz":        {{"a", "%zz"}},
		"%ff%fe=1":     {{"\uFFFD\uFFFD", "1"}},
		"%e2%82=x":     {{"\uFFFD", "x"}},                  // one maximal subpart, one U+FFFD
		"%e2%82%41":    {{"\uFFFDA", ""}},                  // the A starts over
		"%ed%a0%80":    {{"\uFFFD\uFFFD\uFFFD", ""}},       // a surrogate is not UTF-8
		"%f4%90%80%80": {{"\uFFFD\uFFFD\uFFFD\uFFFD", ""}}, // beyond U+10FFFF
		"==":           {{"", "="}},
	} {
		got := parseSearch(in)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("parseSearch(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDepth(t *testing.T) {
	nested := func(n int) string {
		var b strings.Builder
		b.WriteString("[")
		for i := 1; i < n; i++ {
			fmt.Fprintf(&b, "[%d],", i)
		}
		b.WriteString("[]]")
		return b.String()
	}
	v, err := Parse(nested(MaxDepth))
	if err != nil {
		t.Fatalf("%d levels: %v", MaxDepth, err)
	}
	if _, err := Stringify(v, Options{}); err != nil {
		t.Fatalf("%d levels written: %v", MaxDepth, err)
	}
	if _, err := Parse(nested(MaxDepth + 1)); !errors.Is(err, ErrTooDeep) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("%d levels: %v", MaxDepth+1, err)
	}
	deep := &Array{}
	for range MaxDepth {
		deep = &Array{Elems: []any{deep}}
	}
	if _, err := Stringify(deep, Options{}); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("Stringify of %d levels: %v", MaxDepth+1, err)
	}
}

func TestBigIntDigits(t *testing.T) {
	digits := strings.Repeat("1234567890", 10_000)
	in := `[["BigInt","-` + digits + `"]]`
	var v any
	var err error
	got := allocated(func() { v, err = Parse(in) })
	if err != nil {
		t.Fatal(err)
	}
	if limit := allocBound(len(in)); got > limit {
		t.Errorf("%d digits allocated %d bytes, more than %d", len(digits), got, limit)
	}
	if s, err := Stringify(v, Options{}); err != nil || s != in {
		t.Fatalf("round trip: %.40s…, %v", s, err)
	}
}

func TestStringifyRefusals(t *testing.T) {
	buf := u8(1, 2, 3)
	for _, v := range []any{
		struct{}{}, make(chan int), "\xff", &Map{Keys: []any{1}}, Hole{}, (*Date)(nil), (*Object)(nil),
		&Date{Time: time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC)},
		&RegExp{Source: "a", Flags: "q"},
		&SparseArray{Len: 2, Index: []int{1, 0}, Elems: []any{1, 2}},
		&SparseArray{Len: 2, Index: []int{2}, Elems: []any{1}},
		&TypedArray{Type: "Int16Array", Buffer: buf, Length: 2},
		&TypedArray{Type: "Int16Array", Buffer: buf, Offset: 1},
		&TypedArray{Type: "Vec3", Buffer: buf},
		&TypedArray{Type: "Uint8Array"},
		&Temporal{Type: "Temporal.Now", Text: "x"},
		&Custom{Type: "Date", Value: "x"},
		&Boxed{Value: NewObject()},
		&URLSearchParams{Params: []Param{{"\xff", ""}}},
	} {
		if _, err := Stringify(v, Options{}); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Stringify(%#v) = %v, want ErrUnsupported", v, err)
		}
	}
	if _, err := Stringify(arr(strings.Repeat("x", 100)), Options{MaxLen: 50}); !errors.Is(err, ErrTooLong) {
		t.Errorf("MaxLen: %v", err)
	}
}

func TestJSNumber(t *testing.T) {
	for f, want := range map[float64]string{
		0: "0", 1: "1", -1.5: "-1.5", 1e21: "1e+21", 1e20: "100000000000000000000", 1e-7: "1e-7",
		1e-6: "0.000001", 0.1: "0.1", 123e-20: "1.23e-18", 1.7976931348623157e308: "1.7976931348623157e+308",
		5e-324: "5e-324", -2.5e-7: "-2.5e-7",
	} {
		if got := jsNumber(f); got != want {
			t.Errorf("jsNumber(%v) = %q, want %q", f, got, want)
		}
	}
}

// allocShapes are inputs of about n bytes built to cost Parse the most
// per byte of input.
func allocShapes(n int) map[string]string {
	refs := func(count int) string { // "1,2,…,count"
		var b strings.Builder
		for i := 1; i <= count; i++ {
			if i > 1 {
				b.WriteByte(',')
			}
			fmt.Fprint(&b, i)
		}
		return b.String()
	}
	nodes := func(node string) string { // a root array referring to copies of node
		k := n / (len(node) + 6)
		return "[[" + refs(k) + "]" + strings.Repeat(","+node, k) + "]"
	}
	list := func(head, member string) string {
		return "[[" + head + strings.TrimSuffix(strings.Repeat(member, n/len(member)), ",") + "]]"
	}
	return map[string]string{
		"dense refs":      list("", "0,"),
		"dense holes":     list("", "-2,"),
		"set, one value":  list(`"Set",`, "-1,"),
		"map, one key":    list(`"Map",`, "-1,-1,"),
		"sparse pairs":    list("-7,4294967295,", "0,-1,"),
		"sparse, reverse": reverseSparse(n),
		"huge sparse":     nodes(`[-7,4294967295]`),
		"empty objects":   nodes(`{}`),
		"empty arrays":    nodes(`[]`),
		"one-key objects": nodes(`{"":-1}`),
		"one-key null":    nodes(`["null","",-1]`),
		"one-entry maps":  nodes(`["Map",-1,-1]`),
		"one-value sets":  nodes(`["Set",-1]`),
		"numbers":         nodes(`1`),
		"strings":         nodes(`"a"`),
		"boxed":           nodes(`["Object",-3]`),
		"dates":           nodes(`["Date",""]`),
		"custom":          nodes(`["A",-1]`),
		"urls":            nodes(`["URL",""]`),
		"temporal":        nodes(`["Temporal.Instant",""]`),
		"views":           "[[" + refs(n/20) + "]" + strings.Repeat(fmt.Sprintf(`,["DataView",%d]`, n/20+1), n/20) + `,["ArrayBuffer",""]]`,
		"bigint":          `[["BigInt","` + strings.Repeat("9", n) + `"]]`,
		"escapes":         `["` + strings.Repeat(`\u0041`, n/6) + `"]`,
		"search pairs":    `[["URLSearchParams","` + strings.Repeat("&a", n/2) + `"]]`,
		"search bytes":    `[["URLSearchParams","` + strings.Repeat("%ff", n/3) + `"]]`,
		"buffer":          `[["ArrayBuffer","` + strings.Repeat("AAAA", n/4) + `"]]`,
		"deep":            deepChain(min(MaxDepth, n/8)),
	}
}

func reverseSparse(n int) string {
	var b strings.Builder
	b.WriteString("[[-7,4294967295")
	for i := n / 10; i > 0; i-- {
		fmt.Fprintf(&b, ",%d,-1", i)
	}
	b.WriteString("]]")
	return b.String()
}

func deepChain(n int) string {
	var b strings.Builder
	b.WriteString("[")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "[%d],", i)
	}
	b.WriteString("[]]")
	return b.String()
}

func TestParseAllocation(t *testing.T) {
	for name, in := range allocShapes(64 << 10) {
		var err error
		got := allocated(func() { _, err = Parse(in) })
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if limit := allocBound(len(in)); got > limit {
			t.Errorf("%s: %d bytes of input allocated %d, more than %d", name, len(in), got, limit)
		}
		t.Logf("%-16s %6d bytes in, %8d allocated, %4.1f per byte", name, len(in), got, float64(got)/float64(len(in)))
	}
	// The report of issue 14: 123 bytes that cost 128 MB.
	in := "[[1,2,3,4,5,6,7,8]" + strings.Repeat(",[-7,1048576]", 8) + "]"
	if got := allocated(func() { Parse(in) }); got > allocBound(len(in)) {
		t.Errorf("eight sparse arrays of 2^20: %d bytes", got)
	}
}

// fuzzSeeds are the seed corpus of FuzzParse (and of the peer fuzz test):
// devalue's fixtures, the allocation shapes at a small size, and a few
// Astro sessions.
func fuzzSeeds() []string {
	seeds := []string{
		`["hello"]`, `[{"a":1,"b":2},1,"x"]`, `[["Map",1,2],"k",{"data":3,"expires":-1},[4,5],"a","b"]`,
		`[["Set",1,1],"x"]`, `[[-7,5,2,1],"y"]`, `[[1,-2,1],"z"]`, `[["Date","2024-02-29T12:34:56.789Z"]]`,
		`[["URL",1],"https://example.com/"]`, `[["null","a",1],2]`, `[["RegExp","a+","gi"]]`, `[["BigInt","-12"]]`, `-6`,
		`[["URLSearchParams","a=1&b=%20"]]`, `[["Object",1],"s"]`, `[["Foo",1],{"bar":0}]`,
		`[["Float16Array",1],["ArrayBuffer","AAA="]]`,
	}
	for _, fx := range fixtures {
		seeds = append(seeds, fx.json)
	}
	for _, c := range invalidInputs {
		seeds = append(seeds, c.json)
	}
	for _, in := range allocShapes(256) {
		seeds = append(seeds, in)
	}
	return seeds
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v any
		var err error
		got := allocated(func() { v, err = Parse(s) })
		if len(s) <= 64<<10 && got > allocBound(len(s)) {
			t.Fatalf("%d bytes of input allocated %d, more than %d", len(s), got, allocBound(len(s)))
		}
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q): untyped error %v", s, err)
			}
			return
		}
		// What parses writes, and what is written parses to the same
		// value and the same text.
		out, err := Stringify(v, Options{})
		if errors.Is(err, ErrTooDeep) {
			return // a visiting order that nests deeper than the input's (keys reordered)
		}
		if err != nil {
			t.Fatalf("Stringify(Parse(%q)): %v", s, err)
		}
		v2, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Stringify(Parse(%q))) = %v (wrote %s)", s, err, out)
		}
		if err := sameJS(v2, v); err != nil {
			t.Fatalf("%q → %s reads back differently: %v", s, out, err)
		}
		out2, err := Stringify(v2, Options{})
		if err != nil || out2 != out {
			t.Fatalf("not stable: %q → %s → %s (%v)", s, out, out2, err)
		}
		// Astro's URL form reads back the same.
		astro, err := Stringify(v, Options{AstroURL: true})
		if err != nil {
			t.Fatal(err)
		}
		if v3, err := Parse(astro); err != nil || sameJS(v3, v) != nil {
			t.Fatalf("Astro form %s: %v", astro, err)
		}
	})
}

// Big integers are values, not identities: two nodes of one value are one
// in JavaScript.
func TestBigIntsAreValues(t *testing.T) {
	v, err := Parse(`[[1,2],["BigInt","5"],["BigInt","5"]]`)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := Stringify(v, Options{}); s != `[[1,1],["BigInt","5"]]` {
		t.Fatal(s)
	}
	if v.(*Array).Elems[0].(*big.Int).Cmp(big.NewInt(5)) != 0 {
		t.Fatal(v)
	}
}
