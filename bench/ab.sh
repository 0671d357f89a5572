#!/usr/bin/env bash
# A/B of two trackingproxy binaries on the data path: the same small GET (no rule matches it) and
# a small tracked-path POST through each, against one nginx upstream, interleaved for ROUNDS rounds so
# that machine noise hits both alike. Prints req/s, p99 and the proxy's CPU µs per request of each,
# and the ratios NEW/BASE (req/s higher is better, CPU lower is better).
#
# Usage: bench/ab.sh BASE_BINARY NEW_BINARY [ROUNDS] [SECONDS] [CONNECTIONS]   (defaults 4 8 64)
# Build a base binary from another commit with `git worktree add /tmp/base COMMIT` and
# `scripts/release-build.sh` there. Needs nginx, wrk, curl (scripts/install-deps.sh bench).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh
BASE=$1; NEW=$2; ROUNDS=${3:-4}; SECONDS_PER_RUN=${4:-8}; CONNECTIONS=${5:-64}
bench_work tp-ab
UP_PORT=18201; A_PORT=18202; A_ADMIN=18203; B_PORT=18204; B_ADMIN=18205
command -v nginx >/dev/null && command -v wrk >/dev/null || scripts/install-deps.sh bench

cat > "$WORK/up.conf" <<NGX
worker_processes 1;
pid $WORK/up.pid;
error_log $WORK/up.error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/up-body;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$UP_PORT;
    location / { return 200 'hello from the upstream\n'; }
  }
}
NGX
nginx -c "$WORK/up.conf" -p "$WORK"
# Both record into a database that refuses connections: tracked rows go to their spools, the same
# for both. (Not in a command substitution: its subshell would run the cleanup trap.)
start() { # binary port admin spool -> STARTED_PID
  TRACKINGPROXY_DATABASE_URL="host=127.0.0.1 port=1 connect_timeout=1" \
    "$1" serve --listen "127.0.0.1:$2" --upstream "http://127.0.0.1:$UP_PORT" --admin-listen "127.0.0.1:$3" \
    --spool-dir "$4" --log-level critical 2> "$4.log" &
  STARTED_PID=$!
  pids+=($STARTED_PID)
}
start "$BASE" $A_PORT $A_ADMIN "$WORK/spool-a"; A_PID=$STARTED_PID
start "$NEW" $B_PORT $B_ADMIN "$WORK/spool-b"; B_PID=$STARTED_PID
for port in $UP_PORT $A_PORT $B_PORT; do
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break; sleep 0.1; done
done

cat > "$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["User-Agent"] = "ab-bench"
LUA
run_wrk() { # name url script pid
  local before after out reqs rps p99 cpu
  before=$(cpu_ticks "$4")
  out=$(wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency ${3:+-s "$3"} "$2")
  after=$(cpu_ticks "$4")
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(to_us "$(awk '$1=="99%" {print $2}' <<<"$out")")
  cpu=$(awk -v t=$((after - before)) -v k="$TICK" -v r="$reqs" 'BEGIN { printf "%.2f", t * 1000000 / k / r }')
  echo "$1 $rps $p99 $cpu" >> "$WORK/results"
  printf "  %-10s %10.0f req/s   p99 %8.0f us   proxy CPU %6s us/req\n" "$1" "$rps" "$p99" "$cpu"
}

echo "== A/B: base $BASE, new $NEW; $(nproc) cores; wrk -t1 -c$CONNECTIONS -d${SECONDS_PER_RUN}s, $ROUNDS rounds"
: > "$WORK/results"
for round in $(seq 1 "$ROUNDS"); do
  echo " round $round"
  # Alternate which goes first, so neither always follows the other.
  if [ $((round % 2)) -eq 1 ]; then order="a b"; else order="b a"; fi
  for side in $order; do
    if [ "$side" = a ]; then port=$A_PORT; pid=$A_PID; else port=$B_PORT; pid=$B_PID; fi
    run_wrk "get-$side" "http://127.0.0.1:$port/" "" "$pid"
    run_wrk "post-$side" "http://127.0.0.1:$port/api/v1/reports/42/generate/" "$WORK/post.lua" "$pid"
  done
done
echo " medians over rounds, and new/base:"
awk '
  { rps[$1]=rps[$1] " " $2; p99[$1]=p99[$1] " " $3; cpu[$1]=cpu[$1] " " $4 }
  function median(s,   a, n, i, j, t) { n = split(s, a, " "); for (i=1;i<=n;i++) for (j=i+1;j<=n;j++) if (a[j]+0 < a[i]+0) { t=a[i]; a[i]=a[j]; a[j]=t }; return a[int((n+1)/2)] }
  END {
    split("get post", kinds, " ")
    for (i = 1; i <= 2; i++) {
      k = kinds[i]; a = k "-a"; b = k "-b"
      printf "  %-5s base %8.0f req/s p99 %6.0f us CPU %6.2f us | new %8.0f req/s p99 %6.0f us CPU %6.2f us | new/base req/s %.3fx, CPU %.3fx\n",
        k, median(rps[a]), median(p99[a]), median(cpu[a]), median(rps[b]), median(p99[b]), median(cpu[b]),
        median(rps[b]) / median(rps[a]), median(cpu[b]) / median(cpu[a])
    }
  }' "$WORK/results"
