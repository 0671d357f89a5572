#!/usr/bin/env bash
# Installs the Debian packages the project needs, only those missing (apt-get update runs once,
# and only when something is missing). Usage: scripts/install-deps.sh [test|run|bench]
set -euo pipefail
purpose=${1:-test}

need=()
want() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || need+=("$1"); }

want pkg-config
want libpq-dev
want zlib1g-dev
want postgresql
want curl
case "$purpose" in
  bench) want nginx; want wrk ;;
  # scripts/deploy-check.sh: `systemd-analyze verify` on the units (works without systemd as
  # PID 1), the manifests read with PyYAML, `nginx -t` and requests through the nginx example.
  test) want systemd; want python3-yaml; want nginx ;;
esac

if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then echo "run as root (or install: ${need[*]})" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian starts a default cluster when postgresql is installed; the project runs its own.

# The API contract check (scripts/api-contract-check.sh): pinned, so a new release cannot change
# what `make test` checks.
if [ "$purpose" = test ] && ! { command -v st >/dev/null && command -v openapi-spec-validator >/dev/null; }; then
  echo "installing with pip: schemathesis, openapi-spec-validator" >&2
  python3 -m pip install --quiet schemathesis==4.32.5 openapi-spec-validator==0.9.0 2>/dev/null ||
    python3 -m pip install --quiet --break-system-packages schemathesis==4.32.5 openapi-spec-validator==0.9.0
fi
