// Package alloctest measures what a function allocates, for the fuzz
// targets that bound the allocations of sesh's decoders: each asserts that
// decoding n bytes of input allocates at most k*n + c bytes, for inputs of
// up to MaxInput bytes.
package alloctest

import (
	"runtime"
	"testing"
)

// MaxInput is the largest input whose allocations the fuzz targets bound.
const MaxInput = 64 << 10

// Bytes returns the fewest bytes f allocated over three runs: other
// goroutines (the fuzzing engine's, a store's sweeper) can only add to a
// run's count, so the smallest is the closest to f's own.
func Bytes(f func()) uint64 { return bytesOf(3, f) }

func bytesOf(runs int, f func()) uint64 {
	best := ^uint64(0)
	var a, b runtime.MemStats
	for range runs {
		runtime.ReadMemStats(&a)
		f()
		runtime.ReadMemStats(&b)
		best = min(best, b.TotalAlloc-a.TotalAlloc)
	}
	return best
}

// Check fails t if f allocates more than k*n + c bytes in each of three
// runs, n being the length of f's input. Inputs longer than MaxInput are
// not checked.
func Check(t testing.TB, what string, n int, k, c uint64, f func()) {
	t.Helper()
	check(t, 3, what, n, k, c, f)
}

func check(t testing.TB, runs int, what string, n int, k, c uint64, f func()) {
	t.Helper()
	if n > MaxInput {
		return
	}
	limit := k*uint64(n) + c
	got := bytesOf(1, f)
	if got > limit && runs > 1 {
		got = min(got, bytesOf(runs-1, f)) // measure again only when it matters
	}
	if got > limit {
		t.Fatalf("%s allocated %d bytes for %d bytes of input; the bound is %d*%d+%d = %d", what, got, n, k, n, c, limit)
	}
}

// keyAlphabet spells the distinct keys of Members.
const keyAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"

// key returns the i-th shortest key over keyAlphabet.
func key(i int) string {
	n, width := len(keyAlphabet), 1
	for i >= n {
		i -= n
		n *= len(keyAlphabet)
		width++
	}
	b := make([]byte, width)
	for j := width - 1; j >= 0; j-- {
		b[j] = keyAlphabet[i%len(keyAlphabet)]
		i /= len(keyAlphabet)
	}
	return string(b)
}

// Members returns a JSON text of at most n bytes (if prefix and suffix
// fit): prefix, then as many members `"<key>":<value>` with distinct keys,
// shortest keys first, separated by commas, as fit before suffix. It makes
// the worst case of a decoder that builds a map: the most entries per byte.
func Members(n int, prefix, value, suffix string) []byte {
	b := append(make([]byte, 0, n), prefix...)
	for i := 0; ; i++ {
		k := key(i)
		need := len(k) + 3 + len(value)
		if i > 0 {
			need++
		}
		if len(b)+need+len(suffix) > n {
			break
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
		b = append(b, value...)
	}
	return append(b, suffix...)
}

// Fill returns prefix, then unit repeated (separated by sep) as often as
// fits in n bytes before suffix.
func Fill(n int, prefix, unit, sep, suffix string) []byte {
	b := append(make([]byte, 0, n), prefix...)
	for i := 0; ; i++ {
		need := len(unit)
		if i > 0 {
			need += len(sep)
		}
		if len(b)+need+len(suffix) > n {
			break
		}
		if i > 0 {
			b = append(b, sep...)
		}
		b = append(b, unit...)
	}
	return append(b, suffix...)
}

// Nest returns open repeated depth times, then middle, then close repeated
// depth times.
func Nest(depth int, open, middle, close string) []byte {
	b := make([]byte, 0, depth*(len(open)+len(close))+len(middle))
	for range depth {
		b = append(b, open...)
	}
	b = append(b, middle...)
	for range depth {
		b = append(b, close...)
	}
	return b
}

// A Shape makes an input of about n bytes (at most n when n is large
// enough for its fixed parts).
type Shape func(n int) []byte

// Sweep checks f's bound on every shape at sizes from step to MaxInput in
// steps of step: a map's cost per entry depends on where its last growth
// fell, so a shape's worst size is not always the largest. It measures
// each size once (a test runs nothing else that allocates).
func Sweep(t *testing.T, what string, step int, k, c uint64, shapes map[string]Shape, f func([]byte)) {
	t.Helper()
	for name, shape := range shapes {
		for n := step; n <= MaxInput; n += step {
			in := shape(n)
			check(t, 1, what+" of "+name, len(in), k, c, func() { f(in) })
		}
	}
}

// Seeds returns every shape at MaxInput bytes, for a fuzz target's corpus.
func Seeds(shapes map[string]Shape) [][]byte {
	out := make([][]byte, 0, len(shapes))
	for _, shape := range shapes {
		out = append(out, shape(MaxInput))
	}
	return out
}
