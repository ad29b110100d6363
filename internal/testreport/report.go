package main

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
)

// engineMarker is storetest.EngineMarker (the unit test checks they agree;
// this program does not import package testing's helpers).
const engineMarker = "storetest.Engine: "

// event is one line of go test -json (cmd/test2json's TestEvent, and the
// build events of go test).
type event struct {
	Action      string
	Package     string
	Test        string
	Output      string
	ImportPath  string // build-output, build-fail
	FailedBuild string // on a package's fail
}

// result is what one module's run came to.
type result struct {
	label            string
	pass, fail, skip int      // tests, subtests and benchmarks
	engines          []string // as storetest.Engine reported them, first seen first
	skips            []skipped
	failures         []string // "pkg TestX/sub", "pkg [build failed]", "go test: exit status 1"
}

type skipped struct{ pkg, test, reason string }

func (r *result) ok() bool { return len(r.failures) == 0 }

type testKey struct{ pkg, test string }

// collector turns a module's go test -json stream into go test's usual
// lines on out and a result.
type collector struct {
	res    *result
	out    io.Writer
	tests  map[testKey][]string // output of the tests that have not ended
	pkgOut map[string][]string  // package-level output, by package
}

func newCollector(label string, out io.Writer) *collector {
	return &collector{res: &result{label: label}, out: out, tests: map[testKey][]string{}, pkgOut: map[string][]string{}}
}

// line handles one line of go test's standard output.
func (c *collector) line(b []byte) {
	var e event
	if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &e) != nil || e.Action == "" {
		fmt.Fprintf(c.out, "%s\n", b) // not an event: pass it on
		return
	}
	k := testKey{e.Package, e.Test}
	switch e.Action {
	case "build-output":
		io.WriteString(c.out, e.Output)
	case "run":
		c.tests[k] = nil
	case "output":
		c.engine(e.Output)
		if e.Test == "" {
			c.pkgOut[e.Package] = append(c.pkgOut[e.Package], e.Output)
		} else {
			c.tests[k] = append(c.tests[k], e.Output)
		}
	case "pass", "fail", "skip":
		if e.Test != "" {
			c.testEnded(k, e.Action)
		} else {
			c.packageEnded(e)
		}
	}
}

// engine records the engine a storetest.Engine line names.
func (c *collector) engine(output string) {
	_, after, ok := strings.Cut(output, engineMarker)
	if !ok {
		return
	}
	name := strings.TrimSpace(after)
	if name != "" && !slices.Contains(c.res.engines, name) {
		c.res.engines = append(c.res.engines, name)
	}
}

func (c *collector) testEnded(k testKey, action string) {
	lines := c.tests[k]
	delete(c.tests, k)
	switch action {
	case "pass":
		c.res.pass++
	case "skip":
		c.res.skip++
		c.res.skips = append(c.res.skips, skipped{k.pkg, k.test, skipReason(lines)})
	case "fail":
		c.res.fail++
		c.printOutput(lines)
		c.failed(k)
	}
}

// failed records a failed test, unless one of its subtests already is:
// the list names where the failures are, not every parent of one.
func (c *collector) failed(k testKey) {
	prefix := k.pkg + " " + k.test + "/"
	for _, f := range c.res.failures {
		if strings.HasPrefix(f, prefix) {
			return
		}
	}
	c.res.failures = append(c.res.failures, k.pkg+" "+k.test)
}

func (c *collector) packageEnded(e event) {
	// Tests still running when their package ends: benchmarks that passed
	// (go test reports no pass for them), or tests cut short by a panic
	// or the binary's -timeout. A benchmark passed if its package did, or
	// if it or one of its sub-benchmarks printed a result.
	var open []testKey
	measured := map[string]bool{}
	for k, lines := range c.tests {
		if k.pkg != e.Package {
			continue
		}
		open = append(open, k)
		if strings.Contains(strings.Join(lines, ""), " ns/op") {
			name := k.test
			for {
				measured[name] = true
				i := strings.LastIndexByte(name, '/')
				if i < 0 {
					break
				}
				name = name[:i]
			}
		}
	}
	// Subtests first, so that the failures list names them, not their parents.
	slices.SortFunc(open, func(a, b testKey) int { return strings.Compare(b.test, a.test) })
	for _, k := range open {
		if e.Action != "fail" || strings.HasPrefix(k.test, "Benchmark") && measured[k.test] {
			c.testEnded(k, "pass")
		} else {
			c.testEnded(k, "fail")
		}
	}
	lines := c.pkgOut[e.Package]
	delete(c.pkgOut, e.Package)
	if e.Action == "fail" {
		c.printOutput(lines)
		if e.FailedBuild != "" {
			c.res.failures = append(c.res.failures, e.Package+" [build failed]")
		} else if !slices.ContainsFunc(c.res.failures, func(f string) bool { return strings.HasPrefix(f, e.Package+" ") }) {
			c.res.failures = append(c.res.failures, e.Package)
		}
		return
	}
	for _, l := range lines { // the "ok" or "?" line
		if strings.HasPrefix(l, "ok") || strings.HasPrefix(l, "?") {
			io.WriteString(c.out, l)
		}
	}
}

