"""Churn sample data, a feature state fitted on Spark, and a config factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from pyspark.sql import SparkSession

from databricks_mlops.config.features import FeatureConfig
from databricks_mlops.config.training import TrainingConfig
from databricks_mlops.datasets import generate_churn
from databricks_mlops.feature_engineering import FeatureTransformer, FittedFeatureState

RAW_COLUMNS = [
    "customer_id",
    "event_date",
    "tenure",
    "monthly_charges",
    "total_charges",
    "contract_type",
    "payment_method",
    "tech_support",
    "senior_citizen",
    "churn",
]
FEATURES = [
    "tenure",
    "monthly_charges",
    "total_charges",
    "contract_monthly",
    "contract_one_year",
    "contract_two_year",
    "tech_support_flag",
    "senior_citizen",
]


@pytest.fixture(scope="session")
def churn() -> pd.DataFrame:
    frame = generate_churn(1200, 7)[RAW_COLUMNS].copy()
    frame["senior_citizen"] = frame["senior_citizen"].astype("int64")
    return frame


@pytest.fixture(scope="session")
def feature_state(spark: SparkSession, churn: pd.DataFrame) -> FittedFeatureState:
    config = FeatureConfig.model_validate(
        {
            "feature_table_name": "main.churn.customer_features",
            "primary_keys": ["customer_id"],
            "timestamp_column": "event_date",
            "feature_transformations": {
                "total_charges": {"type": "numeric_fillna", "strategy": "median"},
                "contract": {
                    "type": "one_hot_encode",
                    "source_column": "contract_type",
                    "categories": ["Month-to-month", "One year", "Two year"],
                    "output_columns": [
                        "contract_monthly",
                        "contract_one_year",
                        "contract_two_year",
                    ],
                },
                "tech_support_flag": {"type": "boolean_encode", "source_column": "tech_support"},
            },
        }
    )
    return FeatureTransformer(config).fit(spark.createDataFrame(churn))


@pytest.fixture
def make_config() -> Callable[..., TrainingConfig]:
    def make(name: str, **overrides: Any) -> TrainingConfig:
        values: dict[str, Any] = {
            "model_type": "classification",
            "target_column": "churn",
            "feature_columns": FEATURES,
            "registry_model_name": name,
            "experiment_name": f"/tests/{name}",
            "hyperparameters": {"n_estimators": 20, "max_depth": 5},
            "stratify": True,
            "primary_metric": "roc_auc",
        }
        return TrainingConfig.model_validate(values | overrides)

    return make
