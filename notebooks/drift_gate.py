# Databricks notebook source
# ruff: noqa: F821 - `spark` and `dbutils` are the globals Databricks gives a notebook
# MAGIC %md
# MAGIC # drift_state: hand check_drift's outcome to the retraining condition
# MAGIC
# MAGIC Databricks documents `dbutils.jobs.taskValues.set` for notebook tasks only: a value
# MAGIC set from a python_wheel_task (check_drift) never reaches the tasks after it. So
# MAGIC check_drift appends `drift_detected` for its job run to the run-state table, and
# MAGIC this notebook reads it back for the same job run and sets the task value
# MAGIC `drift_detected` that the `drift_gate` condition compares with "true".
# MAGIC
# MAGIC Parameters (the model_monitoring job passes both): `job_run_id` (the job run's id)
# MAGIC and `run_state_table` (`catalog.schema.table`). Plain PySpark only: the notebook
# MAGIC needs nothing installed. `databricks-mlops run model_monitoring` runs it locally.

# COMMAND ----------

from pyspark.sql import functions as F

dbutils.widgets.text("job_run_id", "")
dbutils.widgets.text("run_state_table", "")
job_run_id = dbutils.widgets.get("job_run_id")
run_state_table = dbutils.widgets.get("run_state_table")
if not job_run_id or not run_state_table:
    raise ValueError(
        "drift_state needs the job_run_id and run_state_table parameters "
        f"(got job_run_id={job_run_id!r}, run_state_table={run_state_table!r}); "
        "the model_monitoring job passes both"
    )

# COMMAND ----------

# check_drift appends a row per run (a repaired job run keeps its id): the latest wins.
latest = (
    spark.table(run_state_table)
    .where((F.col("job_run_id") == job_run_id) & (F.col("key") == "drift_detected"))
    .orderBy(F.col("recorded_at").desc())
    .limit(1)
    .collect()
)
if not latest:
    raise ValueError(
        f"no drift_detected recorded for job run {job_run_id} in {run_state_table}: "
        "check_drift records it when it gets --job_run_id and --run_state_table; "
        "did it run in this job run?"
    )
drift_detected = str(latest[0]["value"])
dbutils.jobs.taskValues.set(key="drift_detected", value=drift_detected)
print(f"drift_state: job run {job_run_id}: drift_detected={drift_detected}")
