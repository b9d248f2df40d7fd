"""Config imports stay light: a task parses its config before paying for Spark or MLflow."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pyspark", "mlflow", "great_expectations", "databricks.sdk")


def test_config_modules_import_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "import databricks_mlops.config.kinds, databricks_mlops.utils.auth, databricks_mlops.config.serving\n"
        "import databricks_mlops.cli.app, databricks_mlops.tasks.ingest\n"
        f"print(sorted(m for m in sys.modules if m.startswith({HEAVY!r})))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "[]"
