// Command report turns the results of bench/run.sh into BENCHMARKS.md: the
// performance goals with their measured values, instructions per request
// (callgrind) beside ns/op, B/op and allocs/op (native runs) for every
// benchmark, each sesh number beside its peers' from the same run, Redis's
// server CPU and round trips, heap per live session, and callgrind
// profiles of the sesh side of the three instruction goals furthest from
// their limits.
//
//	report -results results -analysis analysis.md -o ../BENCHMARKS.md
//
// Inputs in -results: bench.txt (native passes), instr.jsonl (cmd/instr),
// extra.jsonl (commands and round trips), heap.txt (BenchmarkHeap),
// machine.txt, and wrk.txt if the wrk run was made.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// --- inputs ---

// native holds every metric of every benchmark over the passes.
type native map[string]map[string][]float64 // bench → unit → values

func parseBench(path string, into native) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		name := fields[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i] // a GOMAXPROCS suffix
			}
		}
		m := into[name]
		if m == nil {
			m = map[string][]float64{}
			into[name] = m
		}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			m[fields[i+1]] = append(m[fields[i+1]], v)
		}
	}
	return sc.Err()
}

// get returns the median of a native metric, and whether there is one.
func (n native) get(bench, unit string) (float64, bool) {
	v := n[bench][unit]
	if len(v) == 0 {
		return 0, false
	}
	return median(v), true
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

type instrResult struct {
	Bench          string  `json:"bench"`
	InstrPerReq    float64 `json:"instr_per_req"`
	ReqInstrPerReq float64 `json:"req_instr_per_req"`
	GCInstr        float64 `json:"gc_instr"`
	Period         int     `json:"period"`
	GCProfile      string  `json:"gc_profile"`
	Requests       int     `json:"requests"`
	GCs            int     `json:"gcs"`
	Aligned        bool    `json:"aligned"`
	Profile        string  `json:"profile"`
	Error          string  `json:"error"`
}

type extraResult struct {
	Bench   string                        `json:"bench"`
	N       int                           `json:"n"`
	RT      float64                       `json:"rt"`
	Cmds    map[string]map[string]float64 `json:"cmds"`
	Shapes  map[string]float64            `json:"shapes"`
	SrvUsec float64                       `json:"srv_usec"`
}

// mergeExtra takes the median, over the native runs of one benchmark, of
// each command's calls per request and server µs per call, and of the
// round trips; the server µs per request is the sum of their products.
func mergeExtra(es []extraResult) extraResult {
	out := extraResult{Bench: es[0].Bench, Cmds: map[string]map[string]float64{}, Shapes: map[string]float64{}}
	vals := map[[2]string][]float64{}
	var rts []float64
	for _, e := range es {
		rts = append(rts, e.RT)
		for name, c := range e.Cmds {
			for k, v := range c {
				vals[[2]string{name, k}] = append(vals[[2]string{name, k}], v)
			}
		}
		for k, v := range e.Shapes {
			vals[[2]string{"shape", k}] = append(vals[[2]string{"shape", k}], v)
		}
	}
	out.RT = median(rts)
	for k, v := range vals {
		if k[0] == "shape" {
			out.Shapes[k[1]] = median(v)
			continue
		}
		if out.Cmds[k[0]] == nil {
			out.Cmds[k[0]] = map[string]float64{}
		}
		out.Cmds[k[0]][k[1]] = median(v)
	}
	for _, c := range out.Cmds {
		out.SrvUsec += c["calls_per_req"] * c["usec_per_call"]
	}
	return out
}

// srv returns a Redis benchmark's server µs per request (mergeExtra).
func (r *report) srv(bench string) (float64, bool) {
	e, ok := r.extra[bench]
	if !ok || len(e.Cmds) == 0 {
		return 0, false
	}
	return e.SrvUsec, true
}

func readJSONLines[T any](path string, each func(T)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		each(v)
	}
	return sc.Err()
}

// --- the report ---

type report struct {
	nat    native
	instr  map[string]instrResult
	repeat map[string][]float64 // bench → every instr/req measured (repeats)
	extra  map[string]extraResult
	b      strings.Builder
	goals  []goal
	group  string // the goal that collectGoals is adding rows of
}

func (r *report) w(format string, a ...any) { fmt.Fprintf(&r.b, format, a...) }

const floorName = "BenchmarkSession/floor"

func (r *report) ins(bench string) (float64, bool) {
	v, ok := r.instr[bench]
	if !ok || v.Error != "" || v.Requests == 0 {
		return 0, false
	}
	return v.InstrPerReq, true
}

// over returns bench's instructions per request over the floor's.
func (r *report) over(bench string) (float64, bool) {
	v, ok := r.ins(bench)
	f, okf := r.ins(floorName)
	return v - f, ok && okf
}

func numf(v float64, ok bool, format string) string {
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return fmt.Sprintf(format, v)
}

func ratio(a float64, oka bool, b float64, okb bool) (float64, bool) {
	if !oka || !okb || b <= 0 {
		return 0, false
	}
	return a / b, true
}

// goal is one target of the performance issue, checked on this run.
type goal struct {
	area, what   string
	value        float64
	ok           bool   // value measured
	shown        string // value as shown (if not a plain number)
	limit        float64
	limitText    string
	met          bool
	instrProfile string // the sesh benchmark whose profile explains it (instruction goals)
	group        string // the goal of the issue this row belongs to
}

func (r *report) addGoal(g goal) {
	g.group = r.group
	r.goals = append(r.goals, g)
}

