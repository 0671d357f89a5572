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
# `--static` builds the binary `make dist` ships instead: the same flags plus
# `--static-swift-stdlib` (the Swift runtime and Foundation linked in, so the target machine needs
# no Swift; libpq and glibc stay shared, from the system), into .build-dist: a scratch folder of
# its own, so that neither build makes SwiftPM rebuild the other's modules, and the benchmarks
# keep measuring the binary they always did.
#
#   scripts/release-build.sh [--static] [PRODUCT]
set -euo pipefail
cd "$(dirname "$0")/.."
export TRACKINGPROXY_BENCHMARKS=1
scratch=(--scratch-path .build-release)
if [ "${1:-}" = --static ]; then
    shift
    scratch=(--scratch-path .build-dist --static-swift-stdlib)
fi
exec swift build -c release --product "${1:-trackingproxy}" "${scratch[@]}" -Xswiftc -enforce-exclusivity=unchecked
