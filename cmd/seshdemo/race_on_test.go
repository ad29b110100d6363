//go:build race

package main

// raceEnabled: this test binary runs with the race detector, and so does
// the one TestStoreSchemes builds with the allstores tag (so that both share
// Go's build cache).
const raceEnabled = true
