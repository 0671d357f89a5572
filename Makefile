# TrackingProxy — the two set-up commands (fresh machine, as root):
#   make run    build and run the proxy on local defaults, in front of the demo reports app
#   make test   install what is missing, build, run all tests
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help deps build release test run bench clean

help:
	@echo "make run    build and run the proxy in front of the demo reports app (local defaults)"
	@echo "make test   install what is missing (apt), build, run all tests"
	@echo "make bench  proxy benchmark against nginx (release build), see BENCHMARKS.md"

deps:
	scripts/install-deps.sh test

build: deps
	swift build

release: deps
	scripts/release-build.sh trackingproxy

test: deps
	scripts/test.sh

run: release
	scripts/run.sh

bench:
	scripts/install-deps.sh bench
	bench/proxy.sh

clean:
	rm -rf .build .build-release .run
