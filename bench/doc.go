// Package bench compares sesh with alexedwards/scs v2 and gorilla/sessions
// on the same request shapes through a real http.Handler, beside the Redis
// and PostgreSQL drivers issuing the fewest commands that give sesh's
// guarantees. It is its own module so that the peers never enter the
// library's dependencies.
//
// Run it with `make bench` from the repository root (BENCH=quick for the
// short set): bench/run.sh runs the benchmarks natively for ns/op, B/op,
// allocs/op, round trips and Redis server CPU, measures heap per live
// session, counts instructions per request of each benchmark under
// valgrind's callgrind (cmd/instr), runs wrk against cmd/e2e, and writes
// BENCHMARKS.md (report). How a benchmark is measured in each mode is in
// harness_test.go.
package bench
