"""Backends registered by name, so callers pick one from configuration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from databricks_mlops.errors import MLOpsError, did_you_mean
from databricks_mlops.expressions.pandas_backend import evaluate_pandas
from databricks_mlops.expressions.spark_backend import to_spark
from databricks_mlops.expressions.sql_backend import to_sql


@dataclass(frozen=True)
class Backend:
    """One way to run a resolved expression (each imports its engine lazily)."""

    name: str
    description: str
    # to_spark(expr, column_count=...), evaluate_pandas(expr, df) or to_sql(expr, ...).
    run: Callable[..., object]


BACKENDS: dict[str, Backend] = {
    "spark": Backend("spark", "pyspark Column (aggregate Column for dataset rules)", to_spark),
    "pandas": Backend(
        "pandas", "nullable pandas Series (scalar for dataset rules)", evaluate_pandas
    ),
    "sql": Backend("sql", "Spark SQL text (aggregate SQL for dataset rules)", to_sql),
}


def get_backend(name: str) -> Backend:
    """The backend called ``name``; an unknown name suggests the closest one."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise MLOpsError(
            f"unknown expression backend '{name}'{did_you_mean(name, BACKENDS)}; "
            f"backends: {', '.join(sorted(BACKENDS))}"
        ) from None
