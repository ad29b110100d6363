package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// Every benchmark of this package serves its requests through measure (or
// measureLive), which runs them one of two ways, chosen by run.sh through
// the environment:
//
//   - natively (the default): 16 untimed requests, then b.N requests timed
//     by the testing package, for ns/op, B/op and allocs/op. With
//     SESH_BENCH_EXTRA set, the Redis and PostgreSQL benchmarks also count
//     their commands and round trips and read Redis's INFO commandstats
//     around the loop (see probe).
//
//   - under callgrind (SESH_BENCH_CALLGRIND=<file>: the binary started by
//     bench/cmd/instr with valgrind --tool=callgrind --instr-atstart=no
//     --dump-before='*bench.cgMark'): b.N is ignored. Set-up runs without
//     instrumentation; measure turns it on (a client request, valgrind.go)
//     and, after 64 warm-up requests and a forced collection, cgMark opens
//     a window: requests run until at least SESH_BENCH_MIN of them (scaled
//     per benchmark) have run and then until the next garbage collection
//     has completed, and cgMark closes the window. Callgrind dumps a
//     profile part at each cgMark, so the part that the second one closes
//     holds exactly the window: whole collection periods, the collector's
//     work included. The window's part number, request count and
//     collection count go to <file> as one JSON line. cmd/instr runs the
//     binary with GOMAXPROCS=1 and GODEBUG=gcstoptheworld=2 (collections
//     and their sweeping stop the world, so they cost the same
//     instructions on every run) and asyncpreemptoff=1 (callgrind cannot
//     follow Go's preemption signals).
var (
	cgOut    = os.Getenv("SESH_BENCH_CALLGRIND")
	extraOut = os.Getenv("SESH_BENCH_EXTRA")
	cgMin    = envInt("SESH_BENCH_MIN", 2000)
)

