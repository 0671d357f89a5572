#!/usr/bin/env bash
# The two processes fail alone: killing the analytics service (kill -9) changes nothing for requests
# through a sidecar, and killing a sidecar changes nothing for analysts.
#
#   scripts/isolation-check.sh [REQUESTS]    (default 2000)
#
# Runs the demo app behind `trackingproxy serve`, and `trackingproxy analytics serve` beside it, on a
# database of its own (`isolation_check`, on the cluster the PG* variables or .pgdata/env name), then:
#   1. sends REQUESTS tracked requests through the sidecar on 4 connections; half way, an analyst's
#      query is answered, then the analytics service gets SIGKILL;
#   2. checks that every request was answered 2xx and, once the writer drained, that `activity`
#      holds exactly one row per answered request;
#   3. starts the analytics service again, kills the sidecar with SIGKILL, and checks that the API
#      and the dashboard still answer, with every row.
# Exits 1 on any failure.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requests="${1:-2000}"
die() { echo "isolation-check: $*" >&2; exit 1; }
. "$repo/scripts/e2e-common.sh"
e2e_begin_with_database isolation-check isolation_check

read -r app_port proxy_port admin_port analytics_port < <(e2e_free_ports 4)
token=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
cat >"$out/config.yaml" <<YAML
listen: 127.0.0.1:$proxy_port
upstream: {url: "http://127.0.0.1:$app_port"}
admin: {listen: 127.0.0.1:$admin_port}
tracking: {rules_file: $repo/rules/reports-app.yaml}
ingest:
  database: {url: "host=$PGHOST port=$PGPORT user=${PGUSER:-postgres} dbname=isolation_check"}
  spool: {dir: $out/spool}
analytics:
  listen: 127.0.0.1:$analytics_port
  tokens: [{token: "$token", role: admin}]
YAML

api() { curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$analytics_port$1"; }
start_sidecar() {
    "$bin" serve --config "$out/config.yaml" >>"$out/sidecar.log" 2>&1 &
    sidecar_pid=$!
    pids+=("$sidecar_pid")
    for _ in $(seq 1 100); do [ "$(e2e_status database_reachable 2>/dev/null)" = "True" ] && return; sleep 0.1; done
    die "the sidecar did not connect to PostgreSQL (see $out/sidecar.log)"
}
start_analytics() {
    "$bin" analytics serve --config "$out/config.yaml" >>"$out/analytics.log" 2>&1 &
    analytics_pid=$!
    pids+=("$analytics_pid")
    e2e_wait_healthz "$analytics_port" "the analytics service" "$out/analytics.log"
}

e2e_start_demo_app "$app_port" "$out/demo-app.log"
start_sidecar
start_analytics
api "/api/v1/analytics/system-health/" >/dev/null || die "the analytics API does not answer before the test"

# 1. Load through the sidecar; the analytics service is killed half way (the load script prints
#    "half" to its stderr then).
python3 - "$proxy_port" "$requests" >"$out/load.out" 2>"$out/load.progress" <<'PY' &
import http.client, json, sys, threading
port, count = int(sys.argv[1]), int(sys.argv[2])
lock = threading.Lock()
done = [0, 0]  # answered 2xx, failed
def worker(first):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for index in range(first, count, 4):
        body = json.dumps({"title": f"isolation {index}"})
        try:
            connection.request("POST", "/api/v1/reports/", body=body, headers={"Content-Type": "application/json", "X-Demo-User": f"user-{index % 7}"})
            response = connection.getresponse()
            response.read()
            ok = 200 <= response.status < 300
        except Exception:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            ok = False
        with lock:
            done[0 if ok else 1] += 1
            if sum(done) == count // 2:
                print("half", file=sys.stderr, flush=True)
threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
[t.start() for t in threads]
[t.join() for t in threads]
print(done[0], done[1])
PY
load_pid=$!
for _ in $(seq 1 600); do grep -q half "$out/load.progress" && break; sleep 0.05; done
grep -q half "$out/load.progress" || die "the load did not reach half way"
api "/api/v1/analytics/user-activity/?limit=1" >/dev/null || die "the analytics API did not answer during the load"
e2e_kill "$analytics_pid"
echo "isolation-check: analytics service killed with SIGKILL half way through the load"
wait "$load_pid" || die "the load failed"
read -r answered failed <"$out/load.out"
[ "$failed" -eq 0 ] && [ "$answered" -eq "$requests" ] || die "FAILED: the sidecar answered $answered of $requests requests with 2xx ($failed failed) after the analytics service died"

# 2. Every answered request is one row.
e2e_wait_until_stored isolation_check "$answered"
read -r rows distinct < <("$psql_bin" -X -qtA -F ' ' -d isolation_check -c "SELECT count(*), count(DISTINCT id) FROM activity")
echo "isolation-check: $answered requests answered, $rows rows ($distinct distinct ids)"
[ "$rows" -eq "$answered" ] && [ "$distinct" -eq "$rows" ] || die "FAILED: expected exactly $answered rows"

# 3. The other way round: the sidecar dies, the analysts do not notice.
start_analytics
e2e_kill "$sidecar_pid"
echo "isolation-check: sidecar killed with SIGKILL"
count=$(api "/api/v1/analytics/user-activity/?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])') \
    || die "FAILED: the analytics API does not answer after the sidecar died"
[ "$count" -eq "$rows" ] || die "FAILED: the API counts $count rows, the table holds $rows"
curl -fsS -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$analytics_port/dashboard" \
    || die "FAILED: the dashboard does not answer after the sidecar died"
echo "isolation-check: ok, each process failed alone"
