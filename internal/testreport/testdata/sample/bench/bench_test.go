// Package bench is a sample for testreport's tests: benchmarks (go test
// runs none in a package whose tests failed).
package bench

import "testing"

func BenchmarkRuns(b *testing.B) {
	for b.Loop() {
	}
}

func BenchmarkSkips(b *testing.B) { b.Skip("no fake server") }
