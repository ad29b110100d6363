# sesh — every target works on a fresh machine (Go on PATH); see README.md.
SHELL := /bin/bash
GO ?= go
# Every module of the workspace (the root, the demo, the store modules, bench).
MODULES := $(shell $(GO) list -m -f '{{.Dir}}' 2>/dev/null | sed "s|^$(CURDIR)|.|")
STATICCHECK_VERSION := v0.8.2
GOBIN := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck
# -timeout only catches a hung test binary (the default 10m is too close to
# what a busy 2-core machine needs for the slowest module under -race).
TESTFLAGS ?= -race -count=1 -timeout=30m
FUZZTIME ?= 30s
# go test minimizes each new interesting input for up to 60 s by default,
# and a worker that minimizes runs no new input: with the 64 KB seeds
# (which make the most costly inputs) that took whole 20 s runs. Crashers
# are written out either way.
FUZZMINIMIZETIME ?= 2s

.PHONY: demo test lint bench fuzz tools modules browser engines

## demo: run the demo site (prints its address), on SQLite by default or on
## any store by URL: make demo STORE=redis://127.0.0.1:6379/0. The default
## build has the sqlite, memory and file stores only; a STORE of another
## scheme builds the demo with every store driver (-tags allstores).
demo:
	@cd cmd/seshdemo && case "$${STORE:-}" in \
		""|sqlite:*|memory:*|file:*) tags=; \
			what="the sqlite, memory and file stores"; first="the pure-Go SQLite driver";; \
		*) tags="-tags allstores"; \
			what="every store driver (-tags allstores, for STORE=$${STORE%%:*}://…)"; first="every driver (the AWS SDK included)";; \
	esac; \
	echo "== go build: the demo with $$what"; \
	echo "   (a first build compiles $$first and can take minutes; later builds come from Go's build cache)"; \
	start=$$SECONDS; mkdir -p -m 700 .seshdemo && $(GO) build $$tags -o .seshdemo/seshdemo . || exit; \
	echo "== built in $$((SECONDS - start)) s: starting cmd/seshdemo/.seshdemo/seshdemo (Ctrl-C stops it)"; \
	exec ./.seshdemo/seshdemo

## test: every module's tests, with the race detector, then every benchmark
## for one iteration (they must run, not just compile). Every module runs
## even after one fails; a summary at the end (internal/testreport) gives
## each module's pass/fail/skip counts, the engine and version each store
## ran against, the reason of every skip, and what failed.
test: browser engines
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
		$(GO) build -o "$$dir/testreport" ./internal/testreport && \
		"$$dir/testreport" -go "$(GO)" -flags "$(TESTFLAGS)" -bench ./bench $(MODULES)

## browser: Debian's Chromium for the demo's browser test (installed if
## missing and apt-get is usable; otherwise that test skips and says why)
browser:
	@command -v chromium >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
		echo "installing chromium (for the demo's browser test)" && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || true

## engines: Debian's memcached for memcachestore's tests (installed if
## missing and apt-get is usable; the tests start it on a free loopback
## port). dynalite and miniflare come from npm, installed by the tests from
## their committed lockfiles.
engines:
	@command -v memcached >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
		echo "installing memcached (for memcachestore's tests)" && \
		{ DEBIAN_FRONTEND=noninteractive apt-get install -y -qq memcached >/dev/null 2>&1 || \
		  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq memcached >/dev/null; }; }; } || true

## lint: gofmt, go vet and staticcheck on every module; README.ja.md has
## README.md's outline and commands (internal/readmecheck)
lint: $(STATICCHECK)
	@set -e; out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@echo "== README.md and README.ja.md: same sections and commands"
	@$(GO) run ./internal/readmecheck README.md README.ja.md
	@set -e; for m in $(MODULES); do \
		echo "== vet+staticcheck $$m"; \
		(cd $$m && $(GO) vet ./... && $(STATICCHECK) ./...); \
	done

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## fuzz: run every fuzz target of every module for FUZZTIME each, new
## interesting inputs minimized for FUZZMINIMIZETIME at most (a package
## whose tests do not build fails the target, rather than running none of
## its fuzz targets)
fuzz:
	@set -e; for m in $(MODULES); do \
		for pkg in $$(cd $$m && $(GO) list ./...); do \
			list=$$(cd $$m && $(GO) test -list '^Fuzz' $$pkg 2>&1) || { echo "$$list"; exit 1; }; \
			for f in $$(echo "$$list" | grep '^Fuzz' || true); do \
				echo "== $$pkg $$f"; (cd $$m && $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZETIME) $$pkg); \
			done; \
		done; \
	done

## bench: benchmarks against scs and gorilla/sessions, written to
## BENCHMARKS.md: instructions per request (callgrind) beside ns/op.
## BENCH=quick for the short set (see bench/run.sh)
BENCH ?= full
bench:
	cd bench && BENCH='$(BENCH)' ./run.sh

modules:
	@echo $(MODULES)
