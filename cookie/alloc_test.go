package cookie

import (
	"runtime"
	"testing"
)

// Allocation bounds for the decoders of client input. Each fuzz target
// checks that a decoder allocates at most k*len(input) + c bytes, for
// inputs up to 64 KB (the seeds include 64 KB inputs). The slopes, from
// the code:
//
//   - Values: one string header (16 bytes) per value returned, and a value
//     takes at least 3 bytes of header ("n=;"), so 16/3 ≈ 5.3 per byte,
//     plus the percent-decoded copies (each no longer than its source)
//     and size-class rounding: allocValuesK.
//   - Parse: one Pair (32 bytes) per pair of at least 3 bytes: 32/3 ≈ 10.7
//     per byte, with rounding: allocParseK.
//   - Signer.Verify / VerifyFor: HMAC states come from a pool, so a
//     constant; base64 decoding of the 32-byte MAC is on the stack.
//   - Sealer.Open: the decoded body, 3/4 of the input, rounded up to a
//     size class: allocOpenK.
//
// Under the race detector sync.Pool drops a quarter of what is put back,
// so each verification may build new HMAC states (about 1.2 KB per
// secret): raceHMACPerByte spreads that over the shortest value that
// reaches the HMAC (44 bytes: "." and a 43-character MAC).
const (
	allocValuesK = 7
	allocParseK  = 12
	allocOpenK   = 1
	// allocConst covers fixed costs: a pool refilled after a GC, a JSON
	// decoder's state, rounding of the last allocation.
	allocConst = 8 << 10
)

// allocBytes returns the fewest bytes f allocated over three runs: other
// goroutines (the fuzzing engine's) can only add to a run's count.
func allocBytes(f func()) uint64 {
	best := ^uint64(0)
	var a, b runtime.MemStats
	for range 3 {
		runtime.ReadMemStats(&a)
		f()
		runtime.ReadMemStats(&b)
		best = min(best, b.TotalAlloc-a.TotalAlloc)
	}
	return best
}

// checkAllocs fails t if f allocates more than k*n + c bytes.
func checkAllocs(t *testing.T, what string, n int, k, c uint64, f func()) {
	t.Helper()
	if got, limit := allocBytes(f), k*uint64(n)+c; got > limit {
		t.Fatalf("%s allocated %d bytes for %d bytes of input; the bound is %d*%d+%d = %d", what, got, n, k, n, c, limit)
	}
}
