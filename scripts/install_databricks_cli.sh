#!/usr/bin/env bash
# Build the Databricks CLI (Go, github.com/databricks/cli) at a pinned version into
# $DATABRICKS_CLI_DIR, once: the template tests run `databricks bundle validate` with it.
#
#   DATABRICKS_CLI_DIR=~/.cache/databricks-mlops/databricks-cli-0.298.0 \
#     DATABRICKS_CLI_VERSION=0.298.0 scripts/install_databricks_cli.sh
#
# Where GitHub release downloads are reachable, `databricks/setup-cli` (as the generated
# projects' CI uses) is the quicker way. Here only the Go module proxy is, and it serves
# exact versions but refuses the module's version list, which `go install cmd@version`
# reads (to look for a deprecation notice). So the CLI is built from a throwaway module
# that requires it, with the same version stamp as the release builds.
set -euo pipefail

version="${DATABRICKS_CLI_VERSION:-0.298.0}"
target="${DATABRICKS_CLI_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/databricks-mlops/databricks-cli-$version}"

if [ -x "$target/databricks" ]; then
  echo "Databricks CLI $version: $target/databricks (cached)"
  exit 0
fi
# Go's own installer puts it in /usr/local/go, which is not always on PATH.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH="/usr/local/go/bin:$PATH"
fi
if ! command -v go >/dev/null 2>&1; then
  echo "go is not installed: the Databricks CLI is not built, and its tests will be skipped" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/go.mod" <<GOMOD
module databricks-cli-build

go 1.24

require github.com/databricks/cli v$version
GOMOD
cat >"$work/tools.go" <<'GO'
//go:build tools

package tools

import _ "github.com/databricks/cli"
GO

echo "building the Databricks CLI $version into $target (about 2-3 minutes on 2 cores)"
(
  cd "$work"
  go mod tidy
  CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/databricks/cli/internal/build.buildVersion=$version" \
    -o "$work/databricks" github.com/databricks/cli
)
mkdir -p "$target"
mv "$work/databricks" "$target/databricks"
"$target/databricks" --version
