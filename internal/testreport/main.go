// Command testreport runs the tests of every module of the workspace for
// make test, and ends with a summary that no skipped store can hide in.
//
// For each module directory it runs `go test -json FLAGS ./...` there and
// prints what go test would print: a line per package (ok, FAIL, ?), the
// output of every failing test, build errors. A module that fails does not
// stop the next one. With -bench it then runs that module's benchmarks for
// one iteration each (go test -run '^$' -bench . -benchtime 1x), whatever
// happened before. At the end it prints:
//
//   - a table, one row per module (and one for the benchmarks): ok or FAIL,
//     the numbers of tests, subtests and benchmarks that passed, failed and
//     were skipped, and the engines its tests ran against, as they reported
//     them through storetest.Engine ("Redis 7.0.15 at 127.0.0.1:6379");
//   - every skipped test with the reason it gave, grouped by module and
//     reason;
//   - what failed.
//
// It exits with status 1 if anything failed, 2 on a usage error.
//
// Usage:
//
//	testreport [-go go] [-flags "-race -count=1"] [-bench ./bench] dir...
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

func main() {
	goCmd := flag.String("go", "go", "the go command")
	flags := flag.String("flags", "-race -count=1", "flags for go test, separated by spaces")
	bench := flag.String("bench", "", "a module directory whose benchmarks run once each at the end")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: testreport [-go go] [-flags \"-race -count=1\"] [-bench dir] dir...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 && *bench == "" {
		flag.Usage()
		os.Exit(2)
	}
	start := time.Now()
	var results []*result
	for _, dir := range flag.Args() {
		fmt.Printf("== go test %s\n", dir)
		args := append(append([]string{"test", "-json"}, strings.Fields(*flags)...), "./...")
		cmd := exec.Command(*goCmd, args...)
		cmd.Dir = dir
		results = append(results, run(cmd, moduleLabel(dir), os.Stdout))
	}
	if *bench != "" {
		fmt.Println("== benchmarks, one iteration each (they must run, not just compile)")
		cmd := exec.Command(*goCmd, "test", "-json", "-run", "^$", "-bench", ".", "-benchtime", "1x", "./...")
		cmd.Dir = *bench
		results = append(results, run(cmd, "benchmarks ("+moduleLabel(*bench)+")", os.Stdout))
	}
	title := fmt.Sprintf("go test %s in %d modules", *flags, flag.NArg())
	if *bench != "" {
		title += ", then the benchmarks once"
	}
	if !summarize(os.Stdout, results, title, time.Since(start)) {
		os.Exit(1)
	}
}

// moduleLabel names a module directory in the report.
func moduleLabel(dir string) string {
	if dir == "." || dir == "./" {
		return ". (root)"
	}
	return strings.TrimPrefix(dir, "./")
}

// run runs cmd, a go test -json, streaming its events through a collector
// that writes go test's usual lines to out, and returns the result. The
// command's standard error goes to this program's.
func run(cmd *exec.Cmd, label string, out io.Writer) *result {
	c := newCollector(label, out)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		c.finish(err)
		return c.res
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 64<<20) // a goroutine dump can be one long event
	for sc.Scan() {
		c.line(sc.Bytes())
	}
	readErr := sc.Err()
	if readErr != nil {
		readErr = fmt.Errorf("reading go test's output: %w", readErr)
		io.Copy(io.Discard, stdout) // let go test finish
	}
	c.finish(errors.Join(readErr, cmd.Wait()))
	return c.res
}
