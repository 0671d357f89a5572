#!/usr/bin/env bash
# kill -9 with PostgreSQL stuck loses nothing older than one spool sync interval.
#
#   scripts/crash-check.sh [REQUESTS]    (default 300)
#
# Runs the demo app behind `trackingproxy serve` (debug build) on a database of its own
# (`crash_check`, on the cluster the PG* variables or .pgdata/env name), then:
#   1. holds an ACCESS EXCLUSIVE lock on `activity` from another session, so every batch hangs:
#      PostgreSQL is reachable but stuck, the case where records pile up in memory;
#   2. sends REQUESTS tracked requests (POST /api/v1/reports/) through the proxy;
#   3. waits 1.5 sync intervals, then kills the proxy with SIGKILL;
#   4. releases the lock, starts the proxy again on the same spool, and waits for the replay;
#   5. checks that `activity` holds exactly one row per answered request.
# Exits 1 when a row is missing or duplicated.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requests="${1:-300}"
die() { echo "crash-check: $*" >&2; exit 1; }
. "$repo/scripts/e2e-common.sh"
e2e_begin_with_database crash-check crash_check

read -r app_port proxy_port admin_port < <(e2e_free_ports)
cat >"$out/config.yaml" <<YAML
listen: 127.0.0.1:$proxy_port
upstream: {url: "http://127.0.0.1:$app_port"}
admin: {listen: 127.0.0.1:$admin_port}
tracking: {rules_file: $repo/rules/reports-app.yaml}
ingest:
  database: {url: "host=$PGHOST port=$PGPORT user=${PGUSER:-postgres} dbname=crash_check"}
  spool: {dir: $out/spool, sync_interval: 1s}
YAML

start_proxy() {
    "$bin" serve --config "$out/config.yaml" >>"$out/server.log" 2>&1 &
    proxy_pid=$!
    pids+=("$proxy_pid")
    for _ in $(seq 1 100); do [ "$(e2e_status database_reachable 2>/dev/null)" = "True" ] && return; sleep 0.1; done
    die "the proxy did not connect to PostgreSQL (see $out/server.log)"
}

e2e_start_demo_app "$app_port" "$out/demo-app.log"
start_proxy

# 1. PostgreSQL stuck: a lock held until this session is terminated.
"$psql_bin" -X -q -d crash_check -c "BEGIN; LOCK TABLE activity IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(600);" >/dev/null 2>&1 &
locker=$!
pids+=("$locker")
for _ in $(seq 1 100); do
    held=$("$psql_bin" -X -qtA -d crash_check -c "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'activity' AND l.mode = 'AccessExclusiveLock' AND l.granted")
    [ "$held" -ge 1 ] && break
    sleep 0.1
done
[ "$held" -ge 1 ] || die "could not take the lock on activity"

# 2. Tracked requests, one keep-alive connection; count what the proxy answered with 2xx.
answered=$(python3 - "$proxy_port" "$requests" <<'PY'
import http.client, json, sys
port, count = int(sys.argv[1]), int(sys.argv[2])
connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
ok = 0
for index in range(count):
    body = json.dumps({"title": f"crash check {index}"})
    connection.request("POST", "/api/v1/reports/", body=body, headers={"Content-Type": "application/json", "X-Demo-User": f"user-{index % 5}"})
    response = connection.getresponse()
    response.read()
    ok += 200 <= response.status < 300
print(ok)
PY
)
[ "$answered" -eq "$requests" ] || die "the proxy answered $answered of $requests requests with 2xx"

# 3. Past 1.5 sync intervals every record is on disk; then the crash.
sleep 1.5
queued=$(e2e_status queue_depth); spooled=$(e2e_status spool_records); written=$(e2e_status rows_written)
echo "crash-check: $answered requests answered while PostgreSQL was stuck; before kill -9: queue $queued, spool $spooled, written $written"
e2e_kill "$proxy_pid"

# 4. PostgreSQL moves again; a new proxy replays the spool.
"$psql_bin" -X -q -d crash_check -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'crash_check' AND query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()" >/dev/null
e2e_kill "$locker"
start_proxy
e2e_wait_until_stored crash_check "$answered"

# 5. Exactly one row per answered request.
read -r rows distinct < <("$psql_bin" -X -qtA -F ' ' -d crash_check -c "SELECT count(*), count(DISTINCT id) FROM activity")
echo "crash-check: after restart and replay: $rows rows ($distinct distinct ids) for $answered answered requests"
[ "$rows" -eq "$answered" ] && [ "$distinct" -eq "$rows" ] || die "FAILED: expected exactly $answered rows, no duplicates"
echo "crash-check: ok, nothing lost and nothing duplicated across kill -9"
