#!/usr/bin/env bash
# Checks the deployment recipes under deploy/ (`make test` runs it; no database needed):
# 1. the systemd units pass `systemd-analyze verify` with no warning at all (it works without
#    systemd as PID 1; ExecStart must name an executable, so the units are rendered with the debug
#    binary in place of /opt/trackingproxy/bin/trackingproxy), and a unit broken on purpose fails
#    the same check, so the check itself is known to bite; `systemd-analyze security` prints their
#    exposure level;
# 2. scripts/deploy-check.py: every manifest parses, and ports, probes, mounts, time limits and
#    command lines agree with the configuration they mount, which `config check` accepts;
# 3. nginx: `nginx -t` on deploy/nginx/trackingproxy.conf, then requests through it (a forged
#    X-Forwarded-For included) from 127.0.0.2, whose forwarded headers, resolved with the VM
#    configuration (deploy/config/trackingproxy.yaml), give the client 127.0.0.2.
#
#   scripts/deploy-check.sh [TRACKINGPROXY_BINARY]   (default: the debug build, built if missing)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "deploy-check.sh: $*" >&2; exit 1; }
# shellcheck source=e2e-common.sh
. "$repo/scripts/e2e-common.sh"
if [ $# -gt 0 ]; then bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); else e2e_debug_binary; fi
out="$repo/.build/deploy-check"
rm -rf "$out"
mkdir -p "$out/systemd" "$out/nginx"
failures=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }

