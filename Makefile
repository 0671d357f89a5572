# TrackingProxy — the two set-up commands (fresh machine, as root):
#   make run    build and run the proxy on local defaults, in front of the demo reports app
#   make test   install what is missing, build, run all tests
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help deps build release dist test run bench fuzz clean

help:
	@echo "make run    build and run the proxy in front of the demo reports app (local defaults)"
	@echo "make test   install what is missing (apt), build, run all tests"
	@echo "make bench  proxy benchmark against nginx (release build), see BENCHMARKS.md"
	@echo "make fuzz   run every libFuzzer target for FUZZ_SECONDS (default 60) each"
	@echo "make dist   the release tarball dist/trackingproxy-VERSION-linux-ARCH.tar.gz (no Swift needed to run it)"

deps:
	scripts/install-deps.sh test

build: deps
	swift build

release: deps
	scripts/release-build.sh trackingproxy

dist: deps
	scripts/dist.sh

test: deps
	scripts/test.sh

run: release
	scripts/run.sh

FUZZ_SECONDS ?= 60
fuzz: deps
	scripts/fuzz.sh run $(FUZZ_SECONDS)

bench:
	scripts/install-deps.sh bench
	bench/proxy.sh

clean:
	rm -rf .build .build-release .build-dist .build-fuzz .run dist
