package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sesh-go/sesh/storetest"
)

func TestEngineMarkerIsStoretests(t *testing.T) {
	if engineMarker != storetest.EngineMarker {
		t.Fatalf("engineMarker = %q, storetest.EngineMarker = %q: the summary would miss every engine", engineMarker, storetest.EngineMarker)
	}
}

// stream is go test -json's output for a package with a passing test that
// reports its engine and skips a subtest, a skipped one, a failing subtest, a passing benchmark
// (no pass event) and a skipped one; a package cut short by its -timeout;
// a package that does not build; one without tests.
const stream = `{"Action":"start","Package":"m/a"}
{"Action":"run","Package":"m/a","Test":"TestPass"}
{"Action":"output","Package":"m/a","Test":"TestPass","Output":"=== RUN   TestPass\n"}
{"Action":"output","Package":"m/a","Test":"TestPass","Output":"    a_test.go:7: storetest.Engine: Redis 7.0.15 at 127.0.0.1:6379\n"}
{"Action":"run","Package":"m/a","Test":"TestPass/Lister"}
{"Action":"output","Package":"m/a","Test":"TestPass/Lister","Output":"    capabilities.go:9: store *x.Store does not implement sesh.Lister\n"}
{"Action":"output","Package":"m/a","Test":"TestPass/Lister","Output":"--- SKIP: TestPass/Lister (0.00s)\n"}
{"Action":"skip","Package":"m/a","Test":"TestPass/Lister"}
{"Action":"output","Package":"m/a","Test":"TestPass","Output":"--- PASS: TestPass (0.00s)\n"}
{"Action":"pass","Package":"m/a","Test":"TestPass"}
{"Action":"run","Package":"m/a","Test":"TestSkip"}
{"Action":"output","Package":"m/a","Test":"TestSkip","Output":"=== RUN   TestSkip\n"}
{"Action":"output","Package":"m/a","Test":"TestSkip","Output":"    a_test.go:11: an earlier line\n"}
{"Action":"output","Package":"m/a","Test":"TestSkip","Output":"    a_test.go:12: SESH_REDIS_URL is not set: skipping\n"}
{"Action":"output","Package":"m/a","Test":"TestSkip","Output":"        second line of the reason\n"}
{"Action":"output","Package":"m/a","Test":"TestSkip","Output":"--- SKIP: TestSkip (0.00s)\n"}
{"Action":"skip","Package":"m/a","Test":"TestSkip"}
{"Action":"run","Package":"m/a","Test":"TestFail"}
{"Action":"output","Package":"m/a","Test":"TestFail","Output":"=== RUN   TestFail\n"}
{"Action":"run","Package":"m/a","Test":"TestFail/sub"}
{"Action":"output","Package":"m/a","Test":"TestFail/sub","Output":"=== RUN   TestFail/sub\n"}
{"Action":"output","Package":"m/a","Test":"TestFail/sub","Output":"    a_test.go:16: boom\n"}
{"Action":"output","Package":"m/a","Test":"TestFail/sub","Output":"--- FAIL: TestFail/sub (0.00s)\n"}
{"Action":"fail","Package":"m/a","Test":"TestFail/sub"}
{"Action":"output","Package":"m/a","Test":"TestFail","Output":"--- FAIL: TestFail (0.00s)\n"}
{"Action":"fail","Package":"m/a","Test":"TestFail"}
{"Action":"run","Package":"m/a","Test":"BenchmarkRuns"}
{"Action":"output","Package":"m/a","Test":"BenchmarkRuns","Output":"BenchmarkRuns-2   \t"}
{"Action":"output","Package":"m/a","Test":"BenchmarkRuns","Output":"       1\t       355.0 ns/op\n"}
{"Action":"run","Package":"m/a","Test":"BenchmarkSkips"}
{"Action":"output","Package":"m/a","Test":"BenchmarkSkips","Output":"    a_test.go:20: no server\n"}
{"Action":"output","Package":"m/a","Test":"BenchmarkSkips","Output":"--- SKIP: BenchmarkSkips\n"}
{"Action":"skip","Package":"m/a","Test":"BenchmarkSkips"}
{"Action":"output","Package":"m/a","Output":"FAIL\n"}
{"Action":"output","Package":"m/a","Output":"FAIL\tm/a\t0.010s\n"}
{"Action":"fail","Package":"m/a"}
{"Action":"start","Package":"m/hang"}
{"Action":"run","Package":"m/hang","Test":"TestHang"}
{"Action":"output","Package":"m/hang","Test":"TestHang","Output":"=== RUN   TestHang\n"}
{"Action":"output","Package":"m/hang","Test":"TestHang","Output":"panic: test timed out after 1s\n"}
{"Action":"output","Package":"m/hang","Output":"FAIL\tm/hang\t1.005s\n"}
{"Action":"fail","Package":"m/hang"}
{"ImportPath":"m/broken [m/broken.test]","Action":"build-output","Output":"# m/broken [m/broken.test]\n"}
{"ImportPath":"m/broken [m/broken.test]","Action":"build-output","Output":"broken.go:4:23: undefined: undefinedName\n"}
{"ImportPath":"m/broken [m/broken.test]","Action":"build-fail"}
{"Action":"start","Package":"m/broken"}
{"Action":"output","Package":"m/broken","Output":"FAIL\tm/broken [build failed]\n"}
{"Action":"fail","Package":"m/broken","FailedBuild":"m/broken [m/broken.test]"}
{"Action":"start","Package":"m/ok"}
{"Action":"run","Package":"m/ok","Test":"TestOK"}
{"Action":"output","Package":"m/ok","Test":"TestOK","Output":"    ok_test.go:3: storetest.Engine: Redis 7.0.15 at 127.0.0.1:6379\n"}
{"Action":"output","Package":"m/ok","Test":"TestOK","Output":"    ok_test.go:4: storetest.Engine: memstore, in-process\n"}
{"Action":"pass","Package":"m/ok","Test":"TestOK"}
{"Action":"output","Package":"m/ok","Output":"PASS\n"}
{"Action":"output","Package":"m/ok","Output":"ok  \tm/ok\t0.003s\n"}
{"Action":"pass","Package":"m/ok"}
{"Action":"start","Package":"m/none"}
{"Action":"output","Package":"m/none","Output":"?   \tm/none\t[no test files]\n"}
{"Action":"skip","Package":"m/none"}
not json: passed on
`

