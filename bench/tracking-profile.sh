#!/usr/bin/env bash
# Where a tracked request's CPU goes in the running proxy, at equal load: every instance gets
# tracking-ab.sh's tracked POST at the same paced rate while `perf` samples it (call stacks by
# DWARF), one instance after the other, ROUNDS times (CPU per request measured in a window without
# perf just before); bench/tracking-profile.py charges every
# sample to a part of the tracking code (rule decision, activity, row, hand-off, ...) or to the
# proxying itself (user, kernel) or to the other threads, scaled to the CPU /proc measured.
#
# It answers what tracking-bench cannot: tracking-bench runs the tracking code in a tight loop,
# with warm caches; here it runs between the proxy's own work, as in production.
#
# Usage: bench/tracking-profile.sh RATE SECONDS ROUNDS NAME:BINARY:RULES:DB...
#   (RULES and DB as in tracking-ab.sh)
# Example: bench/tracking-profile.sh 10000 5 2 off:.build-release/release/trackingproxy:none:down \
#     on:.build-release/release/trackingproxy:rules/reports-app.yaml:down
# Needs perf (Debian: linux-perf) and swift (for `swift demangle`); perf script takes ~1 min per
# instance and round.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh
[ $# -ge 4 ] || { sed -n '2,17p' "$0" >&2; exit 64; }
RATE=$1; SECS=$2; ROUNDS=$3; shift 3
command -v perf >/dev/null || { echo "perf is missing: apt-get install linux-perf" >&2; exit 1; }
tracking_setup tp-tracking-profile 18411 18420 "$RATE" "$@"
echo "== $RATE req/s offered to each instance, ${SECS}s sampled at 999 Hz, $ROUNDS rounds"
for round in $(seq 1 "$ROUNDS"); do
  for name in "${names[@]}"; do
    url="http://127.0.0.1:${PORT[$name]}/api/v1/reports/7/generate/"
    wrk -t1 -c32 -d1s -s "$WORK/paced.lua" "$url" >/dev/null  # warm-up: connections open, pools full
    # CPU per request without perf (copying the stacks is charged to the sampled threads), then
    # the same load sampled: the samples give the shares, this window the whole.
    before=$(cpu_ticks "${PID[$name]}")
    out=$(wrk -t1 -c32 -d"${SECS}s" -s "$WORK/paced.lua" "$url")
    after=$(cpu_ticks "${PID[$name]}")
    reqs=$(awk '/requests in/ {print $1}' <<<"$out")
    cpu=$(awk -v t=$((after - before)) -v k="$TICK" -v r="$reqs" 'BEGIN { printf "%.2f", t * 1000000 / k / r }')
    rm -f "$WORK/perf.data"
    perf record -q -F 999 --call-graph dwarf,16384 -p "${PID[$name]}" -o "$WORK/perf.data" -- sleep "$SECS" 2> "$WORK/perf.log" &
    sampler=$!
    sampled=$(wrk -t1 -c32 -d"${SECS}s" -s "$WORK/paced.lua" "$url" | awk '/requests in/ {print $1}')
    wait "$sampler" && [ -s "$WORK/perf.data" ] || {
      cat "$WORK/perf.log" >&2
      echo "perf could not sample $name (as root, or lower /proc/sys/kernel/perf_event_paranoid)" >&2
      exit 1
    }
    echo "  round $round $name: $reqs requests, CPU $cpu us/req ($sampled requests sampled)"
    perf script -i "$WORK/perf.data" -F comm,tid,ip,sym 2> "$WORK/perf.log" | swift demangle --simplified > "$WORK/stacks.txt"
    python3 bench/tracking-profile.py "$WORK/stacks.txt" "$sampled" "$cpu" "$name" "$WORK/results"
  done
done
python3 bench/tracking-profile.py --summary "$WORK/results"
