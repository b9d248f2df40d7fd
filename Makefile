# One command per check, the same locally and in CI.
#   make demo   generate a project from template/, install it, run its whole lifecycle locally
#   make test   the test suite
# Both install what they need: uv (bootstrapped with pip when missing), the locked
# environment with local Spark + Delta; Delta's jars are fetched on the first Spark start.

SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
RUN := $(UV) run --frozen

.PHONY: setup test lint bundle demo docs docs-check clean databricks-cli actionlint sdk-floor

# pip refuses --user installs on PEP 668 systems without the override; try plain first.
$(UV):
	python3 -m pip install --user --quiet uv || python3 -m pip install --user --quiet --break-system-packages uv

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --inexact --extra spark --extra gx --compile-bytecode
	@touch $@

setup: .venv/.synced

# The real Databricks CLI for `databricks bundle validate` in tests/template/: built once
# from the Go module proxy into a cache (scripts/install_databricks_cli.sh). Without Go
# or the proxy the build is skipped, and so are those tests, saying why.
DATABRICKS_CLI_VERSION ?= 0.298.0
DATABRICKS_CLI_DIR ?= $(HOME)/.cache/databricks-mlops/databricks-cli-$(DATABRICKS_CLI_VERSION)

databricks-cli:
	@DATABRICKS_CLI_VERSION=$(DATABRICKS_CLI_VERSION) DATABRICKS_CLI_DIR="$(DATABRICKS_CLI_DIR)" \
	  scripts/install_databricks_cli.sh || echo "Databricks CLI not built: its tests will be skipped"

# actionlint for the generated projects' GitHub workflows, the same way (Go).
ACTIONLINT_VERSION ?= 1.7.12
ACTIONLINT_DIR ?= $(HOME)/.cache/databricks-mlops/actionlint-$(ACTIONLINT_VERSION)

actionlint:
	@test -x "$(ACTIONLINT_DIR)/actionlint" || GOBIN="$(ACTIONLINT_DIR)" PATH="$$PATH:/usr/local/go/bin" \
	  go install github.com/rhysd/actionlint/cmd/actionlint@v$(ACTIONLINT_VERSION) \
	  || echo "actionlint not built: the workflow lint test will be skipped"

# The Databricks CLI's own fake workspace (its libs/testserver) for tests/deploy/, which
# deploy every bundle into it with the real CLI: built once per source, like the CLI.
.PHONY: fake-workspace
fake-workspace:
	@tools/fakeworkspace/build.sh >/dev/null || echo "fake workspace not built: tests/deploy/ will be skipped (outside CI)"

test: setup databricks-cli actionlint sdk-floor fake-workspace
	PATH="$(DATABRICKS_CLI_DIR):$(ACTIONLINT_DIR):$$PATH" $(RUN) pytest
	$(MAKE) --no-print-directory test-connect

# The databricks-sdk lower bound in pyproject.toml is a claim: run the tests that drive the
# real SDK (against workspace stubs on 127.0.0.1) on exactly that version.
SDK_FLOOR = $(shell sed -n 's/.*"databricks-sdk>=\([0-9.]*\)".*/\1/p' pyproject.toml)
SDK_TESTS = tests/deployment/test_databricks_backend.py tests/serving_client/test_auth_and_endpoints.py \
	tests/cli/test_endpoints.py tests/runner/test_task_values.py
sdk-floor: setup
	$(RUN) --with "databricks-sdk==$(SDK_FLOOR)" python -c \
	  "import databricks.sdk.version as v; assert v.__version__ == '$(SDK_FLOOR)', v.__version__"
	$(RUN) --with "databricks-sdk==$(SDK_FLOOR)" pytest -q -p no:cacheprovider $(SDK_TESTS)

# Serverless semantics locally: the Spark-facing tests again on a local Spark Connect
# session (no _jdf, sparkContext, RDDs or JVM), as serverless tasks get. A classic and a
# Connect session cannot share a process, so this is a second pytest run; `make test`
# runs both. Tests that cannot run on Connect say why in their skip reason.
CONNECT_TESTS = tests/runtime/test_spark_connect.py tests/runtime/test_delta_sql.py \
	tests/runtime/test_dbfs_root_on_serverless.py tests/ingestion tests/feature_engineering \
	tests/validation tests/model_training tests/monitoring tests/tasks
.PHONY: test-connect
test-connect: setup
	MLOPS_SPARK_CONNECT=1 $(RUN) pytest -q -p no:cacheprovider $(CONNECT_TESTS)

lint: setup
	$(RUN) ruff check --no-cache src tests
	$(RUN) ruff format --no-cache --check src tests
	$(RUN) mypy
	$(RUN) lint-imports

# The bundle against the Databricks CLI's JSON schema (validator shipped beside the repo).
BUNDLE_VALIDATOR ?= ../shared/bundle-schema/validate_bundle.py
bundle: setup
	@if [ -f "$(BUNDLE_VALIDATOR)" ]; then $(RUN) python $(BUNDLE_VALIDATOR) databricks.yml; \
	else echo "bundle schema validator not found at $(BUNDLE_VALIDATOR); skipped"; fi

# The product demo: generate a project from template/ into .demo/, install it, run its
# whole lifecycle locally, then drifted data -> drift detected, alert, retraining.
demo: setup
	$(RUN) python scripts/demo.py

# The configuration reference is generated from the pydantic models; a test fails when stale.
docs: setup
	$(RUN) python -m databricks_mlops.cli.config_reference docs/reference/configuration.md

docs-check: setup
	$(RUN) python -m databricks_mlops.cli.config_reference --check docs/reference/configuration.md

clean:
	rm -rf .mlops dist .pytest_cache .mypy_cache .ruff_cache
