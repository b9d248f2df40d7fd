# Databricks notebook source
# MAGIC %md
# MAGIC # {{ cookiecutter.project_name }}: exploration
# MAGIC Loads this project's configs and runs the ingestion stage step by step. In the
# MAGIC workspace it runs on the cluster; locally, `uv run python notebooks/explore.py` runs it
# MAGIC on local Spark (after `make sample-data`).

# COMMAND ----------

from pathlib import Path

from databricks_mlops.models.data import DataConfig
from databricks_mlops.runtime import get_runtime

try:  # in the workspace the notebook has no __file__: configs are next to notebooks/
    PROJECT = Path(__file__).resolve().parents[1]
except NameError:
    PROJECT = Path.cwd().parent

CATALOG, SCHEMA = "{{ cookiecutter.catalog_dev }}", "{{ cookiecutter.schema_name }}_dev"
variables = {"catalog": CATALOG, "schema": SCHEMA, "raw_volume": "raw"}

# COMMAND ----------

# MAGIC %md The ingestion config, typed: a wrong field fails here with its file and line.

# COMMAND ----------

data_config = DataConfig.from_yaml(PROJECT / "configs" / "data.yml", variables)
print(data_config.source_path, "->", data_config.destination_path)

# COMMAND ----------

# MAGIC %md Run the stage: raw file -> transformation steps -> Delta table, then the rules.

# COMMAND ----------

from databricks_mlops.tasks.ingest import run_ingest  # noqa: E402
from databricks_mlops.tasks.validate import run_validate  # noqa: E402

result = run_ingest(data_config)
print(f"{result.rows_written} rows in {result.destination}")
runtime = get_runtime()
customers = runtime.read_delta(data_config.destination_path)
customers.groupBy("contract_type").count().show()

# COMMAND ----------

validation = run_validate(data_config)
print("rules passed:", validation.result.passed)
