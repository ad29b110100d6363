#!/usr/bin/env bash
# make bench: every benchmark with -count for benchstat, the wrk run, and
# BENCHMARKS.md. Needs Redis and PostgreSQL (the local services; .ci/run's
# defaults are used when SESH_REDIS_URL / SESH_POSTGRES_URL are unset).
# COUNT, BENCHTIME and WRK_SECONDS shorten or lengthen the run.
set -euo pipefail
cd "$(dirname "$0")"
export SESH_REDIS_URL="${SESH_REDIS_URL:-redis://127.0.0.1:6379/0}"
export SESH_POSTGRES_URL="${SESH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
COUNT="${COUNT:-6}"
BENCHTIME="${BENCHTIME:-0.5s}"
WRK_SECONDS="${WRK_SECONDS:-5}"
BENCHSTAT_VERSION=v0.0.0-20260908200009-22c9c6c9d4da
out=results
mkdir -p "$out"

# The whole suite runs COUNT times, one pass after another, rather than each
# benchmark COUNT times in a row: a drift of the machine or of a server
# (a Redis rehash, a PostgreSQL checkpoint) then lands on every library of a
# scenario alike, instead of on whichever ran during it.
go test -c -o "$out/bench.test" .
cmd="go test -c; for i in 1..$COUNT: bench.test -test.run '^\$' -test.bench . -test.benchmem -test.count 1 -test.benchtime $BENCHTIME"
echo "== $cmd"
: > "$out/bench.txt"
for i in $(seq "$COUNT"); do
	echo "== pass $i of $COUNT"
	"$out/bench.test" -test.run '^$' -test.bench . -test.benchmem -test.count 1 -test.benchtime "$BENCHTIME" | grep -v '^\[' | tee -a "$out/bench.txt"
done

echo "== benchstat"
go run "golang.org/x/perf/cmd/benchstat@$BENCHSTAT_VERSION" "$out/bench.txt" > "$out/benchstat.txt"

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

{
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	echo "cores: $(nproc)"
	echo "memory: $(free -g | awk '/Mem:/ {print $2 " GiB"}')"
	echo "go: $(go version)"
	echo "redis: $(redis-server --version | awk '{print $3}')"
	echo "postgres: $(psql --version | awk '{print $3}')"
	echo "wrk: $(wrk --version 2>&1 | head -1 | awk '{print $2}')"
	echo "date: $(date -u +%Y-%m-%d)"
	echo "command: make bench (bench/run.sh: $cmd; wrk -t2 -c32 -d${WRK_SECONDS}s)"
} > "$out/machine.txt"

go run ./report -results "$out" -analysis analysis.md -o ../BENCHMARKS.md
echo "wrote BENCHMARKS.md"
