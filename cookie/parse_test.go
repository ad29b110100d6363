package cookie

import (
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		line string
		want []Pair
	}{
		{"", nil},
		{"a=1", []Pair{{"a", "1"}}},
		{"a=1; b=2;c=3", []Pair{{"a", "1"}, {"b", "2"}, {"c", "3"}}},
		{`a="quoted"`, []Pair{{"a", "quoted"}}},
		{`a="`, []Pair{{"a", `"`}}},
		{"a=%41%42", []Pair{{"a", "AB"}}},
		{"a=x+y", []Pair{{"a", "x+y"}}},
		{"a=%zz+%4", []Pair{{"a", "%zz+%4"}}},
		{"a=s%3Aid.sig%2B", []Pair{{"a", "s:id.sig+"}}},
		{";;;=;=x; ;a", nil},
		{"a=b=c", []Pair{{"a", "b=c"}}},
		{"a=  spaced \t", []Pair{{"a", "spaced"}}},
		{"name =v", []Pair{{"name ", "v"}}},
		{"\u00a0n=v", []Pair{{"\u00a0n", "v"}}},
		{"a=", []Pair{{"a", ""}}},
	}
	for _, c := range cases {
		if got := Parse(c.line); !slices.Equal(got, c.want) {
			t.Errorf("Parse(%q) = %q, want %q", c.line, got, c.want)
		}
	}
}

func TestValuesExactNames(t *testing.T) {
	lines := []string{"__Host-id=first; other=x", "__%48ost-id=enc; __host-id=lower; \u00a0__Host-id=nbsp; __Host-id =sp", "__Host-id=second"}
	if got := Values(lines, "__Host-id"); !slices.Equal(got, []string{"first", "second"}) {
		t.Fatalf("Values = %q", got)
	}
	if got := Values(lines, "missing"); got != nil {
		t.Fatalf("missing name: %q", got)
	}
}

func TestValuesLimits(t *testing.T) {
	many := strings.Repeat("x=1; ", MaxCookies) + "sid=v"
	if got := Values([]string{many}, "sid"); got != nil {
		t.Fatalf("more than MaxCookies pairs: %q", got)
	}
	ok := strings.Repeat("x=1; ", MaxCookies-1) + "sid=v"
	if got := Values([]string{ok}, "sid"); !slices.Equal(got, []string{"v"}) {
		t.Fatalf("exactly MaxCookies pairs: %q", got)
	}
	long := "sid=" + strings.Repeat("a", MaxValueLen+1) + "; sid=short"
	if got := Values([]string{long}, "sid"); !slices.Equal(got, []string{"short"}) {
		t.Fatalf("overlong value not skipped: %d values", len(got))
	}
}

// A hostile 64 KB Cookie header: thousands of pairs, all of one name,
// with and without escapes. Parse and Values allocate once for the result
// (sized by a first pass), plus each decoded value.
func TestValuesHostileHeader(t *testing.T) {
	for name, h := range hostileHeaders() {
		if len(h) > 64<<10 {
			t.Fatalf("%s: %d bytes", name, len(h))
		}
		checkAllocs(t, name+": Values", len(h), allocValuesK, allocConst, func() { Values([]string{h}, "sid") })
		checkAllocs(t, name+": Parse", len(h), allocParseK, allocConst, func() { Parse(h) })
	}
	// Past MaxCookies pairs, nothing is returned and nothing is allocated.
	over := strings.Repeat("sid=%41;", MaxCookies+1)
	if got := allocBytes(func() { Values([]string{over}, "sid"); Parse(over) }); got != 0 {
		t.Fatalf("a header over MaxCookies allocated %d bytes", got)
	}
	if Parse(over) != nil {
		t.Fatal("Parse returned pairs past MaxCookies")
	}
}

func hostileHeaders() map[string]string {
	return map[string]string{
		"empty values":      strings.Repeat("sid=;", MaxCookies),
		"escaped values":    strings.Repeat("sid=%41;", MaxCookies),
		"one-letter names":  strings.Repeat("a=;", MaxCookies),
		"long escapes":      strings.Repeat("sid="+strings.Repeat("%41", 1365)+";", 15),
		"quoted":            strings.Repeat(`sid="x";`, MaxCookies),
		"separators only":   strings.Repeat(";", 64<<10),
		"one value of 64KB": "sid=" + strings.Repeat("a", 64<<10-4),
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"a=1; b=2", `a="x"`, "a=%41", "a=%zz", ";;=;", "__Host-id=v", "a=b=c", "\u00a0a=1", strings.Repeat("x=1;", 50)} {
		f.Add(s, "a")
	}
	for _, h := range hostileHeaders() {
		f.Add(h, "sid")
	}
	f.Fuzz(func(t *testing.T, line, name string) {
		pairs := Parse(line)
		if len(pairs) > MaxCookies {
			t.Fatalf("%d pairs", len(pairs))
		}
		for _, p := range pairs {
			if !strings.Contains(line, p.Name) || p.Name == "" {
				t.Fatalf("name %q is not from the input", p.Name)
			}
			if len(p.Value) > len(line) {
				t.Fatalf("value longer than the line")
			}
		}
		vals := Values([]string{line, line}, name)
		if len(vals) > MaxCookies {
			t.Fatalf("%d values", len(vals))
		}
		for _, v := range vals {
			if len(v) > MaxValueLen {
				t.Fatalf("value of %d bytes", len(v))
			}
		}
		if len(line) <= 32<<10 {
			checkAllocs(t, "Values", 2*len(line), allocValuesK, allocConst, func() { Values([]string{line, line}, name) })
		}
		if len(line) <= 64<<10 {
			checkAllocs(t, "Parse", len(line), allocParseK, allocConst, func() { Parse(line) })
		}
	})
}
