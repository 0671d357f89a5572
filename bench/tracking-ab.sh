#!/usr/bin/env bash
# Tracking cost at equal load, several builds side by side: every instance gets the same tracked
# POST (bench/tracking.sh's) at the same rate, paced by one schedule, in interleaved rounds; prints
# each instance's CPU per request and its difference to the first instance (the reference, e.g. an
# untracked one).
#
# Usage: bench/tracking-ab.sh RATE SECONDS ROUNDS NAME:BINARY:RULES:DB...
#   RULES  a rules file, or "none" (a rules file that matches nothing: untracked)
#   DB     "up" (the scripts/pg.sh cluster) or "down" (unreachable: records go to the spool)
# Example (an A/B of two builds against an untracked reference, 10,000 req/s, 5 rounds of 6 s):
#   bench/tracking-ab.sh 10000 6 5 off:/tmp/new:none:down base:/tmp/base:rules/reports-app.yaml:down \
#     new:/tmp/new:rules/reports-app.yaml:down
# Also prints each instance's CPU per request by thread name (event loops; the activity builder and
# the writer's tasks on the cooperative pool, `default-qos`; the spool's thread, `TP-`).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh
[ $# -ge 4 ] || { sed -n '2,14p' "$0" >&2; exit 64; }
RATE=$1; SECS=$2; ROUNDS=$3; shift 3
tracking_setup tp-tracking-ab 18311 18320 "$RATE" "$@"
# thread_ticks PID -> "thread-name ticks" per distinct thread name (names with spaces joined by _).
thread_ticks() {
  for task in /proc/"$1"/task/*; do
    read -r -a f < <(sed 's/^.*) //' "$task/stat")
    echo "$(tr ' ' '_' < "$task/comm") $((f[11] + f[12]))"
  done | awk '{s[$1]+=$2} END {for (k in s) print k, s[k]}' | sort
}
echo "== $RATE req/s offered to each instance, $ROUNDS interleaved rounds of ${SECS}s"
: > "$WORK/results"; : > "$WORK/threads"
for round in $(seq 1 "$ROUNDS"); do
  for name in "${names[@]}"; do
    before=$(cpu_ticks "${PID[$name]}"); threads_before=$(thread_ticks "${PID[$name]}")
    out=$(wrk -t1 -c32 -d"${SECS}s" -s "$WORK/paced.lua" "http://127.0.0.1:${PORT[$name]}/api/v1/reports/7/generate/")
    after=$(cpu_ticks "${PID[$name]}"); threads_after=$(thread_ticks "${PID[$name]}")
    reqs=$(awk '/requests in/ {print $1}' <<<"$out")
    cpu=$(awk -v t=$((after - before)) -v k="$TICK" -v r="$reqs" 'BEGIN { printf "%.1f", t * 1000000 / k / r }')
    echo "$name $reqs $cpu" >> "$WORK/results"
    join <(echo "$threads_before") <(echo "$threads_after") | awk -v n="$name" -v r="$reqs" -v k="$TICK" \
      '{ print n, $1, ($3 - $2) * 1000000 / k / r }' >> "$WORK/threads"
    printf "  round %d %-12s %7.0f req/s   CPU %5.1f us/req\n" "$round" "$name" "$(awk -v r="$reqs" -v s="$SECS" 'BEGIN { print r / s }')" "$cpu"
  done
done
awk '
  { c[$1] = c[$1] " " $3; r[$1] = r[$1] " " $2; if (!($1 in seen)) { seen[$1] = ++n; order[n] = $1 } }
  function median(s,   a, m, i, j, t) { m = split(s, a, " "); for (i=1;i<=m;i++) for (j=i+1;j<=m;j++) if (a[j]+0 < a[i]+0) { t=a[i]; a[i]=a[j]; a[j]=t }; return a[int((m+1)/2)] }
  END { ref = median(c[order[1]])
    for (i = 1; i <= n; i++) { k = order[i]; m = median(c[k])
      printf "  median %-12s %7.0f requests   CPU %5.1f us/req   %+5.1f us over %s\n", k, median(r[k]), m, m - ref, order[1] } }' "$WORK/results"
echo "  by thread, medians, us per request:"
awk '{ v[$1 " " $2] = v[$1 " " $2] " " $3 }
  function median(s,   a, m, i, j, t) { m = split(s, a, " "); for (i=1;i<=m;i++) for (j=i+1;j<=m;j++) if (a[j]+0 < a[i]+0) { t=a[i]; a[i]=a[j]; a[j]=t }; return a[int((m+1)/2)] }
  END { for (k in v) { x = median(v[k]); if (x >= 0.05) printf "    %-40s %5.1f\n", k, x } }' "$WORK/threads" | sort
