#!/usr/bin/env bash
# Builds PRODUCT (default trackingproxy) in release mode into .build-release, the one place
# `make run`, `make release` and the benchmarks take release binaries from.
#
# Every module, the dependencies included, is compiled without run-time exclusivity checks
# (`-enforce-exclusivity=unchecked`): in SwiftNIO's hot paths they cost ~8% of the proxy's CPU per
# request (measured: 34 → 31 µs, +5% req/s). Debug builds, which run the tests, keep the checks;
# release builds rely on them having passed there. Use the same flags for every release product
# here, or SwiftPM rebuilds everything when they change.
#
# The benchmark executables (Benchmarks/) are in the package only with TRACKINGPROXY_BENCHMARKS=1;
# it is set for every release build here, so the one scratch folder always sees the same package.
#
#   scripts/release-build.sh [PRODUCT]
set -euo pipefail
cd "$(dirname "$0")/.."
export TRACKINGPROXY_BENCHMARKS=1
exec swift build -c release --product "${1:-trackingproxy}" --scratch-path .build-release -Xswiftc -enforce-exclusivity=unchecked