// within adds a goal "value ≤ limit".
func (r *report) within(area, what string, v float64, ok bool, limit float64, format, profile string) {
	r.addGoal(goal{area: area, what: what, value: v, ok: ok, limit: limit,
		shown: numf(v, ok, format), limitText: "≤ " + fmt.Sprintf(format, limit),
		met: ok && v <= limit, instrProfile: profile})
}

func (r *report) collectGoals() {
	for _, be := range []string{"redis", "postgres"} {
		r.group = "sesh ≤ 1.10 × the raw driver"
		for _, sc := range []string{"read", "write", "new"} {
			s, raw := "BenchmarkSession/"+be+"/"+sc+"/sesh", "BenchmarkSession/"+be+"/"+sc+"/raw"
			v, ok := ratio2(r.ins(s))(r.ins(raw))
			r.within(be, fmt.Sprintf("%s: sesh ÷ raw driver, client instructions per request", sc), v, ok, 1.10, "%.2f", s)
		}
		r.group = "round trips"
		for _, c := range []struct {
			sc    string
			limit float64
		}{{"read", 1}, {"write", 2}} {
			v, ok := r.nat.get("BenchmarkSession/"+be+"/"+c.sc+"/sesh", "rt/op")
			what := "round trips, unmodified read"
			if c.sc == "write" {
				what = "round trips, write"
			}
			r.addGoal(goal{area: be, what: what, value: v, ok: ok, shown: numf(v, ok, "%.2f"),
				limit: c.limit, limitText: fmt.Sprintf("%.0f", c.limit), met: ok && math.Round(v*100)/100 <= c.limit})
		}
	}
	r.group = "Redis server CPU"
	sw, ok1 := r.srv("BenchmarkSession/redis/write/sesh")
	gs, ok2 := r.srv("BenchmarkSession/redis/write/getset")
	v, ok := ratio(sw, ok1, gs, ok2)
	shown := numf(v, ok, "%.2f") + fmt.Sprintf(" (%s ÷ %s µs)", numf(sw, ok1, "%.2f"), numf(gs, ok2, "%.2f"))
	if lf, okf := r.srv("BenchmarkSession/redis/write/luafloor"); okf {
		fv, fok := ratio(lf, okf, gs, ok2)
		shown += fmt.Sprintf("; GET + an EVALSHA that only SETs (luafloor, the least any Lua compare-and-set costs): %s (%s µs)", numf(fv, fok, "%.2f"), numf(lf, okf, "%.2f"))
	}
	r.addGoal(goal{area: "redis", what: "server CPU per write ÷ plain GET + SET (INFO commandstats)", value: v, ok: ok,
		shown: shown, limit: 2, limitText: "≤ 2", met: ok && v <= 2})
	if e, ok := r.extra["BenchmarkSession/redis/new/sesh"]; ok {
		set := e.Cmds["set"]["calls_per_req"]
		nxpxat := e.Shapes["SET NX PXAT"]
		other := 0.0
		for name, c := range e.Cmds {
			if name != "set" {
				other += c["calls_per_req"]
			}
		}
		met := math.Round(nxpxat*100)/100 == 1 && math.Round(set*100)/100 == 1 && math.Round(other*100)/100 == 0
		r.addGoal(goal{area: "redis", what: "a new session is one SET NX PXAT, no script", ok: true,
			shown: cmdList(e), limitText: "set 1 (NX PXAT)", met: met})
	} else {
		r.addGoal(goal{area: "redis", what: "a new session is one SET NX PXAT, no script", shown: "–", limitText: "set 1 (NX PXAT)"})
	}
	r.group = "session size"
	for _, size := range []string{"2KB", "32KB"} {
		for _, sh := range []string{"read", "untouched", "write"} {
			s := "BenchmarkPayload/" + size + "/" + sh + "/sesh"
			v, ok := ratio2(r.ins(s))(r.ins("BenchmarkPayload/" + size + "/" + sh + "/scs"))
			r.within("memory", fmt.Sprintf("session of %s, %s: sesh ÷ scs, instructions per request", size, sh), v, ok, 1.00, "%.2f", s)
		}
	}
	r.group = "new session in memory"
	for _, c := range []string{"1e3", "1e6"} {
		s := "BenchmarkLive/" + c + "/sesh"
		v, ok := ratio2(r.over(s))(r.over("BenchmarkLive/" + c + "/scs"))
		r.within("memory", fmt.Sprintf("new session, %s live: sesh ÷ scs, instructions over the floor (GC included)", liveName(c)), v, ok, 0.30, "%.2f", s)
	}
	hv, hok := r.nat.get("BenchmarkHeap/1e6/sesh", "B/session")
	r.within("memory", "heap per live session at 10^6 (bytes)", hv, hok, 433, "%.0f", "")
	r.group = "read and write in memory and cookie"
	for _, c := range []struct{ be, peer string }{{"memory", "scs"}, {"cookie", "gorilla"}} {
		for _, sc := range []string{"read", "write"} {
			s := "BenchmarkSession/" + c.be + "/" + sc + "/sesh"
			v, ok := ratio2(r.over(s))(r.over("BenchmarkSession/" + c.be + "/" + sc + "/" + c.peer))
			r.within(c.be, fmt.Sprintf("%s: sesh ÷ %s, instructions over the floor", sc, c.peer), v, ok, 0.15, "%.2f", s)
		}
	}
}

func ratio2(a float64, oka bool) func(float64, bool) (float64, bool) {
	return func(b float64, okb bool) (float64, bool) { return ratio(a, oka, b, okb) }
}

func liveName(c string) string {
	switch c {
	case "1e3":
		return "10^3"
	case "1e6":
		return "10^6"
	}
	return c
}

