"""A small churn classifier on generated customers, registered in one call.

For trying serving, deployment and monitoring without running the training job first
(the examples, the benchmarks and the test suite use it): the library calls a training job
makes (fit the feature state, train, log, register), without any tables. The model takes
the raw churn columns (``tenure``, ``monthly_charges``, ``total_charges``,
``contract_type``) and answers ``prediction`` and ``probability``.
"""

from __future__ import annotations

from databricks_mlops.model_training.model_registry import CHAMPION

SAMPLE_FEATURE_COLUMNS = [
    "tenure",
    "monthly_charges",
    "total_charges",
    "contract_monthly",
    "contract_one_year",
    "contract_two_year",
]
SAMPLE_INPUT_COLUMNS = ["tenure", "monthly_charges", "total_charges", "contract_type"]


def train_sample_churn_model(
    name: str,
    *,
    rows: int = 2000,
    seed: int = 7,
    trees: int = 30,
    max_depth: int = 5,
    experiment_name: str = "/samples/churn",
    champion: bool = False,
) -> str:
    """Train and register a version of ``name`` as ``@challenger`` (evaluation gates on);
    with ``champion=True`` also alias it ``@champion``. Returns the version."""
    from mlflow import MlflowClient

    from databricks_mlops.config.features import FeatureConfig
    from databricks_mlops.config.training import TrainingConfig
    from databricks_mlops.datasets import generate_churn
    from databricks_mlops.feature_engineering import FeatureTransformer
    from databricks_mlops.model_training.trainer import ModelTrainer
    from databricks_mlops.runtime import get_runtime

    runtime = get_runtime()
    runtime.configure_mlflow()
    frame = generate_churn(rows, seed)
    frame["senior_citizen"] = frame["senior_citizen"].astype("int64")
    namespace = name.rpartition(".")[0] or "main.samples"
    features = FeatureConfig.model_validate(
        {
            "feature_table_name": f"{namespace}.churn_sample_features",
            "primary_keys": ["customer_id"],
            "timestamp_column": "event_date",
            "feature_transformations": {
                "total_charges": {"type": "numeric_fillna", "strategy": "median"},
                "contract": {
                    "type": "one_hot_encode",
                    "source_column": "contract_type",
                    "categories": ["Month-to-month", "One year", "Two year"],
                    "output_columns": SAMPLE_FEATURE_COLUMNS[3:],
                },
            },
        }
    )
    state = FeatureTransformer(features).fit(runtime.spark.createDataFrame(frame))
    config = TrainingConfig.model_validate(
        {
            "model_type": "classification",
            "target_column": "churn",
            "feature_columns": SAMPLE_FEATURE_COLUMNS,
            "registry_model_name": name,
            "experiment_name": experiment_name,
            "hyperparameters": {"n_estimators": trees, "max_depth": max_depth},
        }
    )
    trainer = ModelTrainer(config)
    run = trainer.train_from_frame(frame, state)
    version = str(trainer.register(run).version)
    if champion:
        MlflowClient().set_registered_model_alias(name, CHAMPION, version)
    return version
