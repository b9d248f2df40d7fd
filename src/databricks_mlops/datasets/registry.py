"""The sample datasets by name, as the CLI's ``sample-data NAME`` looks them up."""

from __future__ import annotations

from typing import Protocol

import pandas as pd

from databricks_mlops.datasets.churn import Variant, generate_churn
from databricks_mlops.errors import DatasetError, did_you_mean


class SampleDataset(Protocol):
    """A seeded generator: the same arguments always give an identical frame.

    ``variant`` is checked at run time too (``DatasetError`` for an unknown one), so a
    caller holding a plain ``str`` can ``cast`` it to ``Variant``.
    """

    def __call__(
        self, rows: int = ..., seed: int = ..., variant: Variant = ...
    ) -> pd.DataFrame: ...


SAMPLE_DATASETS: dict[str, SampleDataset] = {
    "churn": generate_churn,
}


def get_dataset(name: str) -> SampleDataset:
    """Return the generator registered as ``name``."""
    try:
        return SAMPLE_DATASETS[name]
    except KeyError:
        raise DatasetError(
            f"Unknown sample dataset '{name}'{did_you_mean(name, SAMPLE_DATASETS)}; "
            f"available: {', '.join(sorted(SAMPLE_DATASETS))}"
        ) from None