// cmdList formats the commands a benchmark sent per request.
func cmdList(e extraResult) string {
	names := make([]string, 0, len(e.Cmds))
	for n := range e.Cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		c := e.Cmds[n]
		s := fmt.Sprintf("%s %.2f", strings.ToUpper(n), c["calls_per_req"])
		if u, ok := c["usec_per_call"]; ok {
			s += fmt.Sprintf(" × %.2f µs", u)
		}
		parts = append(parts, s)
	}
	if v := e.Shapes["SET NX PXAT"]; v > 0 {
		parts = append(parts, fmt.Sprintf("(SET NX PXAT %.2f)", v))
	}
	return strings.Join(parts, "; ")
}

func (r *report) goalsTable() {
	r.w("## Goals, on this run\n\n")
	r.w("Instruction counts are per request, from callgrind (see below); \"over the floor\" subtracts the bare handler's count (%s instructions), ",
		num2(r.ins(floorName)))
	r.w("so that a ratio compares what the session layers add. Round trips, Redis commands and server CPU come from the native runs (medians over passes).\n\n")
	r.w("| area | goal | measured | limit | met |\n|---|---|---:|---:|---|\n")
	for _, g := range r.goals {
		met := "**no**"
		switch {
		case g.met:
			met = "yes"
		case !g.ok && g.shown == "–":
			met = "not measured"
		}
		r.w("| %s | %s | %s | %s | %s |\n", g.area, g.what, g.shown, g.limitText, met)
	}
	r.w("\n")
}

func num2(v float64, ok bool) string { return numf(v, ok, "%.0f") }

// --- tables ---

func (r *report) nativeCols(bench string) string {
	ns, ok1 := r.nat.get(bench, "ns/op")
	bs, ok2 := r.nat.get(bench, "B/op")
	al, ok3 := r.nat.get(bench, "allocs/op")
	return fmt.Sprintf("%s | %s | %s", numf(ns, ok1, "%.0f"), numf(bs, ok2, "%.0f"), numf(al, ok3, "%.0f"))
}

func (r *report) sessionTables() {
	f, fok := r.ins(floorName)
	r.w("## Request shapes\n\n")
	r.w("**read** loads an existing session and writes one integer out; **write** increments it (a store write); **new** arrives without a cookie and sets it (a new session and a `Set-Cookie`). ")
	fns, _ := r.nat.get(floorName, "ns/op")
	fbs, _ := r.nat.get(floorName, "B/op")
	fal, _ := r.nat.get(floorName, "allocs/op")
	r.w("Read and write take turns over 64 seeded sessions. The floor is the same request to a bare handler: %s instructions, %.0f ns/op, %.0f B/op, %.0f allocs/op.\n\n",
		numf(f, fok, "%.0f"), fns, fbs, fal)
	r.w("`raw` is the driver alone with the fewest commands that give sesh's guarantees (read: one GET / SELECT; write: GET, then a compare-and-set — ")
	r.w("one EVALSHA / UPDATE … WHERE version; new: a 256-bit ID, then SET NX PXAT / INSERT). `getset` (Redis write) is a plain GET then SET with no compare-and-set: the baseline of the server-CPU goal, not a library; `luafloor` (Redis write) is a GET then one EVALSHA of a script that only writes (`redis.call('SET', …)`, no read, no compare): the least any Lua compare-and-set costs the server, since such a script writes from Lua at least once; not a library either. ")
	r.w("sesh ÷ this compares instructions over the floor (for `raw`: total instructions, as the goal states).\n\n")
	for _, be := range []string{"memory", "cookie", "redis", "postgres"} {
		server := be == "redis" || be == "postgres"
		r.w("### %s\n\n", be)
		r.w("| scenario | library | instr/req | over floor | sesh ÷ this | ns/op | B/op | allocs/op |")
		if server {
			r.w(" round trips | Redis server µs/req |")
		}
		r.w("\n|---|---|---:|---:|---:|---:|---:|---:|")
		if server {
			r.w("---:|---:|")
		}
		r.w("\n")
		for _, sc := range []string{"read", "write", "new"} {
			sk := "BenchmarkSession/" + be + "/" + sc + "/sesh"
			for _, l := range []string{"sesh", "scs", "gorilla", "raw", "getset", "luafloor"} {
				k := "BenchmarkSession/" + be + "/" + sc + "/" + l
				if _, ok := r.nat[k]; !ok {
					if _, ok := r.instr[k]; !ok {
						continue
					}
				}
				v, ok := r.ins(k)
				o, ook := r.over(k)
				rat := ""
				switch l {
				case "sesh", "getset", "luafloor":
				case "raw":
					rat = num(ratio2(r.ins(sk))(v, ok)) + " (total)"
				default:
					rat = num(ratio2(r.over(sk))(o, ook))
				}
				r.w("| %s | %s | %s | %s | %s | %s |", sc, l, numf(v, ok, "%.0f"), numf(o, ook, "%.0f"), rat, r.nativeCols(k))
				if server {
					rt, rok := r.nat.get(k, "rt/op")
					su, sok := r.srv(k)
					r.w(" %s | %s |", numf(rt, rok, "%.2f"), numf(su, sok, "%.2f"))
				}
				r.w("\n")
			}
		}
		r.w("\n")
	}
	r.w("### Redis commands per request\n\n")
	r.w("From a go-redis hook (commands, round trips) and `INFO commandstats` read before and after each native loop (µs per call: the server's time per call of that command over the loop), ")
	r.w("medians over the native runs of at least 100 requests; server µs per request = Σ calls per request × µs per call, here and in the tables above. ")
	r.w("The server is shared with other clients; their calls of the same command enter the per-call average, and its time per call grows when the machine is busy. gorilla's redistore uses redigo, which the hook does not see.\n\n")
	r.w("| scenario | library | commands per request × server µs per call | server µs/req |\n|---|---|---|---:|\n")
	for _, sc := range []string{"read", "write", "new"} {
		for _, l := range []string{"sesh", "scs", "raw", "getset", "luafloor"} {
			k := "BenchmarkSession/redis/" + sc + "/" + l
			e, ok := r.extra[k]
			if !ok {
				continue
			}
			su, sok := r.srv(k)
			r.w("| %s | %s | %s | %s |\n", sc, l, cmdList(e), numf(su, sok, "%.2f"))
		}
	}
	r.w("\n")
}

