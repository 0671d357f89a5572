#!/usr/bin/env bash
# `make dist`: the release tarball, dist/trackingproxy-VERSION-linux-ARCH.tar.gz, for machines
# without Swift (the Swift runtime and Foundation are linked in; libpq5 comes from the system):
#
#   bin/trackingproxy              release build, debug info stripped (symbols kept for backtraces)
#   completions/                   bash, zsh and fish completion scripts (swift-argument-parser's)
#   share/man/man1/trackingproxy.1 the manual page, when swift-argument-parser's plugin could make it
#   rules/                         the reports app's rules and their tests
#   config/trackingproxy.yaml      an example configuration (deploy/config/trackingproxy.yaml)
#   deploy/                        systemd units, Kubernetes manifests, nginx and Azure examples
#   docs/                          the documentation by reader (docs/README.md), with the configuration
#                                  reference and the API's OpenAPI document
#   README.md, BENCHMARKS.md, VERSION
#
# Prints the tarball's path on stdout (everything else goes to stderr).
#   scripts/dist.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/release-build.sh --static trackingproxy >&2
bin=.build-dist/release/trackingproxy
version=$("$bin" --version)                 # e.g. 0.1.0 (commit 018f8ba6c3d2)
name="trackingproxy-${version%% *}-linux-$(uname -m)"
stage="dist/$name"
rm -rf "$stage" "dist/$name.tar.gz"
mkdir -p "$stage/bin" "$stage/completions" "$stage/config" "$stage/docs" "$stage/share/man/man1"

cp "$bin" "$stage/bin/trackingproxy"
strip --strip-debug "$stage/bin/trackingproxy"
"$bin" --generate-completion-script bash > "$stage/completions/trackingproxy.bash"
"$bin" --generate-completion-script zsh > "$stage/completions/_trackingproxy"
"$bin" --generate-completion-script fish > "$stage/completions/trackingproxy.fish"
# The manual page: swift-argument-parser's GenerateManual plugin builds the package in debug mode
# (`make test` has, so nothing is compiled) and writes the page from the command's help into its
# work folder. Optional: the tarball ships without it when the plugin cannot run.
rm -rf .build/plugins/GenerateManual/outputs
if swift package plugin generate-manual --configuration debug >&2 && page=$(find .build/plugins/GenerateManual/outputs -name trackingproxy.1 | head -n 1) && [ -n "$page" ]; then
    cp "$page" "$stage/share/man/man1/trackingproxy.1"
else
    echo "dist.sh: no manual page (the GenerateManual plugin failed)" >&2
fi
mkdir -p "$stage/rules"
cp rules/*.yaml "$stage/rules/"
cp deploy/config/trackingproxy.yaml "$stage/config/trackingproxy.yaml"
cp -R deploy "$stage/deploy"
cp -R docs/. "$stage/docs/"
rm -f "$stage/docs/pending-links.txt"   # the link checker's list, not documentation
cp README.md BENCHMARKS.md "$stage/"
if [ -f LICENSE ]; then cp LICENSE "$stage/"; fi
echo "$version" > "$stage/VERSION"

tar -C dist -czf "dist/$name.tar.gz" "$name"
rm -rf "$stage"
echo "dist.sh: $(du -h "dist/$name.tar.gz" | cut -f1) dist/$name.tar.gz ($version)" >&2
echo "dist/$name.tar.gz"
