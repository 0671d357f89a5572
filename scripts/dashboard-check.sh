#!/usr/bin/env bash
# Renders /dashboard in headless Chromium and checks that the chart and the tables are there.
#
#   scripts/dashboard-check.sh [BASE_URL] [TOKEN]
#
# Without arguments it runs the demo app, `trackingproxy serve` and `trackingproxy analytics serve`
# (debug build) on the database named by the PG* variables (or .pgdata/env), with a throwaway admin
# token, sends a few requests through the proxy, and checks the dashboard shows what they became.
# Writes .build/dashboard-check/{dashboard.png,dashboard.html}. Installs chromium with apt if missing.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$repo/.build/dashboard-check"
mkdir -p "$out"
die() { echo "dashboard-check: $*" >&2; exit 1; }
. "$repo/scripts/e2e-common.sh"

chromium_bin="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$chromium_bin" ]; then
    command -v apt-get >/dev/null || die "chromium is missing and apt-get is not available"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "dashboard-check: installing chromium with apt-get" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
    chromium_bin="$(command -v chromium)" || die "chromium did not install"
fi

base="${1:-}"
token="${2:-}"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
if [ -z "$base" ]; then
    # End to end: the demo app behind `trackingproxy serve`, a few requests through the proxy, the
    # rows they become in PostgreSQL, and the dashboard of `trackingproxy analytics serve` showing them.
    [ -n "${PGPORT:-}" ] || [ -f "$repo/.pgdata/env" ] || die "no database: run scripts/pg.sh start, or pass BASE_URL TOKEN of a running server"
    e2e_use_database
    e2e_debug_binary
    read -r app_port proxy_port admin_port analytics_port < <(e2e_free_ports 4)
    token="check-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
    cat >"$out/config.yaml" <<YAML
listen: 127.0.0.1:$proxy_port
upstream: {url: "http://127.0.0.1:$app_port"}
admin: {listen: 127.0.0.1:$admin_port}
analytics: {listen: 127.0.0.1:$analytics_port, tokens: [{token: $token, role: admin}]}
tracking:
  rules_file: $repo/rules/reports-app.yaml
  identity: {sources: [{response_header: X-User-Id, strip: true}]}
ingest: {spool: {dir: $out/spool}}
YAML
    e2e_start_demo_app "$app_port" "$out/demo-app.log"
    "$bin" serve --config "$out/config.yaml" >"$out/server.log" 2>&1 &
    pids+=($!)
    "$bin" analytics serve --config "$out/config.yaml" >"$out/analytics.log" 2>&1 &
    pids+=($!)
    e2e_wait_healthz "$admin_port" "the sidecar's admin listener" "$out/server.log"
    e2e_wait_healthz "$analytics_port" "the analytics service" "$out/analytics.log"
    for user in alice bob carol; do
        id=$(curl -fsS -X POST -H "X-Demo-User: $user" -d '{"title":"check"}' "http://127.0.0.1:$proxy_port/api/v1/reports/" |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
        curl -fsS -o /dev/null -X POST -H "X-Demo-User: $user" "http://127.0.0.1:$proxy_port/api/v1/reports/$id/generate/"
        curl -fsS -o /dev/null -H "X-Demo-User: $user" "http://127.0.0.1:$proxy_port/api/v1/reports/$id/download/"
    done
    for _ in $(seq 1 50); do
        rows=$(curl -fsS "http://127.0.0.1:$admin_port/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ingest"]["rows_written"])')
        [ "$rows" -ge 9 ] && break
        sleep 0.1
    done
    echo "ok   9 requests through the proxy became $rows rows"
    base="http://127.0.0.1:$analytics_port"
fi
[ -n "$token" ] || die "give the admin TOKEN with BASE_URL"

# The token goes in the URL's user info: Chromium sends it as Basic credentials on the top-level page.
url="${base/:\/\//://analyst:$token@}/dashboard?from=1d"
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-extensions --virtual-time-budget=3000)
"$chromium_bin" "${flags[@]}" --dump-dom "$url" >"$out/dashboard.html" 2>"$out/chromium.log" || die "chromium --dump-dom failed (see $out/chromium.log)"
"$chromium_bin" "${flags[@]}" --window-size=1280,1400 --screenshot="$out/dashboard.png" "$url" >>"$out/chromium.log" 2>&1 || die "chromium --screenshot failed (see $out/chromium.log)"

failures=0
check() {
    if grep -q -- "$2" "$out/dashboard.html"; then echo "ok   $1"; else echo "FAIL $1 (no '$2' in the rendered DOM)"; failures=$((failures + 1)); fi
}
check "page title" "<title>Activity dashboard</title>"
check "chart" '<svg id="activity-chart"'
check "chart bars" '<rect class="bar"'
check "top types" 'id="top-types"'
check "top users" 'id="top-users"'
check "recent-activity table" '<table id="recent-activity">'
check "table rows" '<td class="desc">'
check "filter form" '<form method="get" action="/dashboard">'
if grep -qE '<script|<link |src="http' "$out/dashboard.html"; then echo "FAIL page loads external or scripted content"; failures=$((failures + 1)); else echo "ok   self-contained (no script, no external resources)"; fi
[ -s "$out/dashboard.png" ] && echo "ok   screenshot $out/dashboard.png ($(stat -c %s "$out/dashboard.png") bytes)" || { echo "FAIL no screenshot"; failures=$((failures + 1)); }
[ "$failures" -eq 0 ] || die "$failures check(s) failed"
echo "dashboard-check: all checks passed"