func collect(t *testing.T, label, s string) (*result, string) {
	t.Helper()
	var out bytes.Buffer
	c := newCollector(label, &out)
	for l := range strings.SplitSeq(strings.TrimSuffix(s, "\n"), "\n") {
		c.line([]byte(l))
	}
	c.finish(nil)
	return c.res, out.String()
}

func TestCollector(t *testing.T) {
	r, out := collect(t, "m", stream)
	// TestPass, BenchmarkRuns, TestOK; TestPass/Lister, TestSkip,
	// BenchmarkSkips; TestFail/sub, TestFail, TestHang.
	if r.pass != 3 || r.skip != 3 || r.fail != 3 {
		t.Errorf("pass/skip/fail = %d/%d/%d, want 3/3/3", r.pass, r.skip, r.fail)
	}
	wantEngines := []string{"Redis 7.0.15 at 127.0.0.1:6379", "memstore, in-process"}
	if !slices.Equal(r.engines, wantEngines) {
		t.Errorf("engines = %q, want %q", r.engines, wantEngines)
	}
	wantSkips := []skipped{
		{"m/a", "TestPass/Lister", "store *x.Store does not implement sesh.Lister"},
		{"m/a", "TestSkip", "SESH_REDIS_URL is not set: skipping"},
		{"m/a", "BenchmarkSkips", "no server"},
	}
	if !slices.Equal(r.skips, wantSkips) {
		t.Errorf("skips = %q, want %q", r.skips, wantSkips)
	}
	wantFailures := []string{"m/a TestFail/sub", "m/hang TestHang", "m/broken [build failed]"}
	if !slices.Equal(r.failures, wantFailures) {
		t.Errorf("failures = %q, want %q", r.failures, wantFailures)
	}
	for _, want := range []string{
		"    a_test.go:16: boom\n--- FAIL: TestFail/sub (0.00s)\n--- FAIL: TestFail (0.00s)\n", // a failing test's output
		"FAIL\tm/a\t0.010s\n",
		"panic: test timed out after 1s\n", // a test cut short
		"FAIL\tm/hang\t1.005s\n",
		"broken.go:4:23: undefined: undefinedName\n", // build errors
		"FAIL\tm/broken [build failed]\n",
		"ok  \tm/ok\t0.003s\n",
		"?   \tm/none\t[no test files]\n",
		"not json: passed on\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q; it is:\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"=== RUN", "storetest.Engine", "an earlier line", "ns/op", "PASS\n"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("output has %q, which go test does not print for passing and skipped tests; it is:\n%s", unwanted, out)
		}
	}
}

func TestCollectorGoTestFailsAlone(t *testing.T) {
	var out bytes.Buffer
	c := newCollector("m", &out)
	c.finish(&exec.ExitError{})
	if c.res.ok() {
		t.Fatal("go test exited non-zero with no event: the module passed")
	}
}