// num formats a ratio.
func num(v float64, ok bool) string { return numf(v, ok, "%.2f") }

func (r *report) payloadTable() {
	r.w("## Session size (memory store)\n\n")
	r.w("Each session holds an integer and a string of the given size. **read** reads the string; **untouched** reads only the integer (the string rides along); ")
	r.w("**write** replaces the string with another of the same size.\n\n")
	r.w("| size | shape | sesh instr/req | scs instr/req | sesh ÷ scs | sesh ns/op | scs ns/op | sesh B/op | scs B/op | sesh allocs | scs allocs |\n")
	r.w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, size := range []string{"100B", "2KB", "32KB"} {
		for _, sh := range []string{"read", "untouched", "write"} {
			s, p := "BenchmarkPayload/"+size+"/"+sh+"/sesh", "BenchmarkPayload/"+size+"/"+sh+"/scs"
			if _, ok := r.nat[s]; !ok {
				continue
			}
			sv, sok := r.ins(s)
			pv, pok := r.ins(p)
			col := func(b, unit, format string) string { v, ok := r.nat.get(b, unit); return numf(v, ok, format) }
			r.w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", size, sh, numf(sv, sok, "%.0f"), numf(pv, pok, "%.0f"),
				num(ratio(sv, sok, pv, pok)), col(s, "ns/op", "%.0f"), col(p, "ns/op", "%.0f"),
				col(s, "B/op", "%.0f"), col(p, "B/op", "%.0f"), col(s, "allocs/op", "%.0f"), col(p, "allocs/op", "%.0f"))
		}
	}
	r.w("\n")
}

func (r *report) liveTable() {
	r.w("## A new session among many live ones (memory store)\n\n")
	r.w("The store holds the given number of sessions when the measurement starts (filled by copying a session the handler made, under made-up keys of the same length; each request adds one). ")
	r.w("A collection period is tens of thousands of requests at 10^6, too many to count, so the instructions per request are added up from three measurements in one process (`measureLive` in harness_test.go): ")
	r.w("the requests' own instructions (a window right after a collection, none inside it), the instructions of one periodic collection (counted with the few requests before it, which are subtracted), ")
	r.w("and the period, the requests between two collections (counted uninstrumented): **instr/req = own + collection ÷ period**. ")
	r.w("(bench/analysis.md says how this sum compared with a direct count.)\n\n")
	r.w("Heap per live session: that many sessions made through the handler, then `runtime.MemStats.HeapAlloc` after two collections, minus the same before, divided by the count; \"filled\" is the same for a store filled as the instruction benchmark fills it.\n\n")
	r.w("| live | library | instr/req | own | collection | period | over floor | sesh ÷ this | ns/op | B/op | allocs/op | heap B/session | filled B/session |\n")
	r.w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range []string{"1e3", "1e6"} {
		for _, l := range []string{"sesh", "scs"} {
			k := "BenchmarkLive/" + c + "/" + l
			h := "BenchmarkHeap/" + c + "/" + l
			_, okn := r.nat[k]
			_, okh := r.nat[h]
			if !okn && !okh {
				continue
			}
			v, ok := r.ins(k)
			o, ook := r.over(k)
			rat := ""
			if l != "sesh" {
				rat = num(ratio2(r.over("BenchmarkLive/"+c+"/sesh"))(o, ook))
			}
			ir := r.instr[k]
			hb, hok := r.nat.get(h, "B/session")
			fb, fok := r.nat.get(h, "B/filled-session")
			r.w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", liveName(c), l, numf(v, ok, "%.0f"),
				numf(ir.ReqInstrPerReq, ok, "%.0f"), numf(ir.GCInstr, ok, "%.0f"), numf(float64(ir.Period), ok, "%.0f"),
				numf(o, ook, "%.0f"), rat, r.nativeCols(k), numf(hb, hok, "%.0f"), numf(fb, fok, "%.0f"))
		}
	}
	r.w("\n")
}

// optionRows are the option-cost comparisons: a baseline benchmark and a
// variant. A benchmark of the observability hooks' no-op overhead goes
// here as one more group (BenchmarkHooks/…/off against …/on).
var optionRows = []struct{ what, base, variant string }{
	{"sesh.Update instead of Get + Set (write, memory)", "BenchmarkUpdate/memory/set", "BenchmarkUpdate/memory/update"},
	{"sesh.Update instead of Get + Set (write, Redis)", "BenchmarkUpdate/redis/set", "BenchmarkUpdate/redis/update"},
	{"Config.Serialize, read (memory)", "BenchmarkSerialize/memory/read/off", "BenchmarkSerialize/memory/read/on"},
	{"Config.Serialize, write (memory)", "BenchmarkSerialize/memory/write/off", "BenchmarkSerialize/memory/write/on"},
	{"Config.Serialize, read (Redis)", "BenchmarkSerialize/redis/read/off", "BenchmarkSerialize/redis/read/on"},
	{"Config.Serialize, write (Redis)", "BenchmarkSerialize/redis/write/off", "BenchmarkSerialize/redis/write/on"},
}

