#!/usr/bin/env bash
# libFuzzer targets (Fuzz/<name>/, listed in Package.swift's `fuzzTargets`), built with
# `-sanitize=fuzzer,address` into .build-fuzz. Each target's seed corpus is
# Tests/Fuzz/Corpus/<name>/ and the inputs that once crashed it are Tests/Fuzz/Crashes/<name>/.
#
#   scripts/fuzz.sh build                      build every target
#   scripts/fuzz.sh replay                     run every target once over its corpus and crashes
#                                              (`make test`; no fuzzing, fails on any crash)
#   scripts/fuzz.sh run [SECONDS] [TARGET...]  fuzz each target for SECONDS (default 60) in turn
#                                              (`make fuzz`); new inputs go to .build-fuzz/corpus/,
#                                              crashes to Tests/Fuzz/Crashes/<name>/ (commit them,
#                                              fix the bug, the replay keeps it fixed)
set -euo pipefail
cd "$(dirname "$0")/.."
export TRACKINGPROXY_FUZZ=1
# A Swift trap is a finding libFuzzer reports itself; Swift's own backtracer would read memory that
# AddressSanitizer then reports instead of the trap.
export SWIFT_BACKTRACE=enable=no
# LeakSanitizer is off: Swift keeps class references in enum payloads with tag bits set, which it
# cannot see as pointers, so it reports objects that are alive as leaked. A real leak still ends a
# run through libFuzzer's -rss_limit_mb (2 GiB).
leaks=-detect_leaks=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
scratch=.build-fuzz

# The targets, from Package.swift's list (one `("fuzz-…", …` line each).
all_targets() { grep -o '("fuzz-[a-z0-9-]*"' Package.swift | tr -d '("'; }

build() {
    # One product per invocation: SwiftPM builds only the last --product given.
    for target in "$@"; do
        swift build --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address --product "$target"
    done
}

command=${1:-replay}
shift || true
case "$command" in
    build)
        build $(all_targets)
        ;;
    replay)
        targets=$(all_targets)
        build $targets
        for target in $targets; do
            dirs=()
            for dir in "Tests/Fuzz/Corpus/$target" "Tests/Fuzz/Crashes/$target"; do
                [ -d "$dir" ] && dirs+=("$dir")
            done
            [ ${#dirs[@]} -gt 0 ] || { echo "fuzz.sh: $target has no corpus in Tests/Fuzz/Corpus/$target" >&2; exit 1; }
            count=$(find "${dirs[@]}" -type f | wc -l)
            echo "fuzz replay: $target, $count inputs"
            # -runs=0: execute the given inputs once each, then stop.
            "$scratch/debug/$target" -runs=0 $leaks "${dirs[@]}" >"$scratch/$target.replay.log" 2>&1 || {
                tail -n 40 "$scratch/$target.replay.log" >&2
                echo "fuzz.sh: $target failed on a corpus or crash input (log: $scratch/$target.replay.log)" >&2
                exit 1
            }
            # libFuzzer ends with "Done N runs": a target whose entry point never reached libFuzzer
            # (a missing `@main`) exits 0 having run nothing.
            grep -q '^Done [0-9]* runs' "$scratch/$target.replay.log" || {
                echo "fuzz.sh: $target ran no input (no libFuzzer summary; does it have a @main calling runFuzzer?)" >&2
                exit 1
            }
        done
        ;;
    run)
        seconds=${1:-60}
        shift || true
        targets=${*:-$(all_targets)}
        build $targets
        for target in $targets; do
            mkdir -p "$scratch/corpus/$target" "Tests/Fuzz/Crashes/$target" "Tests/Fuzz/Corpus/$target"
            echo "fuzzing $target for ${seconds}s"
            "$scratch/debug/$target" "$scratch/corpus/$target" "Tests/Fuzz/Corpus/$target" \
                -max_total_time="$seconds" -print_final_stats=1 $leaks \
                -artifact_prefix="Tests/Fuzz/Crashes/$target/" 2>&1 | tee "$scratch/$target.run.log" | grep -E '^#[0-9]+.*(DONE|pulse)|ERROR|SUMMARY|stat::number_of_executed_units' || true
        done
        ;;
    *)
        echo "usage: scripts/fuzz.sh build | replay | run [SECONDS] [TARGET...]" >&2
        exit 2
        ;;
esac
