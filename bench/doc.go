// Package bench compares sesh with alexedwards/scs v2 and gorilla/sessions
// on the same request shapes through a real http.Handler. It is its own
// module so that the peers never enter the library's dependencies.
//
// Run it with `make bench` from the repository root: that runs the whole
// suite COUNT times (6), pass after pass, for benchstat and for per-pass
// ratios, then the wrk end-to-end run, and writes BENCHMARKS.md.
package bench
