#!/usr/bin/env bash
# What tracking costs, and what a database outage costs. The same tracked request
# (POST /api/v1/reports/7/generate/, answered 200 by an nginx upstream) goes through three
# trackingproxy instances, interleaved for several rounds:
#   off      tracking off (a rules file that matches nothing)
#   on       tracking on, PostgreSQL up (scripts/pg.sh cluster)
#   db-down  tracking on, PostgreSQL unreachable (records go to the spool)
#   off+db   tracking off, while `ingest-load` (a process of its own) stores rows through the
#            activity writer at the rate "on" just stored them: what storing alone costs the proxy
#            on these shared cores, so off+db/off bounds on/off from above
# Prints req/s, p50, p99 and CPU µs per request (the instance's process, and PostgreSQL's backends,
# from /proc) per instance and the ratios on/off and db-down/on.
#
# Then the same at equal load: every instance gets the same request rate, EQUAL_LOAD (default 0.5)
# times what "off" reached at full load, paced by wrk (one schedule for all connections), so
# that a busier instance cannot hide its cost in fewer requests (at full load the cores are shared
# with wrk and nginx, and a slower instance answers fewer requests with less contention). Prints CPU
# µs per request and the difference to "off" (issue 14's target: at most +5 µs).
#
# Finally checks that the rows in PostgreSQL equal the requests "on" answered, and that "db-down"
# spooled all of its own.
#
# Usage: bench/tracking.sh [ROUNDS] [SECONDS] [CONNECTIONS]    (defaults 3 10 32)
# Environment: TRACKINGPROXY_BIN=PATH measures that binary and builds nothing (ingest-load must be
# built), e.g. a base for an A/B; EQUAL_LOAD=0 skips the equal-load rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh
ROUNDS=${1:-3}; SECONDS_PER_RUN=${2:-10}; CONNECTIONS=${3:-32}
bench_work tp-tracking
UP=18111

command -v nginx >/dev/null && command -v wrk >/dev/null || scripts/install-deps.sh bench
BIN=${TRACKINGPROXY_BIN:-.build-release/release/trackingproxy}
LOAD=.build-release/release/ingest-load
TRACKING_BENCH=.build-release/release/tracking-bench
if [ -z "${TRACKINGPROXY_BIN:-}" ]; then
  scripts/release-build.sh trackingproxy 2>&1 | grep -E "error|Build" || true
  scripts/release-build.sh ingest-load 2>&1 | grep -E "error|Build" || true
  scripts/release-build.sh tracking-bench 2>&1 | grep -E "error|Build" || true
elif [ ! -x "$LOAD" ]; then
  echo "TRACKINGPROXY_BIN is set, so nothing is built: build ingest-load first (scripts/release-build.sh ingest-load)" >&2
  exit 1
fi
scripts/pg.sh start >/dev/null
# shellcheck disable=SC1091
source .pgdata/env
"$BIN" db migrate >/dev/null
psql -X -q -c "TRUNCATE activity" >/dev/null

tracking_upstream "$UP"
printf 'version: 1\nrules: []\n' > "$WORK/no-rules.yaml"

