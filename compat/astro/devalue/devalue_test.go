package devalue

import (
	"errors"
	"math"
	"testing"
)

func TestParseErrors(t *testing.T) {
	for in, want := range map[string]error{
		``:                       ErrInvalid,
		`[]`:                     ErrInvalid,
		`{}`:                     ErrInvalid,
		`5`:                      ErrInvalid,
		`[1]x`:                   ErrInvalid,
		`[{"a":7}]`:              ErrInvalid, // index out of range
		`[{"a":"x"}]`:            ErrInvalid, // index not a number
		`[{"__proto__":0}]`:      ErrInvalid,
		`[["URL",0]]`:            ErrInvalid, // the href is the URL itself
		`[["Date","yesterday"]]`: ErrInvalid,
		`[["BigInt","1.5"]]`:     ErrInvalid,
		`[["Map",1]]`:            ErrInvalid,
		`[[-7,4294967296]]`:      ErrInvalid, // beyond JavaScript's array length
		`[[-7,3,5,0]]`:           ErrInvalid, // index past the length
		`[["Int8Array",1]]`:      ErrInvalid, // no ArrayBuffer node
		`[["Int16Array",1],["ArrayBuffer","AQID"]]`:     ErrInvalid, // 3 bytes are not whole Int16s
		`[["Uint8Array",1,1,3],["ArrayBuffer","AQID"]]`: ErrInvalid, // past the buffer
		`[["Object",1],{}]`:                             ErrInvalid, // boxes only primitives
		`[["Foo"]]`:                                     ErrInvalid, // a custom type without its payload
		`[["A",1],["B",0]]`:                             ErrInvalid, // custom types looping without a container
		`[["RegExp","a","gg"]]`:                         ErrInvalid,
		`[[[0]]]`:                                       ErrInvalid, // devalue never nests JSON below a node
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

func TestStringifyRefusals(t *testing.T) {
	for _, v := range []any{struct{}{}, make(chan int), "\xff", &Map{Keys: []any{1}}, Hole{}} {
		if _, err := Stringify(v, Options{}); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Stringify(%#v) = %v, want ErrUnsupported", v, err)
		}
	}
}

func TestJSNumber(t *testing.T) {
	for f, want := range map[float64]string{
		0: "0", 1: "1", -1.5: "-1.5", 1e21: "1e+21", 1e20: "100000000000000000000", 1e-7: "1e-7",
		1e-6: "0.000001", 0.1: "0.1", 123e-20: "1.23e-18", 1.7976931348623157e308: "1.7976931348623157e+308",
	} {
		if got := jsNumber(f); got != want {
			t.Errorf("jsNumber(%v) = %q, want %q", f, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`["hello"]`, `[{"a":1,"b":2},1,"x"]`, `[["Map",1,2],"k",{"data":3,"expires":-1},[4,5],"a","b"]`,
		`[["Set",1,1],"x"]`, `[[-7,5,2,1],"y"]`, `[[1,-2,1],"z"]`, `[["Date","2024-02-29T12:34:56.789Z"]]`,
		`[["URL",1],"https://example.com/"]`, `[["null","a",1],2]`, `[["RegExp","a+","gi"]]`, `[["BigInt","-12"]]`, `-6`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("Parse(%q): untyped error %v", s, err)
			}
			return
		}
		// What parses writes, and what is written parses to the same text.
		out, err := Stringify(v, Options{})
		if err != nil {
			return // e.g. a string that is not UTF-8 after JSON decoding
		}
		v2, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Stringify(Parse(%q))) = %v (wrote %s)", s, err, out)
		}
		out2, err := Stringify(v2, Options{})
		if err != nil || out2 != out {
			t.Fatalf("not stable: %q → %s → %s (%v)", s, out, out2, err)
		}
	})
}
