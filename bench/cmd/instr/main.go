// Command instr counts the instructions per request of each benchmark of
// the bench package under valgrind's callgrind, one process per benchmark:
//
//	instr -test results/bench.test -names results/bench.txt -o results/instr.jsonl -dir results/cg
//
// It takes the benchmark names from a native run's output (-names) and runs
// each alone, with -test.benchtime=1x, GOMAXPROCS=1 and
// GODEBUG=asyncpreemptoff=1,gcstoptheworld=2, under
//
//	valgrind --tool=callgrind --dump-before='*bench.cgMark'
//
// The process starts with instrumentation off (--instr-atstart=no); the
// benchmark (see measure in bench/harness_test.go) turns it on, opens and
// closes a window with cgMark and names the part that holds it; the
// instructions of that part divided by its requests are the instructions
// per request, collections included. For measureLive the instructions of
// one periodic collection divided by the requests of its period are added
// to the requests' own (see measureLive). The part is kept (<dir>/<name>.cg) for
// callgrind_annotate; every other part is removed.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

type label struct {
	Bench      string `json:"bench"`
	Part       int    `json:"part"`
	Requests   int    `json:"requests"`
	GCs        int    `json:"gcs"`
	Aligned    bool   `json:"aligned"`
	GCPart     int    `json:"gc_part"`     // measureLive: the part of one collection …
	GCRequests int    `json:"gc_requests"` // … and of the requests before it in that part
	Period     int    `json:"period"`      // measureLive: requests per collection
}

type result struct {
	Bench       string  `json:"bench"`
	InstrPerReq float64 `json:"instr_per_req"`
	Instr       int64   `json:"instr"`
	Requests    int     `json:"requests"`
	GCs         int     `json:"gcs"`
	Aligned     bool    `json:"aligned"`
	// For measureLive: the requests' own instructions per request (no
	// collection in their window), one periodic collection's
	// instructions, and the requests in a collection period.
	ReqInstrPerReq float64 `json:"req_instr_per_req,omitempty"`
	GCInstr        float64 `json:"gc_instr,omitempty"`
	Period         int     `json:"period,omitempty"`
	Profile        string  `json:"profile"`
	GCProfile      string  `json:"gc_profile,omitempty"` // measureLive: the collection's part
	Seconds        float64 `json:"seconds"`
	Error          string  `json:"error,omitempty"`
}

func main() {
	test := flag.String("test", "results/bench.test", "the bench package's test binary (go test -c)")
	names := flag.String("names", "results/bench.txt", "output of a native run, or one name a line: the benchmarks to count")
	skip := flag.String("skip", "^BenchmarkHeap/", "benchmarks not to count (regexp)")
	out := flag.String("o", "results/instr.jsonl", "results, one JSON line per benchmark")
	dir := flag.String("dir", "results/cg", "directory for callgrind's files")
	min := flag.Int("min", 2000, "minimum requests per window (SESH_BENCH_MIN)")
	repeat := flag.String("repeat", "", "benchmarks to count a second time, for the report's repeatability table (regexp)")
	flag.Parse()

	list, err := benchNames(*names, regexp.MustCompile(*skip))
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	if *repeat != "" {
		re := regexp.MustCompile(*repeat)
		for _, name := range slices.Clone(list) {
			if re.MatchString(name) {
				list = append(list, name)
			}
		}
	}
	start := time.Now()
	failed := 0
	for i, name := range list {
		r := count(*test, *dir, name, i, *min)
		if r.Error != "" {
			failed++
			log.Printf("[%d/%d] %s: %s", i+1, len(list), name, r.Error)
		} else {
			log.Printf("[%d/%d] %s: %.0f instr/req (%d requests, %d collections, %.0f s)",
				i+1, len(list), name, r.InstrPerReq, r.Requests, r.GCs, r.Seconds)
		}
		enc.Encode(r)
	}
	log.Printf("%d benchmarks in %s", len(list), time.Since(start).Round(time.Second))
	if failed > 0 {
		log.Fatalf("%d benchmarks failed under callgrind", failed)
	}
}