# --- 1. systemd ------------------------------------------------------------------------------
# Prints what `systemd-analyze verify` says about UNIT (rendered into $out/systemd); empty = clean.
verify_unit() { # UNIT_FILE
    local rendered="$out/systemd/$(basename "$1")"
    sed "s|/opt/trackingproxy/bin/trackingproxy|$bin|g" "$1" > "$rendered"
    (cd "$out/systemd" && systemd-analyze verify "./$(basename "$1")" 2>&1) || echo "(exit status $?)"
}
for unit in "$repo"/deploy/systemd/*.service; do
    said=$(verify_unit "$unit")
    if [ -z "$said" ]; then ok "systemd-analyze verify $(basename "$unit")"; else fail "systemd-analyze verify $(basename "$unit"): $said"; fi
    level=$(cd "$out/systemd" && systemd-analyze security --offline=yes "./$(basename "$unit")" 2>&1 | grep -o 'Overall exposure level.*' || true)
    echo "     $level"
done
# The check must fail on a broken unit: a misspelt value (systemd only warns and goes on) and an
# ExecStart that does not exist.
sed 's/^ProtectSystem=strict/ProtectSystem=strikt/' "$repo/deploy/systemd/trackingproxy.service" > "$out/broken-value.service"
sed 's|^ExecStart=[^ ]*|ExecStart=/nonexistent/trackingproxy|' "$repo/deploy/systemd/trackingproxy.service" > "$out/broken-exec.service"
for broken in broken-value broken-exec; do
    said=$(verify_unit "$out/$broken.service")
    if [ -n "$said" ]; then ok "the same check refuses $broken.service: $(echo "$said" | head -n 1)"; else fail "the check let $broken.service through"; fi
done

# --- 2. manifests and configuration ----------------------------------------------------------
# Debian's python3-yaml serves /usr/bin/python3; a python3 earlier on PATH may have PyYAML of its own.
python=python3
python3 -c 'import yaml' 2>/dev/null || python=/usr/bin/python3
"$python" "$repo/scripts/deploy-check.py" "$bin" "$out" || failures=$((failures + 1))

# --- 3. nginx ----------------------------------------------------------------------------------
read -r nginx_port echo_port < <(e2e_free_ports 2)
# A minimal nginx.conf around the example server block, every path in $out, the ports free ones.
sed -e "s|listen 80;|listen 127.0.0.1:$nginx_port;|" -e '/listen \[::\]:80;/d' -e "s|server 127.0.0.1:8080;|server 127.0.0.1:$echo_port;|" \
    "$repo/deploy/nginx/trackingproxy.conf" > "$out/nginx/trackingproxy.conf"
cat > "$out/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $out/nginx/nginx.pid;
error_log $out/nginx/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $out/nginx/body;
    proxy_temp_path $out/nginx/proxy;
    fastcgi_temp_path $out/nginx/fastcgi;
    uwsgi_temp_path $out/nginx/uwsgi;
    scgi_temp_path $out/nginx/scgi;
    include $out/nginx/trackingproxy.conf;
}
CONF
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx_bin" ] || die "nginx is not installed (scripts/install-deps.sh test installs it)"
if "$nginx_bin" -t -p "$out/nginx" -c "$out/nginx/nginx.conf" >"$out/nginx/test.log" 2>&1; then
    ok "nginx -t deploy/nginx/trackingproxy.conf"
else
    fail "nginx -t deploy/nginx/trackingproxy.conf: $(cat "$out/nginx/test.log")"
fi
# Stands where the sidecar would: answers each request with the headers nginx forwarded, as JSON.
pids=()
nginx_pid=
# nginx's master stops its workers on SIGTERM; SIGKILL (e2e_kill_all) would leave them behind.
stop_all() { if [ -n "$nginx_pid" ]; then kill -TERM "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; fi; e2e_kill_all; }
trap stop_all EXIT
python3 -c '
import http.server, json, sys
class Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *args): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()' "$echo_port" &
pids+=($!)
"$nginx_bin" -p "$out/nginx" -c "$out/nginx/nginx.conf" -g 'daemon off;' >"$out/nginx/stdout.log" 2>&1 &
nginx_pid=$!
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$nginx_port/" 2>/dev/null && break; sleep 0.1; done
# Resolves the client of a request through nginx, sent from 127.0.0.2 with extra curl arguments.
client_through_nginx() { # CURL_ARGS…
    local forwarded
    forwarded=$(curl -fsS --interface 127.0.0.2 "$@" "http://127.0.0.1:$nginx_port/" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("x-forwarded-for", ""))')
    "$bin" rules explain --config "$repo/deploy/config/trackingproxy.yaml" --rules "$repo/rules/reports-app.yaml" \
        --peer 127.0.0.1 --header "X-Forwarded-For: $forwarded" --format json GET / |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["client_ip"])'
}
got=$(client_through_nginx || true)
if [ "$got" = 127.0.0.2 ]; then ok "through nginx, the client 127.0.0.2 is resolved as 127.0.0.2"; else fail "through nginx: client resolved as '$got', not 127.0.0.2"; fi
got=$(client_through_nginx -H 'X-Forwarded-For: 6.6.6.6' || true)
if [ "$got" = 127.0.0.2 ]; then ok "through nginx, a forged X-Forwarded-For: 6.6.6.6 is not taken as the client"; else fail "through nginx with a forged header: client resolved as '$got', not 127.0.0.2"; fi

# --- 4. the logs the recipes ask for (log.format: json) ---------------------------------------
# The sidecar with the VM configuration (loopback ports of its own, PostgreSQL unreachable so that
# errors are logged too) until /healthz answers, then SIGTERM: every line it wrote on stderr must
# be one JSON object with time, level, label, message and metadata (the effective configuration,
# a message of many lines with quotes, among them).
read -r proxy_port admin_port < <(e2e_free_ports 2)
TRACKINGPROXY_DATABASE_URL="postgresql://trackingproxy@127.0.0.1:1/activity?connect_timeout=1" \
    "$bin" serve --config "$repo/deploy/config/trackingproxy.yaml" --rules "$repo/rules/reports-app.yaml" \
    --listen "127.0.0.1:$proxy_port" --admin-listen "127.0.0.1:$admin_port" --spool-dir "$out/spool" \
    2>"$out/serve.stderr" >"$out/serve.stdout" &
serve_pid=$!
e2e_wait_healthz "$admin_port" "the sidecar started from deploy/config" "$out/serve.stderr"
sleep 1
kill -TERM "$serve_pid" 2>/dev/null || true
wait "$serve_pid" 2>/dev/null || true
if "$python" - "$out/serve.stderr" <<'PY'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert len(lines) >= 3, f"only {len(lines)} lines"
for line in lines:
    record = json.loads(line)
    assert isinstance(record, dict) and set(record) == {"time", "level", "label", "message", "metadata", "source"}, line
    assert isinstance(record["metadata"], dict), line
messages = [json.loads(line)["message"] for line in lines]
assert any(m.startswith("effective configuration:\n") and "\n" in m for m in messages), messages
assert any(json.loads(line)["level"] in ("error", "warning") for line in lines), "no error or warning logged"
print(f"{len(lines)} lines")
PY
then
    ok "trackingproxy serve with log.format: json writes only JSON lines on stderr ($(wc -l < "$out/serve.stderr") lines, see $out/serve.stderr)"
else
    fail "trackingproxy serve with log.format: json wrote a line that is not a JSON record (see $out/serve.stderr)"
fi

echo "deploy-check.sh: $failures failed"
[ "$failures" -eq 0 ]
