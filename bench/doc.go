// Package bench compares sesh with alexedwards/scs v2 and gorilla/sessions
// on the same request shapes through a real http.Handler. It is its own
// module so that the peers never enter the library's dependencies.
//
// Run it with `make bench` from the repository root: that runs every
// benchmark with -count for benchstat, the wrk end-to-end run, and writes
// BENCHMARKS.md.
package bench
