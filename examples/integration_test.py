"""Component interactions, checked: the pieces agree with each other across backends.

Run: ``python examples/integration_test.py`` (exit 1 if any check fails)

1. the same rules give the same verdicts on Spark and on pandas;
2. feature transforms fitted on Spark give the same values on pandas (what a served
   model applies to raw request rows);
3. the registered model scores identically in-process (pyfunc) and distributed
   (``spark_udf`` batch inference into the inference log);
4. drift computed in Spark flags the drifted sample and not a fresh reference sample;
5. an alert for that drift reaches a JSON webhook receiver on 127.0.0.1, and the same
   breach is not sent twice inside the aggregation window.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from _common import local_home, train_churn_model

CHECKS: list[tuple[str, bool]] = []


def check(name: str, ok: bool) -> None:
    CHECKS.append((name, ok))
    print(f"{'PASS' if ok else 'FAIL'}  {name}")


def main() -> int:
    local_home()
    import numpy as np

    from databricks_mlops.datasets import generate_churn
    from databricks_mlops.deployment.batch import score_table
    from databricks_mlops.deployment.promotion import promote_challenger
    from databricks_mlops.feature_engineering import FeatureTransformer
    from databricks_mlops.models.alerting import AlertConfig
    from databricks_mlops.models.deployment import BatchInferenceConfig
    from databricks_mlops.models.features import FeatureConfig
    from databricks_mlops.models.monitoring import DriftConfig
    from databricks_mlops.models.validation import ValidationRule
    from databricks_mlops.monitoring import compute_drift
    from databricks_mlops.monitoring.alerts import AlertDispatcher, Breach
    from databricks_mlops.runtime import get_runtime
    from databricks_mlops.utils.data_validation import DataValidator

    runtime = get_runtime()
    spark = runtime.spark
    customers = generate_churn(4000, 1)
    frame = spark.createDataFrame(customers)

    rules = [
        ValidationRule(name="email", condition="email.str.contains('@') or email is null"),
        ValidationRule(name="adult", condition="age >= 18 or guardian_email is not null"),
        ValidationRule(name="charges", condition="total_charges >= monthly_charges or tenure <= 1"),
        ValidationRule(name="contract", condition="contract_type in ['Month-to-month', 'One year', 'Two year']"),
    ]  # fmt: skip
    on_spark = DataValidator(rules=rules).validate(frame)
    on_pandas = DataValidator(rules=rules).validate(customers)
    counts = [(r.name, r.failed_count) for r in on_spark.rule_results]
    check(
        f"validation verdicts agree on Spark and pandas {counts}",
        counts == [(r.name, r.failed_count) for r in on_pandas.rule_results],
    )

    transformer = FeatureTransformer(
        FeatureConfig.model_validate(
            {
                "feature_table_name": "main.integration.features",
                "primary_keys": ["customer_id"],
                "timestamp_column": "event_date",
                "feature_transformations": {
                    "total_charges": {"type": "numeric_fillna", "strategy": "median"},
                    "monthly_scaled": {
                        "type": "scaling",
                        "source_column": "monthly_charges",
                    },
                },
            }
        )
    )
    transformer.fit(frame)
    spark_values = transformer.transform(frame).orderBy("customer_id").toPandas()
    pandas_values = transformer.transform(customers).sort_values("customer_id")
    same = all(
        np.allclose(
            spark_values[c].to_numpy(float), pandas_values[c].to_numpy(float), equal_nan=True
        )
        for c in ("total_charges", "monthly_scaled")
    )
    check("fitted transforms give the same values on Spark and pandas", same)

    import mlflow

    model = "main.integration.churn_model"
    train_churn_model(model)
    promote_challenger(model)
    runtime.save_table(frame.write.format("delta").mode("overwrite"), "main.integration.customers")
    score_table(
        runtime,
        BatchInferenceConfig(
            model_name=model,
            input_table="main.integration.customers",
            output_table="main.integration.inference_log",
            key_columns=["customer_id"],
        ),
    )
    logged = runtime.read_delta("main.integration.inference_log").orderBy("customer_id").toPandas()
    direct = mlflow.pyfunc.load_model(f"models:/{model}@champion").predict(
        customers.sort_values("customer_id").reset_index(drop=True)
    )
    check(
        f"spark_udf batch scores equal in-process pyfunc scores ({len(logged)} rows)",
        len(logged) == len(customers)
        and np.allclose(
            logged["probability"].to_numpy(float), direct["probability"].to_numpy(float)
        ),
    )

    config = DriftConfig(features=["tenure", "monthly_charges", "contract_type"], threshold=0.05)
    fresh = compute_drift(frame, spark.createDataFrame(generate_churn(4000, 9)), config)
    drifted = compute_drift(
        frame, spark.createDataFrame(generate_churn(4000, 2, variant="current")), config
    )
    check(
        f"no drift on a fresh sample of the same distribution {fresh.drifting_features}",
        not fresh.drift_detected,
    )
    check(
        f"drift flagged on the drifted sample {drifted.drifting_features}", drifted.drift_detected
    )

    received: list[dict[str, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/alerts"
    alerts = AlertConfig.model_validate(
        {"notification_channels": [{"type": "webhook", "url": url}]}
    )
    breaches = [
        Breach(
            metric=f"drift:{f.feature}",
            value=f.score,
            threshold=f.threshold,
            direction="above",
            feature=f.feature,
        )
        for f in drifted.features
        if f.drifting
    ]
    dispatcher = AlertDispatcher(
        alerts, model_name=model, state_path=Path(tempfile.mkdtemp()) / "alerts.json"
    )
    first = dispatcher.notify(breaches, summary="drift on the integration sample")
    again = dispatcher.notify(breaches)
    server.shutdown()
    check(
        f"alert delivered once ({len(received)} POST), repeat suppressed ({len(again.suppressed)})",
        first.delivered
        and len(received) == 1
        and not again.sent
        and len(again.suppressed) == len(breaches),
    )
    failed = [name for name, ok in CHECKS if not ok]
    print(f"{len(CHECKS) - len(failed)} of {len(CHECKS)} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
