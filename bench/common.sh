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
