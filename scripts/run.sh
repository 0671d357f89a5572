#!/usr/bin/env bash
# `make run`: the proxy on local defaults in front of the demo reports app.
#   demo app   http://127.0.0.1:8000   (demo/reports_app.py)
#   proxy      http://127.0.0.1:8080   (call this one)
#   admin      http://127.0.0.1:9090   (/healthz, /readyz, /metrics)
# Sends a few sample requests, shows what happened, then keeps running until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .run
BIN=.build/release/trackingproxy
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

wait_for() { # url
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "gave up waiting for $1" >&2; return 1
}

python3 demo/reports_app.py --port 8000 > .run/demo-app.log 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:8000/health/

"$BIN" serve --config config/trackingproxy.yaml 2> .run/trackingproxy.log &
pids+=($!)
wait_for http://127.0.0.1:9090/healthz

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
echo
echo "== proxy metrics (http://127.0.0.1:9090/metrics)"
curl -fsS http://127.0.0.1:9090/metrics | grep -E '^trackingproxy_requests_total\{.*\} [1-9]' || true
echo
cat <<'EOT'
The proxy is running. Try:
  curl -i http://127.0.0.1:8080/api/v1/analytics/dashboard/
  curl -i -X POST -H 'Content-Type: application/json' -d '{"name":"Contoso"}' http://127.0.0.1:8080/api/v1/clients/
  curl -s http://127.0.0.1:9090/metrics | grep trackingproxy_
Logs: .run/trackingproxy.log, .run/demo-app.log. Ctrl-C stops everything.
EOT
wait "${pids[1]}"
