"""Seeded sample data for the framework's end-to-end example, and a writer for it.

Usage::

    frame = get_dataset("churn")(rows=1000, seed=7, variant="current")
    write_dataset(frame, Path("data/churn_current.parquet"))
    rows = sample_rows(DataConfig.from_yaml("configs/data.yml", variables), rows=500)
"""

from databricks_mlops.datasets.churn import Variant, generate_churn
from databricks_mlops.datasets.declared import declared_columns, sample_rows
from databricks_mlops.datasets.io import DatasetFormat, write_dataset
from databricks_mlops.datasets.registry import SAMPLE_DATASETS, SampleDataset, get_dataset

__all__ = [
    "SAMPLE_DATASETS",
    "DatasetFormat",
    "SampleDataset",
    "Variant",
    "declared_columns",
    "generate_churn",
    "get_dataset",
    "sample_rows",
    "write_dataset",
]
