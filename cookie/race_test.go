//go:build race

package cookie

// raceHMACPerByte: see alloc_test.go. Two secrets in the tests, about
// 1.2 KB of fresh HMAC state each, per 44 bytes of input.
const raceHMACPerByte = 2 * 1200 / 44
