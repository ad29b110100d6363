//go:build race

package remix

// raceHMACPerByte: under the race detector sync.Pool drops a quarter of
// what is put back, so a verification may build fresh HMAC states (about
// 1.2 KB for each of the test's two secrets) for each value of at least
// 44 bytes ("." and a 43-character MAC).
const raceHMACPerByte = 2 * 1200 / 44