declare -A PID
start() { # name port admin rules database-url
  "$BIN" serve --listen "127.0.0.1:$2" --upstream "http://127.0.0.1:$UP" --admin-listen "127.0.0.1:$3" \
    --rules "$4" --database-url "$5" --spool-dir "$WORK/spool-$1" --log-level error 2> "$WORK/$1.log" &
  pids+=($!); PID[$1]=$!
}
start off 18112 18122 "$WORK/no-rules.yaml" "postgresql://postgres@127.0.0.1:$PGPORT/trackingproxy"
start on 18113 18123 rules/reports-app.yaml "postgresql://postgres@127.0.0.1:$PGPORT/trackingproxy"
start db-down 18114 18124 rules/reports-app.yaml "postgresql://postgres@127.0.0.1:1/trackingproxy?connect_timeout=1"
for port in 18122 18123 18124; do
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break; sleep 0.1; done
done
tracked_post_lua > "$WORK/post.lua"
pg_pids() { pgrep -f "postgres: .*postgres trackingproxy" | tr '\n' ' '; pgrep -f "postgres: (walwriter|checkpointer|background writer)" | tr '\n' ' '; }
: > "$WORK/results"
echo "== tracked POST through trackingproxy: tracking off / on / on with PostgreSQL down / off while PostgreSQL stores on's rows/s; wrk -t1 -c$CONNECTIONS -d${SECONDS_PER_RUN}s, $ROUNDS rounds"
on_rps=0
for round in $(seq 1 "$ROUNDS"); do
  for target in "off 18112" "on 18113" "db-down 18114" "off+db 18112"; do
    set -- $target
    name=$1; instance=${1%+db}; loader=""; expected_rows=0
    if [ "$name" = off+db ]; then
      # As many rows per second as "on" stored this round.
      rate=$(awk -v r="$on_rps" 'BEGIN { printf "%.0f", r }')
      expected_rows=$((rate * SECONDS_PER_RUN))
      "$LOAD" "postgresql://postgres@127.0.0.1:$PGPORT/trackingproxy" "$rate" "$((SECONDS_PER_RUN + 1))" > "$WORK/load.out" 2>&1 &
      loader=$!
      sleep 0.5
      load_before=$(cpu_ticks $loader)
    fi
    pgp=$(pg_pids)
    before=$(cpu_ticks "${PID[$instance]}"); pg_before=$(cpu_ticks $pgp)
    out=$(wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/post.lua" "http://127.0.0.1:$2/api/v1/reports/7/generate/")
    after=$(cpu_ticks "${PID[$instance]}"); pg_after=$(cpu_ticks $pgp)
    [ -n "$loader" ] && load_after=$(cpu_ticks $loader)
    reqs=$(awk '/requests in/ {print $1}' <<<"$out")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(to_us "$(awk '$1=="50%" {print $2}' <<<"$out")"); p99=$(to_us "$(awk '$1=="99%" {print $2}' <<<"$out")")
    cpu=$(awk -v t=$((after - before)) -v k="$TICK" -v r="$reqs" 'BEGIN { printf "%.1f", t * 1000000 / k / r }')
    # PostgreSQL CPU per row stored: the tracked requests for "on", ingest-load's rows for "off+db".
    rows=$reqs; [ "$name" = off+db ] && rows=$expected_rows
    pgcpu=$(awk -v t=$((pg_after - pg_before)) -v k="$TICK" -v r="$rows" 'BEGIN { printf "%.1f", (r > 0 ? t * 1000000 / k / r : 0) }')
    echo "$name $rps $p50 $p99 $cpu $pgcpu" >> "$WORK/results"
    printf "  round %d %-8s %9.0f req/s   p50 %7.0f us   p99 %7.0f us   proxy CPU %5.1f us/req   PostgreSQL CPU %5.1f us/row\n" "$round" "$name" "$rps" "$p50" "$p99" "$cpu" "$pgcpu"
    if [ -n "$loader" ]; then
      wait "$loader" || { echo "ingest-load failed:" >&2; cat "$WORK/load.out" >&2; exit 1; }
      printf "           (%s; its own CPU %.1f us/row)\n" "$(cat "$WORK/load.out")" \
        "$(awk -v t=$((load_after - load_before)) -v k="$TICK" -v r="$expected_rows" 'BEGIN { printf "%.1f", t * 1000000 / k / r }')"
    fi
    [ "$name" = on ] && on_rps=$rps
  done
done
awk '
  { rps[$1]=rps[$1] " " $2; p50[$1]=p50[$1] " " $3; p99[$1]=p99[$1] " " $4; cpu[$1]=cpu[$1] " " $5; pg[$1]=pg[$1] " " $6 }
  function median(s,   a, n, i, j, t) { n = split(s, a, " "); for (i=1;i<=n;i++) for (j=i+1;j<=n;j++) if (a[j]+0 < a[i]+0) { t=a[i]; a[i]=a[j]; a[j]=t }; return a[int((n+1)/2)] }
  END {
    split("off on db-down off+db", names, " ")
    for (i=1;i<=4;i++) { k=names[i]; r[k]=median(rps[k]); q50[k]=median(p50[k]); q99[k]=median(p99[k]); c[k]=median(cpu[k]); g[k]=median(pg[k]);
      printf "  median %-8s %9.0f req/s   p50 %7.0f us   p99 %7.0f us   proxy CPU %5.1f us/req   PostgreSQL CPU %5.1f us/row\n", k, r[k], q50[k], q99[k], c[k], g[k] }
    printf " proxy CPU per request: on/off %.2fx (+%.1f us per tracked request)\n", c["on"]/c["off"], c["on"]-c["off"]
    printf " ratios: on/off req/s %.2fx (target >= 0.95), p99 %.2fx; db-down/on req/s %.2fx, p50 %.2fx, p99 %.2fx\n",
      r["on"]/r["off"], q99["on"]/q99["off"], r["db-down"]/r["on"], q50["db-down"]/q50["on"], q99["db-down"]/q99["on"]
    printf " ceiling: off+db/off req/s %.2fx (storing the rows alone, with tracking free, on these shared cores); on/(off+db) req/s %.2fx (target >= 0.9)\n", r["off+db"]/r["off"], r["on"]/r["off+db"]
  }' "$WORK/results"


# 0.5, not issue 14's "e.g. 70 %": on this machine kind "on" tops out at 0.69-0.72x of "off"
# (PostgreSQL shares the two cores), so at 0.7 it could not take the rate offered (measured
# 2026-12-03: 13.5k of 16.2k req/s) and the comparison was no longer at equal load.
EQUAL_LOAD=${EQUAL_LOAD:-0.5}
if [ "$EQUAL_LOAD" != 0 ]; then
  off_rps=$(awk '$1=="off" {print $2}' "$WORK/results" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  rate=$(awk -v r="$off_rps" -v f="$EQUAL_LOAD" 'BEGIN { printf "%.0f", r * f }')
  # One schedule for all connections (bench/common.sh, paced_lua): measured with a fixed delay per
  # connection instead, off got 14.3k, on 12.6k, db-down 11.5k req/s when 18.3k were offered.
  { tracked_post_lua; paced_lua "$rate"; } > "$WORK/paced.lua"
  echo "== equal load: $rate req/s offered to each instance ($EQUAL_LOAD x off's median), $ROUNDS rounds"
  : > "$WORK/equal"
  for round in $(seq 1 "$ROUNDS"); do
    for target in "off 18112" "on 18113" "db-down 18114"; do
      set -- $target
      before=$(cpu_ticks "${PID[$1]}")
      out=$(wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/paced.lua" "http://127.0.0.1:$2/api/v1/reports/7/generate/")
      after=$(cpu_ticks "${PID[$1]}")
      reqs=$(awk '/requests in/ {print $1}' <<<"$out"); rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
      p99=$(to_us "$(awk '$1=="99%" {print $2}' <<<"$out")")
      cpu=$(awk -v t=$((after - before)) -v k="$TICK" -v r="$reqs" 'BEGIN { printf "%.1f", t * 1000000 / k / r }')
      echo "$1 $rps $p99 $cpu" >> "$WORK/equal"
      printf "  round %d %-8s %9.0f req/s   p99 %7.0f us   proxy CPU %5.1f us/req\n" "$round" "$1" "$rps" "$p99" "$cpu"
    done
  done
  awk '
    { rps[$1]=rps[$1] " " $2; p99[$1]=p99[$1] " " $3; cpu[$1]=cpu[$1] " " $4 }
    function median(s,   a, n, i, j, t) { n = split(s, a, " "); for (i=1;i<=n;i++) for (j=i+1;j<=n;j++) if (a[j]+0 < a[i]+0) { t=a[i]; a[i]=a[j]; a[j]=t }; return a[int((n+1)/2)] }
    END {
      split("off on db-down", names, " ")
      for (i=1;i<=3;i++) { k=names[i]; c[k]=median(cpu[k]);
        printf "  median %-8s %9.0f req/s   p99 %7.0f us   proxy CPU %5.1f us/req\n", k, median(rps[k]), median(p99[k]), c[k] }
      printf " equal load, proxy CPU per tracked request over untracked: on %+.1f us, db-down %+.1f us (target: at most +5 us)\n", c["on"]-c["off"], c["db-down"]-c["off"]
    }' "$WORK/equal"
fi

answered() { curl -fsS "http://127.0.0.1:$1/metrics" | awk -F' ' '/^trackingproxy_requests_total\{method="POST",status="2xx"\}/ {print $2}'; }
status_field() { curl -fsS "http://127.0.0.1:$1/status" | python3 -c "import json,sys; print(json.load(sys.stdin)['ingest']['$2'])"; }
for _ in $(seq 1 100); do [ "$(status_field 18123 queue_depth)" = 0 ] && break; sleep 0.1; done
sleep 0.5
on_answered=$(answered 18123); rows=$(psql -X -qtA -c "SELECT count(*) FROM activity WHERE rule_id IS DISTINCT FROM 'bench-load'")
dup=$(psql -X -qtA -c "SELECT count(*) - count(DISTINCT id) FROM activity WHERE rule_id IS DISTINCT FROM 'bench-load'")
down_answered=$(answered 18124); spooled=$(status_field 18124 spool_records); dropped=$(status_field 18124 dropped)
echo "== no lost rows"
echo "  on:      answered $on_answered tracked requests; activity rows in PostgreSQL: $rows (duplicates: $dup)"
echo "  db-down: answered $down_answered tracked requests; records in the spool: $spooled, dropped: $dropped"

# The tracking work itself, without sockets, neighbours or amplification (Benchmarks/TrackingBench):
# what the CPU per tracked request above would be over untracked if nothing else changed.
if [ -x "$TRACKING_BENCH" ] && [ -z "${TRACKINGPROXY_BIN:-}" ]; then
  echo "== tracking work per request, no sockets (tracking-bench): PostgreSQL down (spool), then up"
  "$TRACKING_BENCH" | sed 's/^/  /'
  "$TRACKING_BENCH" "postgresql://postgres@127.0.0.1:$PGPORT/trackingproxy" | sed 's/^/  /'
fi
