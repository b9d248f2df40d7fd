"""Which Spark a Databricks compute version runs: the local engine must be the same one.

A job that passes locally on PySpark 4.0 proves little about a task that runs on Spark 3.5
(no ``pyspark.sql.classic``, other SQL functions, no ``pyspark.ml`` on serverless before
environment 4), so bundles pin compute whose Spark matches the local engine, and tests hold
them to it. Sources: docs.databricks.com release notes (serverless environment versions;
Databricks Runtime 15.4 LTS, 16.4 LTS, 17.3 LTS).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Serverless environment version -> Spark of its Databricks Connect client.
SERVERLESS_ENVIRONMENT_SPARK = {"1": "3.5", "2": "3.5", "3": "3.5", "4": "4.0"}

# Databricks Runtime (major.minor of a job cluster's spark_version) -> Spark.
RUNTIME_SPARK = {"15.4": "3.5", "16.4": "3.5", "17.0": "4.0", "17.3": "4.0"}


def spark_of_environment(environment_version: str | int) -> str | None:
    """The Spark of a serverless environment version, or None when unknown here."""
    return SERVERLESS_ENVIRONMENT_SPARK.get(str(environment_version))


def spark_of_runtime(spark_version: str) -> str | None:
    """The Spark of a cluster's ``spark_version`` (``17.3.x-scala2.13``), or None."""
    major_minor = ".".join(spark_version.split(".")[:2])
    return RUNTIME_SPARK.get(major_minor)


def local_spark() -> str:
    """major.minor of the PySpark installed here (the local engine)."""
    import pyspark

    return ".".join(pyspark.__version__.split(".")[:2])


def compute_spark_mismatches(jobs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Each environment or job cluster of ``jobs`` whose Spark is not the local engine's."""
    local = local_spark()
    problems = []
    for key, job in jobs.items():
        computes = [
            (f"serverless environment {version}", spark_of_environment(version))
            for version in (e["spec"]["environment_version"] for e in job.get("environments") or [])
        ] + [
            (f"cluster {version}", spark_of_runtime(version))
            for version in (
                c["new_cluster"]["spark_version"] for c in job.get("job_clusters") or []
            )
        ]
        problems += [
            f"job {key}: {compute} runs Spark {spark or '?'}, the local engine {local}"
            for compute, spark in computes
            if spark != local
        ]
    return problems
