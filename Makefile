# sesh — every target works on a fresh machine (Go on PATH); see README.md.
SHELL := /bin/bash
GO ?= go
# Every module of the workspace (the root, the demo, the store modules, bench).
MODULES := $(shell $(GO) list -m -f '{{.Dir}}' 2>/dev/null | sed "s|^$(CURDIR)|.|")
STATICCHECK_VERSION := v0.8.2
GOBIN := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck
TESTFLAGS ?= -race -count=1
FUZZTIME ?= 30s

.PHONY: demo test lint bench fuzz tools modules browser engines

## demo: run the demo site on an embedded store (prints its address)
demo:
	cd cmd/seshdemo && $(GO) run .

## test: every module's tests, with the race detector
test: browser engines
	@set -e; for m in $(MODULES); do \
		echo "== go test $$m"; \
		(cd $$m && $(GO) test $(TESTFLAGS) ./...); \
	done
	@echo "== benchmarks, one iteration each (they must run, not just compile)"
	@cd bench && out=$$($(GO) test -run '^$$' -bench . -benchtime 1x ./... 2>&1) || { echo "$$out"; exit 1; }; \
		echo "$$out" | grep -E '^(ok|--- SKIP)' || true

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

## lint: gofmt, go vet and staticcheck on every module
lint: $(STATICCHECK)
	@set -e; out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@set -e; for m in $(MODULES); do \
		echo "== vet+staticcheck $$m"; \
		(cd $$m && $(GO) vet ./... && $(STATICCHECK) ./...); \
	done

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## fuzz: run every fuzz target of every module for FUZZTIME each
fuzz:
	@set -e; for m in $(MODULES); do \
		for pkg in $$(cd $$m && $(GO) list ./...); do \
			for f in $$(cd $$m && $(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
				echo "== $$pkg $$f"; (cd $$m && $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg); \
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
