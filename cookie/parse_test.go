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

func FuzzParse(f *testing.F) {
	for _, s := range []string{"a=1; b=2", `a="x"`, "a=%41", "a=%zz", ";;=;", "__Host-id=v", "a=b=c", "\u00a0a=1", strings.Repeat("x=1;", 50)} {
		f.Add(s, "a")
	}
	f.Fuzz(func(t *testing.T, line, name string) {
		for _, p := range Parse(line) {
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
	})
}
