//go:build race

package alloctest

// Race reports whether the race detector is on. Under it sync.Pool drops a
// quarter of what is put back, so a decoder that pools its state (an HMAC)
// may build it again on any call: bounds add that cost when Race is set.
const Race = true
