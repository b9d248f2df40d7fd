"""Shared set-up for the examples: a local home, sample data, the reference configs.

Every example runs on the embedded local backends (Spark + Delta, MLflow on sqlite, the
MLflow scoring server) unless DATABRICKS_HOST is configured. State goes to
``$MLOPS_HOME`` or, when unset, to a fresh temporary directory, so examples never touch
your project's ``.mlops/``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"


def local_home() -> Path:
    os.environ.setdefault("MLOPS_HOME", tempfile.mkdtemp(prefix="mlops-example-"))
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return Path(os.environ["MLOPS_HOME"])


def variables(schema: str) -> dict[str, str]:
    """The bundle variables the reference configs use, for one example's own schema."""
    return {"catalog": "main", "schema": schema, "experiment_name": f"/examples/{schema}"}


def write_customers(
    schema: str, *, rows: int = 2000, seed: int = 42, variant: Any = "reference"
) -> Path:
    """The churn sample (with its deliberate data-quality problems) where configs/data.yml
    reads it: /Volumes/main/<schema>/raw/customers.csv, mapped under MLOPS_HOME."""
    from databricks_mlops.datasets import generate_churn, write_dataset
    from databricks_mlops.runtime import get_runtime

    target = Path(get_runtime().path(f"/Volumes/main/{schema}/raw/customers.csv"))
    return write_dataset(generate_churn(rows, seed, variant=variant), target)


def train_churn_model(name: str, *, rows: int = 2000, seed: int = 7, trees: int = 30) -> str:
    """Train a churn classifier on generated customers and register it as @challenger
    (gates on): the library calls a training job makes, without the tables. Returns the
    registered version."""
    from databricks_mlops.model_training.sample_model import train_sample_churn_model

    return train_sample_churn_model(
        name, rows=rows, seed=seed, trees=trees, experiment_name="/examples/serving"
    )


def sample_customers(rows: int, seed: int = 99) -> Any:
    """Raw customers as a client would send them (the columns the model takes)."""
    from databricks_mlops.datasets import generate_churn
    from databricks_mlops.model_training.sample_model import SAMPLE_INPUT_COLUMNS

    return generate_churn(rows, seed)[SAMPLE_INPUT_COLUMNS]