func (r *report) optionTable() {
	r.w("## Option costs (sesh alone)\n\n")
	r.w("Requests one after another, so every compare-and-set wins (an uncontended Update never replays). ")
	r.w("With Serialize every request that carries a session cookie takes the session's lock (a compare-and-set of a lock record) and releases it after the response.\n\n")
	r.w("| option | instr/req without | with | added | ns/op without | with | allocs without | with | round trips without | with | Redis server µs without | with |\n")
	r.w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, o := range optionRows {
		if _, ok := r.nat[o.base]; !ok {
			continue
		}
		bv, bok := r.ins(o.base)
		vv, vok := r.ins(o.variant)
		col := func(b, unit, format string) string { v, ok := r.nat.get(b, unit); return numf(v, ok, format) }
		sb, sbok := r.srv(o.base)
		sv, svok := r.srv(o.variant)
		r.w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", o.what, numf(bv, bok, "%.0f"), numf(vv, vok, "%.0f"),
			numf(vv-bv, bok && vok, "%+.0f"), col(o.base, "ns/op", "%.0f"), col(o.variant, "ns/op", "%.0f"),
			col(o.base, "allocs/op", "%.0f"), col(o.variant, "allocs/op", "%.0f"),
			col(o.base, "rt/op", "%.2f"), col(o.variant, "rt/op", "%.2f"), numf(sb, sbok, "%.2f"), numf(sv, svok, "%.2f"))
	}
	r.w("\n")
}

func (r *report) repeatTable() {
	var names []string
	for n, v := range r.repeat {
		if len(v) > 1 {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return
	}
	sort.Strings(names)
	r.w("## Repeatability of the instruction counts\n\n")
	r.w("These benchmarks were counted more than once in this run (separate processes). What still varies is the runtime's background work, which is paced by wall time (the heap scavenger returning pages, timers of client libraries).\n\n")
	r.w("| benchmark | instr/req, each run | spread |\n|---|---|---:|\n")
	for _, n := range names {
		v := r.repeat[n]
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = fmt.Sprintf("%.0f", x)
		}
		r.w("| %s | %s | %.1f %% |\n", strings.TrimPrefix(n, "Benchmark"), strings.Join(parts, ", "), (slices.Max(v)-slices.Min(v))/median(v)*100)
	}
	r.w("\n")
}

// --- profiles ---

var annotateLine = regexp.MustCompile(`^\s*([\d,]+) \([^)]*\)\s+(.*)$`)

type fnCost struct {
	name string
	cost float64
}

// annotate runs callgrind_annotate on a kept window and returns its
// functions with their cost (inclusive or not), file paths and objects
// stripped.
func annotate(path string, inclusive bool) ([]fnCost, error) {
	out, err := exec.Command("callgrind_annotate", "--threshold=100", "--auto=no",
		"--inclusive="+map[bool]string{true: "yes", false: "no"}[inclusive], path).Output()
	if err != nil {
		return nil, err
	}
	var fns []fnCost
	for _, line := range strings.Split(string(out), "\n") {
		m := annotateLine.FindStringSubmatch(line)
		if m == nil || strings.Contains(line, "PROGRAM TOTALS") {
			continue
		}
		v, _ := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
		name := m[2]
		if i := strings.Index(name, " ["); i >= 0 {
			name = name[:i]
		}
		if _, fn, ok := strings.Cut(name, ":"); ok {
			name = fn // file:function
		}
		name = strings.ReplaceAll(name, "github.com/sesh-go/sesh", "sesh")
		fns = append(fns, fnCost{name, v})
	}
	return fns, nil
}

// harnessFrame reports whether a function is the benchmark's or the testing
// package's, around the request rather than in it.
func harnessFrame(name string) bool {
	for _, p := range []string{"sesh/bench.measure", "sesh/bench.runShape", "sesh/bench.Benchmark", "serve.func1", "testing.", "testing/", "regexp",
		"main.main", "runtime.main", "runtime.goexit", "runtime.mcall", "runtime.GC", "runtime.gopark", "runtime.selectgo", "runtime.chanrecv"} {
		if strings.Contains(name, p) {
			return true
		}
	}
	return false
}

// profile writes the top functions of one kept window, per request.
func (r *report) profile(g goal) {
	ir, ok := r.instr[g.instrProfile]
	if !ok || ir.Profile == "" || ir.Requests == 0 {
		return
	}
	incl, err := annotate(ir.Profile, true)
	if err != nil {
		r.w("(callgrind_annotate failed on %s: %v)\n\n", ir.Profile, err)
		return
	}
	n := float64(ir.Requests)
	perReq := ir.InstrPerReq
	r.w("### %s: %s (%s)\n\n", g.group, g.what, g.area)
	r.w("Measured %s, limit %s. Profile of `%s`: ", g.shown, g.limitText, strings.TrimPrefix(g.instrProfile, "Benchmark"))
	if ir.GCInstr > 0 {
		perReq = ir.ReqInstrPerReq
		r.w("%.0f instructions per request, of which %.0f are the request's own (the profile below: %d requests, no collection among them) and %.0f the collector's (one collection, %.0f instructions, every %d requests; its self costs follow). ",
			ir.InstrPerReq, perReq, ir.Requests, ir.InstrPerReq-perReq, ir.GCInstr, ir.Period)
	} else {
		r.w("%d requests, %.0f instructions per request, collections included. ", ir.Requests, perReq)
	}
	total := perReq * n
	r.w("Inclusive instructions per request (a function and all it calls) and their share, from `callgrind_annotate --inclusive=yes` on the window's part, top 25 ")
	r.w("(leaving out the benchmark's frames and the scheduler's — goexit, mcall, gopark, selectgo, chanrecv — whose inclusive costs callgrind cannot attribute across goroutine switches):\n\n```\n")
	shown := 0
	seen := map[string]bool{}
	for _, f := range incl {
		if f.cost >= total*0.999 || harnessFrame(f.name) || seen[f.name] || shown >= 25 {
			continue
		}
		seen[f.name] = true
		r.w("%9.0f %5.1f%%  %s\n", f.cost/n, f.cost/total*100, f.name)
		shown++
	}
	r.w("```\n\nSelf instructions per request (the function's own code, inlined callees included), top 20, read from the part file:\n\n```\n")
	r.selfCosts(ir.Profile, n, total)
	r.w("```\n\n")
	if ir.GCProfile != "" {
		r.w("The collection (one, at this heap): self instructions per collection, top 15:\n\n```\n")
		r.selfCostsTop(ir.GCProfile, 1, ir.GCInstr, 15)
		r.w("```\n\n")
	}
}