// benchNames returns the benchmark names of a go test -bench output (or
// of a file with one name a line), in order, once each.
func benchNames(path string, skip *regexp.Regexp) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		// A result line of go test -bench, or a line with a name alone.
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], "Benchmark") || len(fields) > 1 && !strings.Contains(line, "ns/op") {
			continue
		}
		name := fields[0]
		if seen[name] || skip.MatchString(name) {
			continue
		}
		seen[name] = true
		out = append(out, name)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no benchmark results in %s", path)
	}
	return out, nil
}

// pattern returns the -test.bench regexp that matches name alone.
func pattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func count(test, dir, name string, i, min int) result {
	r := result{Bench: name}
	base := filepath.Join(dir, fmt.Sprintf("%03d", i))
	labels := base + ".labels"
	os.Remove(labels)
	cmd := exec.Command("valgrind", "--tool=callgrind", "--dump-before=*bench.cgMark", "--compress-strings=no", "--compress-pos=no",
		"--callgrind-out-file="+base+".out",
		test, "-test.run=^$", "-test.bench="+pattern(name), "-test.benchtime=1x", "-test.cpu=1")
	cmd.Env = append(os.Environ(),
		"GOMAXPROCS=1", "GODEBUG=asyncpreemptoff=1,gcstoptheworld=2",
		"SESH_BENCH_CALLGRIND="+labels, "SESH_BENCH_MIN="+strconv.Itoa(min), "SESH_BENCH_EXTRA=")
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	t0 := time.Now()
	err := cmd.Run()
	r.Seconds = time.Since(t0).Seconds()
	defer cleanup(base)
	if err != nil {
		r.Error = fmt.Sprintf("%v\n%s", err, tail(output.String(), 30))
		return r
	}
	if i := strings.Index(output.String(), "--- SKIP"); i >= 0 {
		r.Error = "skipped: " + tail(output.String()[i:], 5)
		return r
	}
	ls, err := readLabels(labels)
	if err != nil || len(ls) != 1 || ls[0].Bench != name {
		r.Error = fmt.Sprintf("expected one window of %s, got %v (%v)\n%s", name, ls, err, tail(output.String(), 30))
		return r
	}
	l := ls[0]
	part := fmt.Sprintf("%s.out.%d", base, l.Part)
	total, err := partTotal(part)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Instr, r.Requests, r.GCs, r.Aligned = total, l.Requests, l.GCs, l.Aligned
	r.InstrPerReq = float64(total) / float64(l.Requests)
	if l.GCPart > 0 {
		gcPart := fmt.Sprintf("%s.out.%d", base, l.GCPart)
		gc, err := partTotal(gcPart)
		if err != nil || l.Period == 0 {
			r.Error = fmt.Sprintf("collection part: %v, period %d", err, l.Period)
			return r
		}
		r.ReqInstrPerReq, r.Period = r.InstrPerReq, l.Period
		r.GCInstr = float64(gc) - float64(l.GCRequests)*r.ReqInstrPerReq
		r.InstrPerReq += r.GCInstr / float64(l.Period)
		r.GCProfile = filepath.Join(dir, unsafeChars.ReplaceAllString(strings.TrimPrefix(name, "Benchmark"), "_")+".gc.cg")
		if err := os.Rename(gcPart, r.GCProfile); err != nil {
			r.Error = err.Error()
			return r
		}
	}
	r.Profile = filepath.Join(dir, unsafeChars.ReplaceAllString(strings.TrimPrefix(name, "Benchmark"), "_")+".cg")
	if _, err := os.Stat(r.Profile); err == nil {
		r.Profile = base + ".cg" // a repeat: keep the first run's under the name
	}
	if err := os.Rename(part, r.Profile); err != nil {
		r.Error = err.Error()
	}
	return r
}

// cleanup removes the parts and labels of one run (the window's part has
// been moved away).
func cleanup(base string) {
	files, _ := filepath.Glob(base + ".out*")
	for _, f := range files {
		os.Remove(f)
	}
	os.Remove(base + ".labels")
}

func readLabels(path string) ([]label, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []label
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l label
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

// partTotal returns the event total of a callgrind part file (its
// "summary:" or "totals:" line; the only event is Ir).
func partTotal(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, p := range []string{"summary:", "totals:"} {
			if v, ok := strings.CutPrefix(line, p); ok {
				return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s: no summary line", path)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
