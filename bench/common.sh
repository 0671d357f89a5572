# Shared by the benchmark scripts (sourced): reading CPU time from /proc and wrk's latencies.

TICK=$(getconf CLK_TCK)

# cpu_ticks PID... -> utime+stime of those processes, summed, in clock ticks (TICK per second).
cpu_ticks() {
  local total=0
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    read -r -a f < <(sed 's/^.*) //' "/proc/$pid/stat")
    total=$(( total + f[11] + f[12] ))
  done
  echo $total
}

# to_us LATENCY -> microseconds, from wrk's forms such as 512.00us, 1.20ms or 2.00s.
to_us() {
  awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n*1000; else if (v ~ /s$/) print n*1000000; else print n }'
}

# tracked_post_lua -> wrk script for the tracked request of bench/tracking.sh and tracking-ab.sh:
# POST /api/v1/reports/7/generate/ with a JSON body and a user header.
tracked_post_lua() {
  cat <<'LUA'
wrk.method = "POST"; wrk.body = '{"format":"pdf"}'; wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Forwarded-User"] = "bench-user"
LUA
}

# paced_lua RATE -> a wrk delay() that gives every request the next slot of one schedule, RATE
# slots per second for all connections together (LuaJIT's ffi reads CLOCK_MONOTONIC). A fixed
# delay per connection would be a closed loop: an instance with more latency would get fewer
# requests. The rate holds while the latency stays under (connections) slots; an instance that
# falls behind gets no catch-up burst (the schedule restarts from now after a 50 ms lag).
paced_lua() {
  cat <<LUA
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } bench_timespec; int clock_gettime(int, bench_timespec *); ]]
local now_spec = ffi.new("bench_timespec")
local function now_ms() ffi.C.clock_gettime(1, now_spec); return tonumber(now_spec.tv_sec) * 1000 + tonumber(now_spec.tv_nsec) / 1e6 end
local interval_ms = 1000 / $1
local next_slot = nil
function delay()
  local now = now_ms()
  if next_slot == nil or next_slot < now - 50 then next_slot = now end
  local wait = next_slot - now
  next_slot = next_slot + interval_ms
  if wait < 0 then return 0 end
  return math.floor(wait)
end
LUA
}

# bench_work PREFIX -> sets WORK to a fresh directory /tmp/PREFIX.XXXXXX (readable by nginx's
# workers) and, at exit, kills every pid in the array `pids` and the nginx whose pid file is
# $WORK/up.pid, then removes WORK.
bench_work() {
  WORK=$(mktemp -d "/tmp/$1.XXXXXX")
  chmod 755 "$WORK"
  pids=()
  trap bench_cleanup EXIT
}
bench_cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$WORK/up.pid" ] && kill "$(cat "$WORK/up.pid")" 2>/dev/null || true
  sleep 0.5; rm -rf "$WORK"
}

# tracking_upstream PORT -> an nginx on PORT answering every request as the reports app's
# generate endpoint does (a small JSON body), for the tracking benchmarks; stopped by bench_cleanup.
tracking_upstream() {
  cat > "$WORK/up.conf" <<NGX
worker_processes 1; pid $WORK/up.pid; error_log $WORK/up.error.log warn;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $WORK/body; keepalive_requests 1000000;
  server { listen 127.0.0.1:$1; location / { return 200 '{"status":"generated"}'; } } }
NGX
  nginx -c "$WORK/up.conf" -p "$WORK"
}

# start_tracking_instances FIRST_PORT UPSTREAM_PORT NAME:BINARY:RULES:DB... -> one proxy per spec
# on consecutive ports from FIRST_PORT (admin on port + 50), ready when this returns; sets `names`
# (in order) and the maps PID and PORT by name, and adds the pids to `pids`.
#   RULES  a rules file, or "none" (a rules file that matches nothing: untracked)
#   DB     "up" (the scripts/pg.sh cluster, PGPORT set) or "down" (unreachable: records go to the spool)
start_tracking_instances() {
  local port=$1 upstream=$2 spec name binary rules db url
  shift 2
  declare -gA PID PORT
  names=()
  printf 'version: 1\nrules: []\n' > "$WORK/no-rules.yaml"
  for spec in "$@"; do
    IFS=: read -r name binary rules db <<<"$spec"
    [ "$rules" = none ] && rules=$WORK/no-rules.yaml
    case "$db" in
      down) url="postgresql://postgres@127.0.0.1:1/trackingproxy?connect_timeout=1" ;;
      up) url="postgresql://postgres@127.0.0.1:$PGPORT/trackingproxy" ;;
      *) echo "DB is up or down, not '$db'" >&2; exit 64 ;;
    esac
    "$binary" serve --listen "127.0.0.1:$port" --upstream "http://127.0.0.1:$upstream" --admin-listen "127.0.0.1:$((port + 50))" \
      --rules "$rules" --database-url "$url" --spool-dir "$WORK/spool-$name" --log-level error 2> "$WORK/$name.log" &
    pids+=($!); PID[$name]=$!; PORT[$name]=$port; names+=("$name"); port=$((port + 1))
  done
  for name in "${names[@]}"; do
    for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$((PORT[$name] + 50))/healthz" 2>/dev/null && break; sleep 0.1; done
  done
}

# tracking_setup PREFIX UPSTREAM_PORT FIRST_PORT RATE NAME:BINARY:RULES:DB... -> what tracking-ab.sh
# and tracking-profile.sh share: the tools, the PostgreSQL cluster, a WORK directory, the upstream,
# the instances (start_tracking_instances) and $WORK/paced.lua, the tracked POST at RATE req/s.
tracking_setup() {
  local prefix=$1 upstream=$2 first=$3 rate=$4
  shift 4
  command -v nginx >/dev/null && command -v wrk >/dev/null || scripts/install-deps.sh bench
  scripts/pg.sh start >/dev/null
  # shellcheck disable=SC1091
  source .pgdata/env
  bench_work "$prefix"
  tracking_upstream "$upstream"
  start_tracking_instances "$first" "$upstream" "$@"
  { tracked_post_lua; paced_lua "$rate"; } > "$WORK/paced.lua"
}
