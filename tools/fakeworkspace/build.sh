#!/usr/bin/env bash
# Build tools/fakeworkspace (the Databricks CLI's own fake workspace, libs/testserver, as
# a server) into a cache keyed by its source, once; print the binary's path on stdout.
#
#   tools/fakeworkspace/build.sh      # -> ~/.cache/databricks-mlops/fakeworkspace-<hash>/fakeworkspace
#
# Built like the CLI (scripts/install_databricks_cli.sh): from the Go module proxy, at the
# CLI version go.mod pins, CGO off. Without Go it fails, saying so on stderr.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
hash="$(cat "$here/go.mod" "$here/go.sum" "$here"/*.go | sha256sum | cut -c1-16)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/databricks-mlops"
target="${FAKE_WORKSPACE_DIR:-$cache/fakeworkspace-$hash}"

if [ -x "$target/fakeworkspace" ]; then
  echo "$target/fakeworkspace"
  exit 0
fi
# Go's own installer puts it in /usr/local/go, which is not always on PATH.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH="/usr/local/go/bin:$PATH"
fi
if ! command -v go >/dev/null 2>&1; then
  echo "go is not installed: the fake workspace (tools/fakeworkspace) cannot be built" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "building the fake workspace into $target" >&2
(
  cd "$here"
  # -mod=mod: go.sum is committed, but a Go newer than go.mod's may want to add to it.
  CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" go build -trimpath -ldflags "-s -w" -o "$work/fakeworkspace" . >&2
)
mkdir -p "$target"
mv "$work/fakeworkspace" "$target/fakeworkspace"
echo "$target/fakeworkspace"
