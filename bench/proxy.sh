#!/usr/bin/env bash
# Proxy benchmark: wrk against (1) the nginx upstream directly, (2) nginx as a reverse proxy with
# upstream keepalive, (3) trackingproxy (release build), interleaved for several rounds so that
# machine noise hits all three alike. Prints req/s, p50, p99, the proxy's CPU µs per request
# (utime+stime from /proc) and trackingproxy/nginx ratios; then moves 1 MB bodies both ways and
# 200 MB bodies once, and reports trackingproxy's RSS.
#
# Scenario 1 also measures two floors (Benchmarks/ProxyFloorBench): the least a SwiftNIO proxy does
# per request, with NIOHTTP1 codecs on both sides and nothing else ("nio-http-floor"), and a
# SwiftNIO byte relay without HTTP ("nio-tcp-floor"). They show how much of the gap to nginx is
# the framework's and how much is trackingproxy's own work.
#
# Usage: bench/proxy.sh [ROUNDS] [SECONDS] [CONNECTIONS]     (defaults 3 10 64)
# Needs: nginx, wrk, curl (scripts/install-deps.sh bench installs them), a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh
ROUNDS=${1:-3}; SECONDS_PER_RUN=${2:-10}; CONNECTIONS=${3:-64}
WORK=$(mktemp -d /tmp/tp-bench.XXXXXX)
chmod 755 "$WORK"  # nginx workers run unprivileged and serve files from here
UP_PORT=18101; NGX_PORT=18102; TP_PORT=18103; TP_ADMIN=18104; FLOOR_HTTP_PORT=18105; FLOOR_TCP_PORT=18106
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$WORK/up.pid" ] && kill "$(cat "$WORK/up.pid")" 2>/dev/null || true
  [ -f "$WORK/ngx.pid" ] && kill "$(cat "$WORK/ngx.pid")" 2>/dev/null || true
  sleep 0.5; rm -rf "$WORK"
}
trap cleanup EXIT

command -v nginx >/dev/null && command -v wrk >/dev/null || scripts/install-deps.sh bench
# A scratch path of its own, so a benchmark build never waits on (or for) the debug build's lock.
BIN=.build-release/release/trackingproxy
scripts/release-build.sh trackingproxy 2>&1 | grep -E "error|Compiling|Build" || true
[ -x "$BIN" ] || { echo "release build failed" >&2; exit 1; }
FLOOR=.build-release/release/proxy-floor-bench
scripts/release-build.sh proxy-floor-bench 2>&1 | grep -E "error|Build" || true
[ -x "$FLOOR" ] || { echo "release build of proxy-floor-bench failed" >&2; exit 1; }

head -c 1048576 /dev/urandom > "$WORK/1m.bin"
head -c 209715200 /dev/zero > "$WORK/200m.bin"
mkdir -p "$WORK/www" && cp "$WORK/1m.bin" "$WORK/www/1m.bin" && ln -s "$WORK/200m.bin" "$WORK/www/200m.bin"

nginx_conf() { # name port workers body
  cat > "$WORK/$1.conf" <<NGX
worker_processes $3;
pid $WORK/$1.pid;
error_log $WORK/$1.error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/$1-body;
  proxy_temp_path $WORK/$1-proxy;
  keepalive_requests 1000000;
  $4
}
NGX
}
nginx_conf up $UP_PORT 1 "
  server {
    listen 127.0.0.1:$UP_PORT;
    client_max_body_size 0;
    location = / { return 200 'hello from the upstream\n'; }
    location /files/ { alias $WORK/www/; }
    location = /upload { client_body_buffer_size 64k; proxy_pass http://127.0.0.1:$UP_PORT/sink; }
    location = /sink { return 200 'ok\n'; }
  }"
nginx_conf ngx $NGX_PORT auto "
  upstream app { server 127.0.0.1:$UP_PORT; keepalive 64; }
  server {
    listen 127.0.0.1:$NGX_PORT;
    client_max_body_size 0;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection '';
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_request_buffering off;
      proxy_buffering off;
    }
  }"