func init() {
	if underCallgrind() {
		// The heap profiler samples allocations at random points (and
		// unwinds the stack there): instruction counts would differ from
		// run to run.
		runtime.MemProfileRate = 0
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// underCallgrind reports whether this run counts instructions.
func underCallgrind() bool { return cgOut != "" }

// cgMark is where callgrind dumps a profile part (--dump-before). It must
// stay a real call.
//
//go:noinline
func cgMark() {}

var marks int // callgrind parts dumped so far: part k ends at the k-th cgMark

func mark() int {
	cgMark()
	marks++
	return marks
}

var gcSample = []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}

// gcCycles returns the number of completed collections (about 850
// instructions: it is read every 16 requests, and only after the minimum).
func gcCycles() uint64 {
	metrics.Read(gcSample)
	return gcSample[0].Value.Uint64()
}

// windowCap bounds a window that never sees a collection (it is then
// reported as not aligned), and measureLive's count of a period.
const windowCap = 400_000

// measure runs req(i) for i = 0, 1, … as the benchmark's loop (see the
// package comment above for the two modes). scale multiplies the callgrind
// window's minimum, for requests that cost many times a small one. p, if
// not nil, counts the backend's commands around the native loop.
func measure(b *testing.B, scale float64, p *probe, req func(i int)) {
	const warm = 64
	if !underCallgrind() {
		// A few untimed requests first: connections dialled, statements
		// prepared, scripts loaded, as in a server that has been up.
		for i := 0; i < warm/4; i++ {
			req(i)
		}
		b.ReportAllocs()
		if p != nil {
			p.begin()
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			req(warm/4 + i)
		}
		b.StopTimer()
		if p != nil {
			p.end(b, b.N)
		}
		return
	}
	callgrindStart()
	defer callgrindStop()
	for i := 0; i < warm; i++ {
		req(i)
	}
	min := max(int(math.Ceil(float64(cgMin)*scale)), 16)
	runtime.GC()
	g0 := gcCycles()
	mark()
	n, aligned := 0, false
	var armed uint64
	for {
		req(warm + n)
		n++
		if n < min || n%16 != 0 {
			continue
		}
		g := gcCycles()
		if armed == 0 {
			armed = g + 1 // stop once the next collection has completed
		} else if g >= armed {
			aligned = true
			break
		}
		if n >= windowCap {
			break
		}
	}
	part := mark()
	writeLine(cgOut, map[string]any{
		"bench": b.Name(), "part": part, "requests": n,
		"gcs": gcCycles() - g0, "aligned": aligned,
	})
}

// measureLive is measure for a store that holds many live sessions, where
// one collection period is tens of thousands of requests (too many to
// count under callgrind). Natively it is measure. Under callgrind, with
// instrumentation off except where counted:
//
//  1. period P: requests after a forced collection until the next one
//     has completed (the pacer's period at this heap, in this process);
//  2. counted: N = min(P-64, SESH_BENCH_MIN × scale) requests right after
//     a forced collection, so none falls among them: W instructions;
//  3. after another forced collection, P-64 requests uncounted, then
//     counted: the requests until the next collection has completed (k of
//     them, checking every 4th) with that collection: G instructions.
//
// cmd/instr adds up W/N + (G - k·W/N)/P: the requests' own instructions
// plus one periodic collection (marking every live session, sweeping a
// period's garbage) spread over its period.
func measureLive(b *testing.B, scale float64, req func(i int)) {
	if !underCallgrind() {
		measure(b, scale, nil, req)
		return
	}
	const warm, margin = 64, 64
	i := 0
	next := func() { req(i); i++ }
	for range warm {
		next()
	}
	// untilCollection serves requests until a collection completes,
	// checking every step requests, and returns how many it served.
	untilCollection := func(step int) int {
		g, n := gcCycles(), 0
		for gcCycles() == g && n < windowCap {
			for range step {
				next()
				n++
			}
		}
		return n
	}
	runtime.GC()
	period := untilCollection(16)
	n := max(min(period-margin, int(math.Ceil(float64(cgMin)*scale))), 1)

	callgrindStart()
	runtime.GC()
	mark()
	for range n {
		next()
	}
	reqPart := mark()
	runtime.GC()
	callgrindStop()

	g := gcCycles()
	for range period - margin {
		next()
	}
	if gcCycles() != g {
		b.Fatalf("a collection came before %d requests; the period was %d", period-margin, period)
	}
	callgrindStart()
	mark()
	k := untilCollection(4)
	gcPart := mark()
	callgrindStop()
	writeLine(cgOut, map[string]any{
		"bench": b.Name(), "part": reqPart, "requests": n,
		"gc_part": gcPart, "gc_requests": k, "period": period, "aligned": period < windowCap,
	})
}

var writeMu sync.Mutex

// writeLine appends v to path as one JSON line.
func writeLine(path string, v map[string]any) {
	writeMu.Lock()
	defer writeMu.Unlock()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	json.NewEncoder(w).Encode(v)
	w.Flush()
}

// extra records facts about a native run of b (n requests) for the report.
func extra(b *testing.B, n int, v map[string]any) {
	if extraOut == "" || underCallgrind() {
		return
	}
	v["bench"], v["n"] = b.Name(), n
	writeLine(extraOut, v)
}

// --- counting the backend's work (native runs) ---

// probe counts, around a native loop, the commands and round trips a
// library's client sends (a go-redis hook, a pgx tracer), and for Redis the
// server's CPU time from INFO commandstats. It is attached only when
// SESH_BENCH_EXTRA is set and not under callgrind, so it never adds to
// instruction counts.
type probe struct {
	redis *redisCounter
	srv   *redis.Client // unhooked client for INFO
	pg    *pgCounter

	statsBefore map[string]cmdStat
}

func probing() bool { return extraOut != "" && !underCallgrind() }

func (p *probe) begin() {
	if p.redis != nil {
		p.redis.reset()
		p.statsBefore = commandStats(p.srv)
	}
	if p.pg != nil {
		p.pg.n.Store(0)
	}
}

// end reports per request: rt/op (round trips), and for Redis cmd/op
// (commands) and srv-us/op, the server's CPU time: for each command this
// client sent, the server's microseconds per call over the loop times the
// calls per request. Calls from other clients of a shared server enter the
// per-call average only.
func (p *probe) end(b *testing.B, n int) {
	if n == 0 {
		return
	}
	fn := float64(n)
	if p.pg != nil {
		rt := float64(p.pg.n.Load()) / fn
		b.ReportMetric(rt, "rt/op")
		extra(b, n, map[string]any{"rt": rt})
	}
	if p.redis == nil {
		return
	}
	after := commandStats(p.srv)
	rt, cmds, shapes := p.redis.snapshot()
	var total, usec float64
	per := map[string]map[string]float64{}
	for name, calls := range cmds {
		total += float64(calls)
		st := after[name].minus(p.statsBefore[name])
		c := map[string]float64{"calls_per_req": float64(calls) / fn}
		if st.calls > 0 {
			c["usec_per_call"] = st.usec / st.calls
			usec += st.usec / st.calls * float64(calls) / fn
		}
		per[name] = c
	}
	shp := map[string]float64{}
	for s, v := range shapes {
		shp[s] = float64(v) / fn
	}
	b.ReportMetric(float64(rt)/fn, "rt/op")
	b.ReportMetric(total/fn, "cmd/op")
	b.ReportMetric(usec, "srv-us/op")
	extra(b, n, map[string]any{"rt": float64(rt) / fn, "cmds": per, "shapes": shp, "srv_usec": usec})
}

// redisCounter is a go-redis hook that counts round trips (a command or a
// pipeline) and commands by name, and SET commands by their NX and PXAT
// options.
type redisCounter struct {
	mu     sync.Mutex
	rt     int64
	cmds   map[string]int64
	shapes map[string]int64
}

func (c *redisCounter) reset() {
	c.mu.Lock()
	c.rt, c.cmds, c.shapes = 0, map[string]int64{}, map[string]int64{}
	c.mu.Unlock()
}

func (c *redisCounter) snapshot() (int64, map[string]int64, map[string]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rt, c.cmds, c.shapes
}

func (c *redisCounter) count(cmds ...redis.Cmder) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmds == nil {
		return // not measuring yet
	}
	c.rt++
	for _, cmd := range cmds {
		name := cmd.Name()
		c.cmds[name]++
		if name != "set" {
			continue
		}
		nx, pxat := false, false
		for _, a := range cmd.Args()[1:] {
			if s, ok := a.(string); ok {
				nx = nx || strings.EqualFold(s, "nx")
				pxat = pxat || strings.EqualFold(s, "pxat")
			}
		}
		switch {
		case nx && pxat:
			c.shapes["SET NX PXAT"]++
		case nx:
			c.shapes["SET NX"]++
		default:
			c.shapes["SET"]++
		}
	}
}

