#!/usr/bin/env bash
# `make run`: the sidecar on local defaults in front of the demo reports app, recording into a local
# throwaway PostgreSQL, and the analytics service beside it.
#   demo app   http://127.0.0.1:8000   (demo/reports_app.py)
#   proxy      http://127.0.0.1:8080   (call this one; `trackingproxy serve`)
#   admin      http://127.0.0.1:9090   (the sidecar's /healthz, /readyz, /metrics, /status)
#   analytics  http://127.0.0.1:9100   (`trackingproxy analytics serve`: /dashboard, /api/v1/analytics/…)
#   database   .pgdata/ (scripts/pg.sh; `. .pgdata/env` then `psql` to look)
# The analytics service gets a local admin token (made once, kept in .run/analytics-token).
# Sends a few sample requests, shows the rows they became, then keeps running until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .run
BIN=.build-release/release/trackingproxy
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/pg.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

wait_for() { # url
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "gave up waiting for $1" >&2; return 1
}

scripts/pg.sh start
# shellcheck disable=SC1091
source .pgdata/env
"$BIN" db migrate --config config/trackingproxy.yaml

python3 demo/reports_app.py --port 8000 > .run/demo-app.log 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:8000/health/

"$BIN" serve --config config/trackingproxy.yaml --spool-dir .run/spool 2> .run/trackingproxy.log &
pids+=($!)
wait_for http://127.0.0.1:9090/healthz

# An admin token, readable by this user only.
[ -s .run/analytics-token ] || (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(24))' > .run/analytics-token)
token=$(cat .run/analytics-token)
TRACKINGPROXY_ANALYTICS__TOKENS="[{token: \"$token\", role: admin}]" \
  "$BIN" analytics serve --config config/trackingproxy.yaml 2> .run/analytics.log &
pids+=($!)
wait_for http://127.0.0.1:9100/healthz

echo "== sample requests through the proxy (http://127.0.0.1:8080)"
report=$(curl -fsS -X POST -H 'Content-Type: application/json' -H 'X-Demo-User: alice' \
  -d '{"title":"Q3 Advisor"}' http://127.0.0.1:8080/api/v1/reports/)
echo "POST /api/v1/reports/ -> $report"
id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$report")
curl -fsS -o /dev/null -w "POST /api/v1/reports/$id/generate/ -> %{http_code}\n" -X POST -H 'X-Demo-User: alice' "http://127.0.0.1:8080/api/v1/reports/$id/generate/"
curl -fsS -o /dev/null -w "GET  /api/v1/reports/$id/download/ -> %{http_code}\n" -H 'X-Demo-User: bob' "http://127.0.0.1:8080/api/v1/reports/$id/download/"
curl -fsS -o /dev/null -w "POST /api/v1/reports/$id/share/ -> %{http_code}\n" -X POST -H 'X-Demo-User: alice' -d '{"email":"bob@example.com"}' "http://127.0.0.1:8080/api/v1/reports/$id/share/"
printf 'name,value\na,1\nb,2\n' > .run/sample.csv
curl -fsS -o /dev/null -w "POST /api/v1/reports/upload/ -> %{http_code}\n" -H 'X-Demo-User: carol' -F "file=@.run/sample.csv" http://127.0.0.1:8080/api/v1/reports/upload/
curl -fsS -o /dev/null -w "GET  /health/ -> %{http_code}\n" http://127.0.0.1:8080/health/
sleep 0.5  # one batch age (ingest.batch.max_age is 200ms)
echo
echo "== the rows they became (table activity)"
psql -X -P pager=off -c "SELECT to_char(occurred_at, 'HH24:MI:SS.MS') AS at, user_id, activity_type, description, ip_address, status, rule_id FROM activity ORDER BY occurred_at DESC LIMIT 10"
echo "== proxy metrics (http://127.0.0.1:9090/metrics)"
curl -fsS http://127.0.0.1:9090/metrics | grep -E '^trackingproxy_requests_total\{.*\} [1-9]' || true
echo
cat <<'EOT'
The sidecar and the analytics service are running. Try:
  curl -i -X POST -H 'Content-Type: application/json' -d '{"name":"Contoso"}' http://127.0.0.1:8080/api/v1/clients/
  curl -s http://127.0.0.1:9090/metrics | grep trackingproxy_
  curl -s http://127.0.0.1:9090/status
  . .pgdata/env && psql -c 'SELECT * FROM user_activity ORDER BY "timestamp" DESC LIMIT 5'
Logs: .run/trackingproxy.log, .run/analytics.log, .run/demo-app.log. Ctrl-C stops everything.
EOT
cat <<EOT

Dashboard: http://127.0.0.1:9100/dashboard
  sign in with any user name and this password (the local admin token, in .run/analytics-token):
  $token
  or: curl -H "Authorization: Bearer $token" http://127.0.0.1:9100/api/v1/analytics/activity-summary/
EOT
wait "${pids[1]}"
