#!/usr/bin/env bash
# make bench: the native passes (ns/op, B/op, allocs/op, round trips, Redis
# server CPU), heap per live session, instructions per request under
# callgrind, the wrk run, and BENCHMARKS.md.
#
# BENCH selects the set:
#   full   (default) every benchmark, live sessions 10^3 and 10^6, COUNT=2
#          native passes, callgrind windows of at least MIN=1000 requests,
#          the wrk run
#   quick  live sessions 10^3 only, one native pass, MIN=500, no wrk
# COUNT, BENCHTIME, MIN and WRK_SECONDS override the set's values. Needs
# Redis and PostgreSQL (SESH_REDIS_URL / SESH_POSTGRES_URL, defaulting to
# the local services) and valgrind (installed with apt-get if missing).
set -euo pipefail
cd "$(dirname "$0")"
export SESH_REDIS_URL="${SESH_REDIS_URL:-redis://127.0.0.1:6379/0}"
export SESH_POSTGRES_URL="${SESH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
BENCH="${BENCH:-full}"
case "$BENCH" in
full)
	COUNT="${COUNT:-2}" BENCHTIME="${BENCHTIME:-0.2s}" MIN="${MIN:-1000}" LIVE='1e3|1e6' WRK=1 ;;
quick)
	COUNT="${COUNT:-1}" BENCHTIME="${BENCHTIME:-0.1s}" MIN="${MIN:-500}" LIVE='1e3' WRK=0 ;;
*)
	echo "BENCH must be full or quick, not $BENCH" >&2
	exit 2 ;;
esac
WRK_SECONDS="${WRK_SECONDS:-5}"
# Benchmarks counted twice, for the report's repeatability table.
REPEAT='^BenchmarkSession/(floor|memory/read/sesh|redis/write/sesh)$'
out=results
rm -rf "$out"
mkdir -p "$out"
t0=$SECONDS

if ! command -v valgrind >/dev/null; then
	echo "installing valgrind"
	(apt-get update -qq && apt-get install -y -qq valgrind) >/dev/null
fi

go test -c -o "$out/bench.test" .
go build -o "$out/instr" ./cmd/instr

# Native passes: the whole set runs COUNT times, pass after pass, so that a
# drift of the machine or of a server lands on every library of a scenario
# alike. GOMAXPROCS=1 (-test.cpu 1), as under callgrind.
families='^Benchmark(Session|Payload|Update|Serialize)$'
live="^BenchmarkLive\$/^($LIVE)\$"
native="bench.test -test.run '^\$' -test.bench '$families' (then '$live') -test.cpu 1 -test.benchmem -test.count 1 -test.benchtime $BENCHTIME"
echo "== native: $COUNT passes of $native"
: > "$out/bench.txt"
for i in $(seq "$COUNT"); do
	echo "== pass $i of $COUNT"
	for pat in "$families" "$live"; do
		SESH_BENCH_EXTRA="$out/extra.jsonl" "$out/bench.test" -test.run '^$' -test.bench "$pat" -test.cpu 1 -test.benchmem \
			-test.count 1 -test.benchtime "$BENCHTIME" | grep -v '^\[' | tee -a "$out/bench.txt"
	done
done

heap="bench.test -test.run '^\$' -test.bench '^BenchmarkHeap\$/^($LIVE)\$' -test.cpu 1 -test.benchtime 1x"
echo "== heap per live session: $heap"
"$out/bench.test" -test.run '^$' -test.bench "^BenchmarkHeap\$/^($LIVE)\$" -test.cpu 1 -test.benchtime 1x | grep -v '^\[' | tee "$out/heap.txt"

instr="instr -min $MIN -repeat '$REPEAT' (each benchmark of the native run alone under valgrind --tool=callgrind)"
echo "== instructions: $instr"
"$out/instr" -test "$out/bench.test" -names "$out/bench.txt" -o "$out/instr.jsonl" -dir "$out/cg" -min "$MIN" -repeat "$REPEAT"

wrkcmd=""
if [ "$WRK" = 1 ]; then
	echo "== wrk"
	if ! command -v wrk >/dev/null; then
		echo "installing wrk"
		(apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
	fi
	go build -o "$out/e2e" ./cmd/e2e
	: > "$out/wrk.txt"
	port=18080
	for mode in none sesh-memory scs-memory sesh-redis scs-redis; do
		"$out/e2e" -mode "$mode" -addr "127.0.0.1:$port" &
		pid=$!
		for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
		cookie=$(curl -s -D - -o /dev/null "http://127.0.0.1:$port/seed" | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -1)
		rps=$(wrk -t2 -c32 -d"${WRK_SECONDS}s" ${cookie:+-H "Cookie: $cookie"} "http://127.0.0.1:$port/" | awk '/Requests\/sec/ {print $2}')
		echo "$mode $rps" | tee -a "$out/wrk.txt"
		kill "$pid"; wait "$pid" 2>/dev/null || true
	done
	wrkcmd="; wrk -t2 -c32 -d${WRK_SECONDS}s"
fi

{
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	echo "cores: $(nproc)"
	echo "memory: $(free -g | awk '/Mem:/ {print $2 " GiB"}')"
	echo "go: $(go version)"
	echo "valgrind: $(valgrind --version)"
	echo "redis: $(redis-server --version | awk '{print $3}')"
	echo "postgres: $(psql --version | awk '{print $3}')"
	[ "$WRK" = 1 ] && echo "wrk: $(wrk --version 2>&1 | head -1 | awk '{print $2}')"
	echo "date: $(date -u +%Y-%m-%d)"
	echo "command: make bench BENCH=$BENCH (bench/run.sh, $((SECONDS - t0)) s)"
	echo "  native: $COUNT passes of $native"
	echo "  heap:   $heap"
	echo "  instr:  $instr$wrkcmd"
} > "$out/machine.txt"

go run ./report -results "$out" -analysis analysis.md -min "$MIN" -o ../BENCHMARKS.md
echo "wrote BENCHMARKS.md ($((SECONDS - t0)) s)"