nginx -c "$WORK/up.conf" -p "$WORK"
nginx -c "$WORK/ngx.conf" -p "$WORK"
"$BIN" serve --listen 127.0.0.1:$TP_PORT --upstream http://127.0.0.1:$UP_PORT \
  --admin-listen 127.0.0.1:$TP_ADMIN --log-level warning 2> "$WORK/tp.log" &
TP_PID=$!; pids+=($TP_PID)
"$FLOOR" http $FLOOR_HTTP_PORT $UP_PORT > /dev/null &
FLOOR_HTTP_PID=$!; pids+=($FLOOR_HTTP_PID)
"$FLOOR" tcp $FLOOR_TCP_PORT $UP_PORT > /dev/null &
FLOOR_TCP_PID=$!; pids+=($FLOOR_TCP_PID)
for port in $UP_PORT $NGX_PORT $TP_PORT $FLOOR_HTTP_PORT $FLOOR_TCP_PORT; do
  for _ in $(seq 1 50); do curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break; sleep 0.1; done
done
NGX_PIDS() { local master; master=$(cat "$WORK/ngx.pid"); echo "$master $(pgrep -P "$master" | tr '\n' ' ')"; }
run_wrk() { # name url pids...
  local name=$1 url=$2; shift 2
  local before after out reqs rps p50 p99
  before=$(cpu_ticks "$@")
  out=$(wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "$url")
  after=$(cpu_ticks "$@")
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(to_us "$(awk '$1=="50%" {print $2}' <<<"$out")")
  p99=$(to_us "$(awk '$1=="99%" {print $2}' <<<"$out")")
  local cpu_us="-"
  if [ "$#" -gt 0 ] && [ "$reqs" -gt 0 ]; then cpu_us=$(awk -v t=$((after - before)) -v k="$TICK" -v r="$reqs" 'BEGIN { printf "%.1f", t * 1000000 / k / r }'); fi
  echo "$name $rps $p50 $p99 $cpu_us" >> "$WORK/results"
  printf "  %-14s %10.0f req/s   p50 %8.0f us   p99 %8.0f us   proxy CPU %6s us/req\n" "$name" "$rps" "$p50" "$p99" "$cpu_us"
}

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); nginx $(nginx -v 2>&1 | sed 's/.*\///'), wrk -t1 -c$CONNECTIONS -d${SECONDS_PER_RUN}s"
echo "== scenario 1: small response (GET /, 24-byte body), $ROUNDS interleaved rounds"
: > "$WORK/results"
for round in $(seq 1 "$ROUNDS"); do
  echo " round $round"
  run_wrk direct "http://127.0.0.1:$UP_PORT/"
  # shellcheck disable=SC2046
  run_wrk nginx "http://127.0.0.1:$NGX_PORT/" $(NGX_PIDS)
  run_wrk trackingproxy "http://127.0.0.1:$TP_PORT/" $TP_PID
  run_wrk nio-http-floor "http://127.0.0.1:$FLOOR_HTTP_PORT/" $FLOOR_HTTP_PID
  run_wrk nio-tcp-floor "http://127.0.0.1:$FLOOR_TCP_PORT/" $FLOOR_TCP_PID