func TestSummary(t *testing.T) {
	bad, _ := collect(t, "redisstore", stream)
	good, _ := collect(t, ". (root)", `{"Action":"run","Package":"m","Test":"TestX"}
{"Action":"output","Package":"m","Test":"TestX","Output":"    x_test.go:1: storetest.Engine: memstore, in-process\n"}
{"Action":"pass","Package":"m","Test":"TestX"}
{"Action":"pass","Package":"m"}`)
	var w bytes.Buffer
	if summarize(&w, []*result{good, bad}, "go test", 0) {
		t.Fatal("summarize reported success with a failed module")
	}
	got := w.String()
	for _, want := range []string{
		"MODULE      RESULT  PASS  FAIL  SKIP  ENGINE\n",
		". (root)    ok         1     0     0  memstore, in-process\n",
		"redisstore  FAIL       3     3     3  Redis 7.0.15 at 127.0.0.1:6379; memstore, in-process\n",
		"== SKIPPED: 2 whole tests or benchmarks, by module and reason\nredisstore (2):\n  SESH_REDIS_URL is not set: skipping\n      1 in m/a: TestSkip\n  no server\n      1 in m/a: BenchmarkSkips\n",
		"== skipped subtests: 1, by module and reason\nredisstore (1):\n  store *x.Store does not implement sesh.Lister\n      1 in m/a: TestPass/Lister\n",
		"== FAIL: 1 of 2 failed\nredisstore:\n  m/a TestFail/sub\n  m/hang TestHang\n  m/broken [build failed]\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q; it is:\n%s", want, got)
		}
	}
	w.Reset()
	if !summarize(&w, []*result{good}, "go test", 0) || !strings.Contains(w.String(), "== ok: all 1 passed") || strings.Contains(strings.ToLower(w.String()), "skipped") {
		t.Errorf("summary of one passing module without skips:\n%s", w.String())
	}
}

// TestRealGoTest runs go test -json on testdata/sample, a module with a
// passing, a skipped and a failing test, a package that does not build,
// one without tests and one with benchmarks, as make test does (the tests,
// then the benchmarks once): the collector must read what the go command
// really writes, not only the stream above.
func TestRealGoTest(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test on a sample module; skipped in -short mode")
	}
	goTest := func(args ...string) (*result, string) {
		// go test puts its own GOROOT/bin first on PATH.
		cmd := exec.Command("go", append([]string{"test", "-json", "-count=1"}, args...)...)
		cmd.Dir = filepath.Join("testdata", "sample")
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
		var out bytes.Buffer
		return run(cmd, "sample", &out), out.String()
	}

	r, out := goTest("./...")
	if r.pass != 2 || r.skip != 1 || r.fail != 2 { // TestPass, TestPass/sub; TestSkip; TestFail/sub, TestFail
		t.Errorf("pass/skip/fail = %d/%d/%d, want 2/1/2; output:\n%s", r.pass, r.skip, r.fail, out)
	}
	if !slices.Equal(r.engines, []string{"Fake 1.2.3 at 127.0.0.1:1"}) {
		t.Errorf("engines = %q", r.engines)
	}
	wantSkips := []skipped{{"sample/good", "TestSkip", "SESH_FAKE_URL is not set: skipping"}}
	if !slices.Equal(r.skips, wantSkips) {
		t.Errorf("skips = %q, want %q", r.skips, wantSkips)
	}
	slices.Sort(r.failures) // the packages run in parallel
	wantFailures := []string{"sample/broken [build failed]", "sample/good TestFail/sub"}
	if !slices.Equal(r.failures, wantFailures) {
		t.Errorf("failures = %q, want %q; output:\n%s", r.failures, wantFailures, out)
	}
	for _, want := range []string{"undefined: undefinedName", "good_test.go:17: boom", "FAIL\tsample/good", "ok  \tsample/bench", "?   \tsample/notests\t[no test files]"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q; it is:\n%s", want, out)
		}
	}

	r, out = goTest("-run", "^$", "-bench", ".", "-benchtime", "1x", "./bench")
	if r.pass != 1 || r.skip != 1 || r.fail != 0 || !r.ok() { // BenchmarkRuns; BenchmarkSkips
		t.Errorf("benchmarks: pass/skip/fail = %d/%d/%d, failures %q, want 1/1/0 and none; output:\n%s", r.pass, r.skip, r.fail, r.failures, out)
	}
	if want := []skipped{{"sample/bench", "BenchmarkSkips", "no fake server"}}; !slices.Equal(r.skips, want) {
		t.Errorf("benchmarks: skips = %q, want %q", r.skips, want)
	}
}
