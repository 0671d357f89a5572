#!/usr/bin/env bash
# Checks a `make dist` tarball the way a machine without Swift would use it (`make test` runs it):
# unpacked into an empty temporary folder, its binary runs from there with the toolchain off PATH
# and no LD_LIBRARY_PATH, prints its version and commit, checks the shipped configuration and rules,
# needs no libswift*.so (ldd) and nothing that is missing; the completion scripts, the manual page,
# the units and the manifests are in it.
#
#   scripts/dist-check.sh dist/trackingproxy-VERSION-linux-ARCH.tar.gz
set -euo pipefail
tarball=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }

tar -C "$work" -xzf "$tarball"
root=$(find "$work" -mindepth 1 -maxdepth 1 -type d)
cd "$root"
# What a machine without Swift has: no toolchain on PATH, no library path.
run() { env -i PATH=/usr/bin:/bin HOME="$work" "$@"; }

version=$(run bin/trackingproxy --version 2>&1) || true
if [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+\ \(commit\ ([0-9a-f]{12,40}(-dirty)?|unknown)\)$ ]]; then
    ok "bin/trackingproxy --version: $version"
else
    fail "bin/trackingproxy --version printed '$version'"
fi
[ "$(cat VERSION)" = "$version" ] && ok "VERSION is the binary's version" || fail "VERSION ($(cat VERSION)) is not '$version'"

if run bin/trackingproxy config check config/trackingproxy.yaml >"$work/config-check.out" 2>&1; then
    ok "bin/trackingproxy config check config/trackingproxy.yaml"
else
    fail "config check config/trackingproxy.yaml: $(cat "$work/config-check.out")"
fi
if run bin/trackingproxy rules check rules/reports-app.yaml >"$work/rules-check.out" 2>&1 &&
    run bin/trackingproxy rules test rules/reports-app.test.yaml >>"$work/rules-check.out" 2>&1; then
    ok "bin/trackingproxy rules check and rules test on the shipped rules"
else
    fail "rules check/test: $(cat "$work/rules-check.out")"
fi

libraries=$(ldd bin/trackingproxy)
if echo "$libraries" | grep -q 'libswift\|libFoundation\|libdispatch\|libBlocksRuntime'; then
    fail "bin/trackingproxy needs Swift's shared libraries: $(echo "$libraries" | grep 'libswift\|libFoundation\|libdispatch\|libBlocksRuntime' | tr -s ' \t' ' ')"
else
    ok "ldd: no libswift*.so, Foundation or dispatch needed ($(echo "$libraries" | awk '{print $1}' | grep -v '^/' | tr '\n' ' '))"
fi
if echo "$libraries" | grep -q 'not found'; then fail "ldd: missing libraries: $(echo "$libraries" | grep 'not found')"; else ok "ldd: every library found"; fi

for file in completions/trackingproxy.bash completions/_trackingproxy completions/trackingproxy.fish share/man/man1/trackingproxy.1 \
    deploy/systemd/trackingproxy.service deploy/systemd/trackingproxy-analytics.service deploy/kubernetes/reports-app.yaml \
    deploy/kubernetes/analytics.yaml deploy/nginx/trackingproxy.conf docs/operators/deploy.md docs/README.md docs/configuration.md README.md; do
    [ -s "$file" ] && ok "ships $file" || fail "$file is missing or empty"
done
bash -n completions/trackingproxy.bash && grep -q 'analytics' completions/trackingproxy.bash &&
    ok "the bash completion parses and knows the subcommands" || fail "completions/trackingproxy.bash"
if out=$(bash -c 'source completions/trackingproxy.bash && COMP_WORDS=(trackingproxy ser) COMP_CWORD=1 && _trackingproxy && echo "${COMPREPLY[*]}"' 2>&1) && [[ " $out " == *" serve "* ]]; then
    ok "bash completes 'trackingproxy ser' to serve"
else
    fail "bash completion of 'trackingproxy ser' gave '$out'"
fi
if command -v man >/dev/null; then
    man -l share/man/man1/trackingproxy.1 2>/dev/null | grep -q 'analytics' && ok "man -l share/man/man1/trackingproxy.1 renders" || fail "the manual page does not render"
fi

echo "dist-check.sh: $failures failed"
[ "$failures" -eq 0 ]