func (r *report) selfCosts(path string, n, total float64) { r.selfCostsTop(path, n, total, 20) }

// selfCostsTop writes the top functions of a part by self cost, divided
// by n, with their share of total.
func (r *report) selfCostsTop(path string, n, total float64, top int) {
	self, err := selfCost(path)
	if err != nil {
		r.w("(%v)\n", err)
		return
	}
	for i, f := range self {
		if i >= top {
			break
		}
		r.w("%9.0f %5.1f%%  %s\n", f.cost/n, f.cost/total*100, f.name)
	}
}

// selfCost reads a callgrind part file and returns its functions by self
// cost, highest first: every cost line of a function's block except the
// line after "calls=", which is the inclusive cost of a call. Recursion
// levels ('2) are merged.
func selfCost(path string) ([]fnCost, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names := map[string]string{} // compressed id → name
	name := func(v string) string {
		if strings.HasPrefix(v, "(") {
			if i := strings.IndexByte(v, ')'); i > 0 {
				id, rest := v[:i+1], strings.TrimSpace(v[i+1:])
				if rest != "" {
					names[id] = rest
				}
				return names[id]
			}
		}
		return v
	}
	costs := map[string]float64{}
	var fn string
	afterCalls := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "fn="):
			fn = name(line[3:])
			if i := strings.LastIndexByte(fn, '\''); i > 0 {
				fn = fn[:i]
			}
			afterCalls = false
		case strings.HasPrefix(line, "cfn="):
			name(line[4:]) // may define an id
		case strings.HasPrefix(line, "calls="):
			afterCalls = true
		case line != "" && (line[0] >= '0' && line[0] <= '9' || line[0] == '+' || line[0] == '-' || line[0] == '*'):
			if afterCalls {
				afterCalls = false
				continue
			}
			fields := strings.Fields(line)
			if len(fields) >= 2 && fn != "" {
				v, _ := strconv.ParseFloat(fields[len(fields)-1], 64)
				costs[fn] += v
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	out := make([]fnCost, 0, len(costs))
	for k, v := range costs {
		out = append(out, fnCost{strings.ReplaceAll(k, "github.com/sesh-go/sesh", "sesh"), v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].cost != out[j].cost {
			return out[i].cost > out[j].cost
		}
		return out[i].name < out[j].name
	})
	return out, nil
}

// profiles writes, for the three goals of the issue whose worst
// instruction row is furthest from its limit, the profile of that row's
// sesh benchmark.
func (r *report) profiles() {
	worst := map[string]goal{}
	for _, g := range r.goals {
		if g.instrProfile == "" || !g.ok || g.limit <= 0 {
			continue
		}
		if w, ok := worst[g.group]; !ok || g.value/g.limit > w.value/w.limit {
			worst[g.group] = g
		}
	}
	var gs []goal
	for _, g := range worst {
		gs = append(gs, g)
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i].value/gs[i].limit > gs[j].value/gs[j].limit })
	if len(gs) > 3 {
		gs = gs[:3]
	}
	if len(gs) == 0 {
		return
	}
	r.w("## Where sesh's instructions go, for the three goals furthest from their limits\n\n")
	r.w("For each goal of the issue measured in instructions, its row furthest from the limit (measured ÷ limit); the three worst goals, worst first. ")
	r.w("Function names are Go's (`sesh` stands for `github.com/sesh-go/sesh`); `'2` marks a recursive level as callgrind names it, `.funcN` a closure. ")
	r.w("Callgrind follows calls and returns, not Go's goroutine switches: work of another goroutine (the collector's workers, a client library's background loop) that runs while the request waits can appear under the function that waited, and the benchmark's own frames (the harness, the testing package) are left out.\n\n")
	for _, g := range gs {
		r.profile(g)
	}
}

