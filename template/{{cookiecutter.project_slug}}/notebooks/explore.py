# Databricks notebook source
# MAGIC %md
# MAGIC # {{ cookiecutter.project_name }}: exploration
# MAGIC Loads this project's configs and runs the ingestion stage step by step. In the
# MAGIC workspace it runs on the cluster; locally, `uv run python notebooks/explore.py` runs it
# MAGIC on local Spark (after `make sample-data`).

# COMMAND ----------

from pathlib import Path

from databricks_mlops.config.data import DataConfig
from databricks_mlops.runner import load_bundle
from databricks_mlops.runtime import get_runtime

try:  # in the workspace the notebook has no __file__: configs are next to notebooks/
    PROJECT = Path(__file__).resolve().parents[1]
except NameError:
    PROJECT = Path.cwd().parent

# The names the ingest task gets in the dev target (databricks.yml variables and resources).
bundle = load_bundle(PROJECT, "dev", {})
ingest = next(
    task["python_wheel_task"]["named_parameters"]
    for task in bundle.jobs["data_ingestion"]["tasks"]
    if task["task_key"] == "ingest"
)
variables = {key: str(value) for key, value in ingest.items() if key != "config"}

# COMMAND ----------

# MAGIC %md The ingestion config, typed: a wrong field fails here with its file and line.

# COMMAND ----------

data_config = DataConfig.from_yaml(PROJECT / "configs" / "data.yml", variables)
print(data_config.source_path, "->", data_config.destination_path)

# COMMAND ----------

# MAGIC %md Run the stage: raw file -> transformation steps -> a staged batch, then the rules,
# MAGIC which publish it to the destination table only when no ERROR rule fails.

# COMMAND ----------

from databricks_mlops.tasks.ingest import run_ingest  # noqa: E402
from databricks_mlops.tasks.validate import run_validate  # noqa: E402

result = run_ingest(data_config)
print(f"{result.rows_written} rows in {result.destination}")
runtime = get_runtime()
# The batch just written: the staging table while it waits for validation.
records = runtime.read_delta(result.destination)
records.printSchema()
records.describe().show()

# COMMAND ----------

validation = run_validate(data_config)
print("rules passed:", validation.result.passed)
