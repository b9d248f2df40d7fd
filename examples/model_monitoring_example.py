"""Model monitoring: the seed's ModelMonitor example on a scored inference log, then drift.

Run: ``python examples/model_monitoring_example.py``

A churn model scores this month's customers (batch inference through ``spark_udf`` into an
inference log); ``ModelMonitor`` compares them with the training data (KS / chi-squared
per feature, computed in Spark from histograms), computes accuracy from the labels in the
log, writes a metrics table and an HTML report. Then drifted customers are scored and
the next run flags the drift.
"""

from __future__ import annotations

import sys

from _common import local_home, train_churn_model

MODEL = "main.monitoring_example.churn_model"
CUSTOMERS = "main.monitoring_example.customers"
LOG = "main.monitoring_example.churn_inference_log"


def main() -> int:
    local_home()
    from databricks_mlops.datasets import generate_churn
    from databricks_mlops.deployment.batch import score_table
    from databricks_mlops.deployment.promotion import promote_challenger
    from databricks_mlops.models.deployment import BatchInferenceConfig
    from databricks_mlops.models.monitoring import AlertConfig, DriftConfig, MonitoringConfig
    from databricks_mlops.monitoring import ModelMonitor
    from databricks_mlops.runtime import get_runtime
    from databricks_mlops.utils.auth import WorkspaceConfig

    runtime = get_runtime()
    runtime.configure_mlflow()
    train_churn_model(MODEL)
    promote_challenger(MODEL)

    def score(variant: str, seed: int) -> None:
        """This month's customers -> the inference log (features, label, prediction)."""
        frame = generate_churn(3000, seed, variant=variant)  # type: ignore[arg-type]
        frame["scored_batch"] = variant
        writer = runtime.spark.createDataFrame(frame).write.format("delta").mode("overwrite")
        runtime.save_table(writer, CUSTOMERS)
        score_table(
            runtime,
            BatchInferenceConfig(
                model_name=MODEL,
                input_table=CUSTOMERS,
                output_table=LOG,
                key_columns=["customer_id"],
                timestamp_column="event_date",
                keep_columns=["tenure", "monthly_charges", "contract_type", "churn"],
            ),
        )

    # The reference: the distribution the model was trained on (a Delta table).
    reference = runtime.spark.createDataFrame(generate_churn(3000, 7))
    runtime.save_table(
        reference.write.format("delta").mode("overwrite"), "main.monitoring_example.training"
    )

    # The seed's example, with the tables of this run.
    config = MonitoringConfig(
        model_name=MODEL,
        reference_dataset="main.monitoring_example.training",
        inference_table=LOG,
        label_column="churn",
        probability_column="probability",
        metrics=["accuracy", "f1_score", "precision", "recall"],
        feature_drift=DriftConfig(
            features=["tenure", "monthly_charges", "contract_type"],
            drift_methods=["ks_test"],
            threshold=0.05,
        ),
        alerts=AlertConfig(thresholds={"accuracy": 0.6, "drift_score": 0.10}),
        schedule="0 */6 * * *",  # every 6 hours
    )
    monitor = ModelMonitor(workspace=WorkspaceConfig())  # no host: local

    score("reference", seed=9)  # same distribution as training
    monitoring_job = monitor.setup_monitoring(config=config)
    calm = monitor.run(config)
    status = monitor.get_status(model_name=MODEL)
    print(f"Monitoring job: {monitoring_job.job_id}")
    print(f"Last run status: {status.last_run_status}")
    print(f"Current drift score: {status.metrics.drift_score:.4f}")
    print(f"same distribution: drifting {calm.drift.drifting_features if calm.drift else '-'}")

    score("current", seed=10)  # drifted customers: shorter tenure, new price levels
    drifted = monitor.run(config)
    drifting = drifted.drift.drifting_features if drifted.drift else []
    print(f"drifted batch: drifting {drifting}, drift score {drifted.drift_score:.4f}")
    for feature in drifted.drift.features if drifted.drift else []:
        print(
            f"  {feature.feature:>16} {feature.method:<12} score {feature.score:.4f} "
            f"p {feature.p_value if feature.p_value is not None else float('nan'):.2e} "
            f"{'DRIFT' if feature.drifting else 'ok'}"
        )
    print(f"report: {drifted.report_path}")
    print(f"breaches: {[breach.metric for breach in drifted.breaches]}")
    print(f"history: {monitor.history(MODEL).count()} metric rows")
    ok = not calm.drift_detected and drifted.drift_detected
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