func (c *redisCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *redisCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.count(cmd)
		return next(ctx, cmd)
	}
}

func (c *redisCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.count(cmds...)
		return next(ctx, cmds)
	}
}

type cmdStat struct{ calls, usec float64 }

func (a cmdStat) minus(b cmdStat) cmdStat { return cmdStat{a.calls - b.calls, a.usec - b.usec} }

// commandStats parses INFO commandstats: cmdstat_get:calls=1,usec=2,...
func commandStats(c *redis.Client) map[string]cmdStat {
	out := map[string]cmdStat{}
	s, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil {
		return out
	}
	for _, line := range strings.Split(s, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		var st cmdStat
		for _, kv := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			f, _ := strconv.ParseFloat(v, 64)
			switch k {
			case "calls":
				st.calls = f
			case "usec":
				st.usec = f
			}
		}
		out[strings.TrimPrefix(name, "cmdstat_")] = st
	}
	return out
}

// pgCounter is a pgx tracer that counts round trips: each statement, and
// each preparation of one (pgx prepares a statement on its first use on a
// connection).
type pgCounter struct{ n atomic.Int64 }

func (c *pgCounter) TracePrepareStart(ctx context.Context, _ *pgx.Conn, _ pgx.TracePrepareStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *pgCounter) TracePrepareEnd(context.Context, *pgx.Conn, pgx.TracePrepareEndData) {}

func (c *pgCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *pgCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