// printOutput prints a failed test's or package's output as go test would,
// without the === lines of -v.
func (c *collector) printOutput(lines []string) {
	for _, l := range lines {
		if !strings.HasPrefix(l, "=== ") {
			io.WriteString(c.out, l)
		}
	}
}

// finish ends the module's run; err is how go test exited.
func (c *collector) finish(err error) {
	var open []testKey
	for k := range c.tests {
		open = append(open, k)
	}
	slices.SortFunc(open, func(a, b testKey) int { return strings.Compare(b.pkg+" "+b.test, a.pkg+" "+a.test) })
	for _, k := range open {
		c.testEnded(k, "fail")
	}
	if err != nil && c.res.ok() {
		c.res.failures = append(c.res.failures, "go test: "+err.Error())
	}
	if err == nil && !c.res.ok() {
		// go test said ok while a test failed: trust the failure.
		fmt.Fprintf(c.out, "testreport: go test exited 0, but %s failed\n", c.res.failures[0])
	}
}

// logPrefix is the "file_test.go:12: " that t.Log puts before a message.
var logPrefix = regexp.MustCompile(`^\s*[\w.-]+\.go:\d+: `)

// skipReason is the first line of the last message a skipped test logged:
// the one t.Skip printed.
func skipReason(lines []string) string {
	text := strings.Split(strings.Join(lines, ""), "\n")
	for i := len(text) - 1; i >= 0; i-- {
		if loc := logPrefix.FindStringIndex(text[i]); loc != nil {
			if r := strings.TrimSpace(text[i][loc[1]:]); r != "" {
				return r
			}
		}
	}
	return "(no reason given)"
}

// summarize prints the table, the skips and the failures of results, and
// reports whether everything passed.
func summarize(w io.Writer, results []*result, title string, took time.Duration) bool {
	fmt.Fprintf(w, "\n== summary: %s (%v)\n", title, took.Round(time.Second))
	rows := [][]string{{"MODULE", "RESULT", "PASS", "FAIL", "SKIP", "ENGINE"}}
	failed := 0
	for _, r := range results {
		status := "ok"
		if !r.ok() {
			status = "FAIL"
			failed++
		}
		engines := strings.Join(r.engines, "; ")
		if engines == "" {
			engines = "-"
		}
		rows = append(rows, []string{r.label, status, fmt.Sprint(r.pass), fmt.Sprint(r.fail), fmt.Sprint(r.skip), engines})
	}
	writeTable(w, rows)

	// Whole tests first: a store whose service is missing shows there,
	// not among the capabilities a store lacks.
	var whole, sub int
	for _, r := range results {
		for _, s := range r.skips {
			if strings.Contains(s.test, "/") {
				sub++
			} else {
				whole++
			}
		}
	}
	if whole > 0 {
		fmt.Fprintf(w, "\n== SKIPPED: %d whole tests or benchmarks, by module and reason\n", whole)
		for _, r := range results {
			writeSkips(w, r, false)
		}
	}
	if sub > 0 {
		fmt.Fprintf(w, "\n== skipped subtests: %d, by module and reason\n", sub)
		for _, r := range results {
			writeSkips(w, r, true)
		}
	}
	if failed == 0 {
		fmt.Fprintf(w, "\n== ok: all %d passed\n", len(results))
		return true
	}
	fmt.Fprintf(w, "\n== FAIL: %d of %d failed\n", failed, len(results))
	for _, r := range results {
		if !r.ok() {
			fmt.Fprintf(w, "%s:\n", r.label)
			for _, f := range r.failures {
				fmt.Fprintf(w, "  %s\n", f)
			}
		}
	}
	return false
}

// writeTable aligns rows in columns; numbers are right-aligned and the
// last column is left as long as it is.
func writeTable(w io.Writer, rows [][]string) {
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			width[i] = max(width[i], len(cell))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			switch {
			case i == len(row)-1:
				b.WriteString(cell)
			case i >= 2: // PASS FAIL SKIP
				fmt.Fprintf(&b, "%*s  ", width[i], cell)
			default:
				fmt.Fprintf(&b, "%-*s  ", width[i], cell)
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

// writeSkips lists a module's skipped top-level tests, or its skipped
// subtests, grouped by package and reason, naming the first few of each
// group.
func writeSkips(w io.Writer, r *result, subtests bool) {
	type group struct {
		pkg, reason string
		tests       []string
	}
	var groups []*group
	n := 0
	for _, s := range r.skips {
		if strings.Contains(s.test, "/") != subtests {
			continue
		}
		n++
		i := slices.IndexFunc(groups, func(g *group) bool { return g.pkg == s.pkg && g.reason == s.reason })
		if i < 0 {
			groups = append(groups, &group{pkg: s.pkg, reason: s.reason})
			i = len(groups) - 1
		}
		groups[i].tests = append(groups[i].tests, s.test)
	}
	if n == 0 {
		return
	}
	fmt.Fprintf(w, "%s (%d):\n", r.label, n)
	for _, g := range groups {
		names := g.tests
		more := ""
		if len(names) > 3 {
			names, more = names[:3], fmt.Sprintf(" and %d more", len(g.tests)-3)
		}
		fmt.Fprintf(w, "  %s\n      %d in %s: %s%s\n", g.reason, len(g.tests), g.pkg, strings.Join(names, ", "), more)
	}
}