// rawDiffs writes, for the read, write and new requests on Redis and
// PostgreSQL, where sesh's instructions beyond the raw driver's go: each
// function's self instructions per request in sesh's window minus the same
// in raw's, largest first. Both windows hold whole collection periods, so
// the collector's share is in the difference too.
func (r *report) rawDiffs() {
	type pair struct{ area, shape string }
	var rows []pair
	for _, area := range []string{"redis", "postgres"} {
		for _, shape := range []string{"read", "write", "new"} {
			if _, ok := r.instr["BenchmarkSession/"+area+"/"+shape+"/raw"]; ok {
				rows = append(rows, pair{area, shape})
			}
		}
	}
	if len(rows) == 0 {
		return
	}
	r.w("## Where sesh's instructions beyond the raw driver go\n\n")
	r.w("For each request shape on Redis and PostgreSQL: self instructions per request of each function in sesh's window minus the same in the raw driver's (both from the part files, collections included), the 15 largest differences, then the sum of all differences. Functions that only sesh runs are its own work; shared ones (the allocator, the collector, header handling) grow with what sesh allocates and writes.\n\n")
	for _, p := range rows {
		se, raw := r.instr["BenchmarkSession/"+p.area+"/"+p.shape+"/sesh"], r.instr["BenchmarkSession/"+p.area+"/"+p.shape+"/raw"]
		if se.Profile == "" || raw.Profile == "" || se.Requests == 0 || raw.Requests == 0 {
			continue
		}
		a, errA := selfCost(se.Profile)
		b, errB := selfCost(raw.Profile)
		if errA != nil || errB != nil {
			r.w("(%v %v)\n\n", errA, errB)
			continue
		}
		diff := map[string]float64{}
		for _, f := range a {
			diff[f.name] += f.cost / float64(se.Requests)
		}
		for _, f := range b {
			diff[f.name] -= f.cost / float64(raw.Requests)
		}
		var fs []fnCost
		sum := 0.0
		for name, d := range diff {
			fs = append(fs, fnCost{name, d})
			sum += d
		}
		sort.Slice(fs, func(i, j int) bool {
			if fs[i].cost != fs[j].cost {
				return fs[i].cost > fs[j].cost
			}
			return fs[i].name < fs[j].name
		})
		r.w("### %s %s: sesh %.0f, raw %.0f instructions per request\n\n```\n", p.area, p.shape, se.InstrPerReq, raw.InstrPerReq)
		for i, f := range fs {
			if i >= 15 || f.cost <= 0 {
				break
			}
			r.w("%+9.0f  %s\n", f.cost, f.name)
		}
		r.w("%+9.0f  (all functions)\n```\n\n", sum)
		byPart := map[string]float64{}
		for _, f := range fs {
			byPart[partOf(f.name)] += f.cost
		}
		r.w("The same difference by what the code buys (each function's self instructions counted once, by its name):\n\n| part | instructions per request | share |\n|---|---:|---:|\n")
		own := 0.0
		for _, pt := range parts {
			v := byPart[pt.label]
			if math.Abs(v) >= 0.5 {
				r.w("| %s | %+.0f | %.0f %% |\n", pt.label, v, 100*v/sum)
			}
			if pt.sesh {
				own += v
			}
		}
		r.w("\nsesh's own code (the parts before the benchmark's handler, without the runtime's work for them) adds %.0f instructions per request; the goal (≤ 1.10 × raw) leaves room for %.0f in all.\n\n",
			own, 0.10*raw.InstrPerReq)
	}
}

// parts sorts the functions of a profile by what they buy; the first
// part whose prefix starts a function's name takes it ("sesh" stands for
// the module path, as selfCost writes it).
var parts = []struct {
	label    string
	prefixes []string
	sesh     bool // sesh's own code, as opposed to the runtime, the driver and the benchmark
}{
	{"the cookie: the Cookie header parsed, each value's shape checked (`ValidID`: a malformed ID never reaches the store), every cookie of the name tried, two live ones refused",
		[]string{"sesh/cookie.Values", "sesh/cookie.each", "sesh/cookie.decode", "sesh.ValidID", "sesh.contains"}, true},
	{"the key checked again by the store (`CheckKey`: every store validates a key before it reaches a command)",
		[]string{"sesh/internal/storekit.CheckKey", "sesh.ValidateKey"}, true},
	{"the record's envelope (version for compare-and-set, expiry, user) parsed and checked (a corrupt record is `ErrCorrupt`), and the store's own code",
		[]string{"sesh/internal/storekit.", "sesh/redisstore.", "sesh/sqlstore.", "sesh/pgstore."}, true},
	{"the session's JSON checked in full and decoded, values read typed (a corrupt record is `ErrCorrupt`, a value of the wrong type `ErrWrongType`)",
		[]string{"sesh.decode", "sesh.(*fastParser)", "sesh.JSONCodec.Decode", "sesh.(*JSONCodec).Decode", "sesh.Get[", "sesh.parseJSON", "sesh.controlOrHigh", "sesh.plainString", "sesh.(*Session).getRaw", "sesh.Lookup"}, true},
	{"the session's JSON encoded (writes)",
		[]string{"sesh.JSONCodec.Encode", "sesh.(*JSONCodec).Encode", "sesh.append", "sesh.encode", "sesh.Set[", "sesh.(*Session).set"}, true},
	{"new IDs and store keys: 256 bits from crypto/rand, SHA-256 of the ID (a store dump holds no usable cookie)",
		[]string{"sesh.newIDAndKey", "sesh.NewID", "sesh.HashID", "sesh.encode32", "crypto/"}, true},
	{"timeouts: idle and absolute deadlines computed and checked, the record touched when due",
		[]string{"sesh.(*Manager).deadline", "sesh.(*Manager).touchIfDue", "sesh.(*Manager).dropExpiredValues", "sesh.(*Session).live", "time."}, true},
	{"the middleware: per-request state and context, the response wrapper, `Vary: Cookie`, `Cache-Control: private, no-store`, `Set-Cookie`",
		[]string{"sesh.(*responseWriter)", "sesh.(*Manager).Handler", "sesh.addVaryCookie", "sesh.(*headerVals)", "sesh.(*Manager).setCookies", "sesh/cookie.", "sesh.sessionCtx", "sesh.From", "net/http.(*Request).WithContext", "context."}, true},
	{"the session layer: load and save, status (new, modified, moved), metadata",
		[]string{"sesh."}, true},
	{"the benchmark's own handler (sesh's counts with typed Get and Set, raw's with strconv)",
		[]string{"sesh/bench."}, false},
	{"the runtime: allocation, collection, maps and copies (grows with what the parts above allocate)",
		[]string{"runtime.", "internal/runtime/", "aeshashbody", "memeqbody", "indexbytebody", "countbody", "cmpbody", "internal/chacha8rand", "gcWriteBarrier", "sync/atomic"}, false},
	{"the driver, net/http and the rest of the standard library",
		[]string{""}, false},
}

