"""Customer churn: raw CSV -> validated Delta table -> feature table -> gated model -> scores.

Run: ``python examples/customer_churn_prediction.py``

Uses the reference bundle's own configs (configs/data.yml, features.yml, training.yml) and
``MLOpsWorkflow`` (the same stage functions the jobs run), then scores a few new customers
with the registered model, which takes raw columns (it carries its fitted feature state).
"""

from __future__ import annotations

import sys

from _common import CONFIGS, local_home, variables, write_customers

SCHEMA = "churn_example"


def main() -> int:
    local_home()
    import mlflow
    import pandas as pd

    from databricks_mlops.models.config import DataConfig, FeatureConfig, TrainingConfig
    from databricks_mlops.pipelines import MLOpsWorkflow

    write_customers(SCHEMA, rows=3000)
    values = variables(SCHEMA)
    workflow = MLOpsWorkflow(
        data_config=DataConfig.from_yaml(CONFIGS / "data.yml", values),
        feature_config=FeatureConfig.from_yaml(CONFIGS / "features.yml", values),
        training_config=TrainingConfig.from_yaml(CONFIGS / "training.yml", values),
    )
    result = workflow.run()
    for stage in result.stages:
        print(f"{stage.name:>12}: {stage.status:<9} {stage.seconds:6.1f}s  {stage.detail}")
    print(
        f"registered {result.model_name} version {result.version} (logged model {result.model_id})"
    )
    print("test metrics: " + ", ".join(f"{k}={v:.3f}" for k, v in sorted(result.metrics.items())))

    model = mlflow.pyfunc.load_model(f"models:/{result.model_name}/{result.version}")
    # A few customers as the model sees them at serving time: the raw columns only.
    from databricks_mlops.runtime import get_runtime

    table = get_runtime().read_delta(f"main.{SCHEMA}.customers_bronze")
    new_customers = table.orderBy("customer_id").limit(5).toPandas()
    needed = [column.name for column in model.metadata.get_input_schema().inputs]
    scores = model.predict(new_customers.reindex(columns=needed))
    shown = ["customer_id", "tenure", "contract_type", "churn"]
    print(pd.concat([new_customers[shown], scores], axis=1).to_string())
    ok = result.succeeded and bool(scores["probability"].between(0, 1).all())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
