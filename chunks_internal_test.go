package sesh

import (
	"strconv"
	"strings"
	"testing"

	"github.com/sesh-go/sesh/internal/alloctest"
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

// Allocation bound of joinChunks, for inputs up to 64 KB: it calls
// cookie.Values once per chunk name (maxChunks+1 times), and a value
// matches one name at most, so together those calls cost what one call
// costs, at most 7 bytes per byte (16 bytes of string header per value of
// at least 3 bytes, plus the percent-decoded copies; see
// cookie/alloc_test.go); the joined value is one more copy of at most the
// input: k = 8. The constant covers the chunk names.
const (
	chunksAllocK = 8
	chunksAllocC = 8 << 10
)

func FuzzJoinChunks(f *testing.F) {
	f.Add("s.0=ab; s.1=cd", "s.2=ef")
	f.Add("s.0=\"q\"; s.1=%41", "")
	f.Add(";;s.0=;s.1", "s.0=x")
	f.Add(strings.Repeat("s.0=a;", 100), strings.Repeat("s.1=", 10))
	// 64 KB: the most values per byte, and the longest escaped chunks.
	f.Add(strings.Repeat("s.0=;", 1500)+strings.Repeat(";", 32<<10-7500), strings.Repeat("s.1=;", 1500)+strings.Repeat(";", 32<<10-7500))
	chunk := strings.Repeat("%41", 1365)
	f.Add("s.0="+chunk+"; s.1="+chunk+"; s.2="+chunk+"; s.3="+chunk, strings.Repeat("s.4="+chunk+";", 11))
	f.Fuzz(func(t *testing.T, a, b string) {
		alloctest.Check(t, "joinChunks", len(a)+len(b), chunksAllocK, chunksAllocC, func() { joinChunks([]string{a, b}, chunkNamer, 4) })
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