done
echo " medians over rounds:"
awk '
  { rps[$1]=rps[$1] " " $2; p50[$1]=p50[$1] " " $3; p99[$1]=p99[$1] " " $4; cpu[$1]=cpu[$1] " " $5 }
  function median(s,   a, n, i, j, t) { n = split(s, a, " "); for (i=1;i<=n;i++) for (j=i+1;j<=n;j++) if (a[j]+0 < a[i]+0) { t=a[i]; a[i]=a[j]; a[j]=t }; return a[int((n+1)/2)] }
  END {
    for (k in rps) { m[k,"rps"]=median(rps[k]); m[k,"p50"]=median(p50[k]); m[k,"p99"]=median(p99[k]); m[k,"cpu"]=median(cpu[k]);
      printf "  %-14s %10.0f req/s   p50 %8.0f us   p99 %8.0f us   proxy CPU %6s us/req\n", k, m[k,"rps"], m[k,"p50"], m[k,"p99"], m[k,"cpu"] }
    printf " ratios trackingproxy/nginx: req/s %.2fx, p99 %.2fx (lower is better), CPU per request %.2fx (lower is better)\n",
      m["trackingproxy","rps"]/m["nginx","rps"], m["trackingproxy","p99"]/m["nginx","p99"], m["trackingproxy","cpu"]/m["nginx","cpu"]
    printf " floors/nginx: nio-http-floor req/s %.2fx, CPU %.2fx; nio-tcp-floor req/s %.2fx, CPU %.2fx; trackingproxy/nio-http-floor: req/s %.2fx, CPU %.2fx\n",
      m["nio-http-floor","rps"]/m["nginx","rps"], m["nio-http-floor","cpu"]/m["nginx","cpu"],
      m["nio-tcp-floor","rps"]/m["nginx","rps"], m["nio-tcp-floor","cpu"]/m["nginx","cpu"],
      m["trackingproxy","rps"]/m["nio-http-floor","rps"], m["trackingproxy","cpu"]/m["nio-http-floor","cpu"]
  }' "$WORK/results"

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
echo "== scenario 2: 1 MB bodies, download and upload, $ROUNDS interleaved rounds (-c8)"
cat > "$WORK/upload.lua" <<'LUA'
local f = io.open(os.getenv("BODY_FILE"), "rb"); wrk.method = "POST"; wrk.body = f:read("*all"); f:close()
wrk.headers["Content-Type"] = "application/octet-stream"
LUA
rss_before=$(rss_kb $TP_PID)
for round in $(seq 1 "$ROUNDS"); do
  for target in "nginx $NGX_PORT" "trackingproxy $TP_PORT"; do
    set -- $target
    down=$(wrk -t1 -c8 -d"${SECONDS_PER_RUN}s" "http://127.0.0.1:$2/files/1m.bin" | awk '/Requests\/sec/ {print $2}')
    up=$(BODY_FILE="$WORK/1m.bin" wrk -t1 -c8 -d"${SECONDS_PER_RUN}s" -s "$WORK/upload.lua" "http://127.0.0.1:$2/upload" | awk '/Requests\/sec/ {print $2}')
    printf "  round %d %-14s download %7.0f req/s (%6.0f MB/s)   upload %7.0f req/s (%6.0f MB/s)\n" "$round" "$1" "$down" "$down" "$up" "$up"
  done
done
echo "  trackingproxy RSS: $((rss_before / 1024)) MiB before, $(( $(rss_kb $TP_PID) / 1024 )) MiB after, peak $(( $(hwm_kb $TP_PID) / 1024 )) MiB"

echo "== scenario 3: one 200 MB download and one 200 MB upload through trackingproxy"
hwm_before=$(hwm_kb $TP_PID); rss0=$(rss_kb $TP_PID)
curl -fsS -o /dev/null -w "  download: %{size_download} bytes in %{time_total}s\n" "http://127.0.0.1:$TP_PORT/files/200m.bin"
curl -fsS -o /dev/null -w "  upload:   %{size_upload} bytes in %{time_total}s\n" -H 'Content-Type: application/octet-stream' --data-binary "@$WORK/200m.bin" "http://127.0.0.1:$TP_PORT/upload"
curl -fsS -o /dev/null -w "  upload (chunked): %{size_upload} bytes in %{time_total}s\n" -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/octet-stream' --data-binary "@$WORK/200m.bin" "http://127.0.0.1:$TP_PORT/upload"
rss1=$(rss_kb $TP_PID); hwm_after=$(hwm_kb $TP_PID)
echo "  trackingproxy RSS $((rss0 / 1024)) MiB -> $((rss1 / 1024)) MiB; peak $((hwm_before / 1024)) MiB -> $((hwm_after / 1024)) MiB (growth of the peak: $(( (hwm_after - hwm_before) / 1024 )) MiB, target <= 16 MiB)"