// partOf returns the label of the part that takes function name.
func partOf(name string) string {
	for _, p := range parts {
		for _, pre := range p.prefixes {
			if strings.HasPrefix(name, pre) {
				return p.label
			}
		}
	}
	return parts[len(parts)-1].label
}

func main() {
	dir := flag.String("results", "results", "directory with the results of run.sh")
	analysis := flag.String("analysis", "analysis.md", "hand-written notes to include")
	outPath := flag.String("o", "../BENCHMARKS.md", "output file")
	minReq := flag.Int("min", 2000, "the minimum requests of a callgrind window (cmd/instr -min)")
	flag.Parse()

	r := &report{nat: native{}, instr: map[string]instrResult{}, repeat: map[string][]float64{}, extra: map[string]extraResult{}}
	if err := parseBench(filepath.Join(*dir, "bench.txt"), r.nat); err != nil {
		log.Fatal(err)
	}
	if err := parseBench(filepath.Join(*dir, "heap.txt"), r.nat); err != nil && !os.IsNotExist(err) {
		log.Fatal(err)
	}
	if err := readJSONLines(filepath.Join(*dir, "instr.jsonl"), func(v instrResult) {
		if v.Error != "" {
			if _, ok := r.instr[v.Bench]; !ok {
				r.instr[v.Bench] = v
			}
			return
		}
		r.repeat[v.Bench] = append(r.repeat[v.Bench], v.InstrPerReq)
		if old, ok := r.instr[v.Bench]; !ok || old.Error != "" {
			r.instr[v.Bench] = v
		}
	}); err != nil {
		log.Fatal(err)
	}
	// The measured value is the median of the repeats (and the first run's
	// window for the profile).
	for name, v := range r.repeat {
		ir := r.instr[name]
		ir.InstrPerReq = median(v)
		r.instr[name] = ir
	}
	all := map[string][]extraResult{}
	if err := readJSONLines(filepath.Join(*dir, "extra.jsonl"), func(v extraResult) {
		if v.N >= 100 { // the testing package's first, short runs are left out
			all[v.Bench] = append(all[v.Bench], v)
		}
	}); err != nil && !os.IsNotExist(err) {
		log.Fatal(err)
	}
	for name, es := range all {
		r.extra[name] = mergeExtra(es)
	}
	if _, ok := r.nat[floorName]; !ok {
		log.Fatal("no floor benchmark in the results")
	}

	r.w("# Benchmarks\n\n")
	r.w("Generated by `make bench` (bench/run.sh, bench/cmd/instr, bench/report); do not edit by hand — the notes at the end come from `bench/analysis.md`.\n\n")
	if m, err := os.ReadFile(filepath.Join(*dir, "machine.txt")); err == nil {
		r.w("## Machine and command\n\n```\n%s```\n\n", m)
	}
	r.w("**Instructions per request** are counted by valgrind's callgrind, in process (`httptest` request and recorder), GOMAXPROCS=1, ")
	r.w("one process per benchmark: after 64 warm-up requests and a forced collection, a window of at least %d requests (a quarter of that for 32 KB sessions) that ends right after a garbage collection completes, ",
		*minReq)
	r.w("so that every window holds whole collection periods and the collector's work is counted (with many live sessions the sum is made otherwise, see that section; collections made stop-the-world with `GODEBUG=gcstoptheworld=2`, which costs the same instructions on every run; a concurrent collection adds write barriers and costs more). ")
	r.w("Counts are user-space instructions of the benchmark process only: not the kernel's, not Redis's or PostgreSQL's. ")
	r.w("**ns/op, B/op, allocs/op** come from native runs of the same benchmarks (GOMAXPROCS=1, concurrent collector), medians over the passes; wall-clock time on this shared machine varies by tens of percent between passes, instruction counts by about one.\n\n")
	r.collectGoals()
	r.goalsTable()
	r.sessionTables()
	r.payloadTable()
	r.liveTable()
	r.optionTable()
	r.repeatTable()
	r.profiles()
	r.rawDiffs()
	if wrk, err := os.ReadFile(filepath.Join(*dir, "wrk.txt")); err == nil {
		r.w("## End to end (wrk)\n\n")
		r.w("A small server on loopback (`bench/cmd/e2e`), `wrk -t2 -c32` on the same two cores, every request a read of one existing session. ")
		r.w("Requests per second (higher is better; wall-clock, so as noisy as the machine):\n\n| server | req/s |\n|---|---:|\n")
		for _, line := range strings.Split(strings.TrimSpace(string(wrk)), "\n") {
			if f := strings.Fields(line); len(f) == 2 {
				r.w("| %s | %s |\n", f[0], f[1])
			}
		}
		r.w("\n")
	}
	if a, err := os.ReadFile(*analysis); err == nil {
		r.b.Write(a)
		r.w("\n")
	}
	if err := os.WriteFile(*outPath, []byte(r.b.String()), 0o644); err != nil {
		log.Fatal(err)
	}
}
