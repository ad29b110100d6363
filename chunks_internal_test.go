package sesh

import (
	"strconv"
	"strings"
	"testing"
)

func chunkNamer(i int) string { return "s." + strconv.Itoa(i) }

func TestJoinChunks(t *testing.T) {
	cases := []struct {
		lines  []string
		joined string
		n      int
	}{
		{nil, "", 0},
		{[]string{"s.0=ab; s.1=cd"}, "abcd", 2},
		{[]string{"s.1=cd", "s.0=ab"}, "abcd", 2},       // order of cookies does not matter
		{[]string{"s.0=ab; s.2=ef"}, "ab", 1},           // stops at the first gap
		{[]string{"s.0=ab; s.0=xx; s.1=cd"}, "abcd", 2}, // first value of each chunk
		{[]string{"s.0=a; s.1=b; s.2=c; s.3=d"}, "", 4}, // more than maxChunks (3)
		{[]string{"s.00=a; s.1=b"}, "", 0},              // names are exact
		{[]string{"s.0=" + strings.Repeat("x", 4000)}, strings.Repeat("x", 4000), 1},
	}
	for i, c := range cases {
		joined, n := joinChunks(c.lines, chunkNamer, 3)
		if joined != c.joined || n != c.n {
			t.Errorf("case %d: got %q, %d; want %q, %d", i, joined, n, c.joined, c.n)
		}
	}
}

func FuzzJoinChunks(f *testing.F) {
	f.Add("s.0=ab; s.1=cd", "s.2=ef")
	f.Add("s.0=\"q\"; s.1=%41", "")
	f.Add(";;s.0=;s.1", "s.0=x")
	f.Add(strings.Repeat("s.0=a;", 100), strings.Repeat("s.1=", 10))
	f.Fuzz(func(t *testing.T, a, b string) {
		joined, n := joinChunks([]string{a, b}, chunkNamer, 4)
		if n < 0 || n > 5 {
			t.Fatalf("n = %d", n)
		}
		if len(joined) > 4*MaxCookieLine {
			t.Fatalf("joined %d bytes", len(joined))
		}
		if n > 4 && joined != "" {
			t.Fatal("joined more chunks than allowed")
		}
	})
}
