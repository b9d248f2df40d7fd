"""The product description's YAML reference and Python examples are our public contract."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from databricks_mlops.models.config import (
    CONFIG_KINDS,
    DataConfig,
    DeploymentConfig,
    FeatureConfig,
    MonitoringConfig,
    PipelineConfig,
    TrainingConfig,
    TransformationType,
)
from databricks_mlops.models.deployment import ServingConfig
from databricks_mlops.models.features import Binning, NumericFillna, OneHotEncode, Scaling
from databricks_mlops.models.monitoring import AlertConfig, DriftConfig, SlackChannel
from databricks_mlops.models.serving import AuthConfig, AuthType, ClientConfig
from databricks_mlops.models.training import ModelType
from databricks_mlops.models.validation import Severity, ValidationRule
from pydantic import ValidationError

from databricks_mlops.utils.auth import WorkspaceConfig

EXAMPLES = Path(__file__).parent / "seed_examples"


SEED_KINDS = ["data", "deployment", "feature", "monitoring", "pipeline", "training"]


def test_the_seed_reference_has_six_examples() -> None:
    assert sorted(p.stem for p in EXAMPLES.glob("*.yml")) == SEED_KINDS


@pytest.mark.parametrize("kind", SEED_KINDS)
def test_every_seed_yaml_example_loads(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/X")
    config = CONFIG_KINDS[kind].from_yaml(EXAMPLES / f"{kind}.yml")
    assert type(config) is CONFIG_KINDS[kind]


def test_data_example_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATA_ENV", raising=False)
    monkeypatch.setenv("REGION", "eu-central")
    config = DataConfig.from_yaml(EXAMPLES / "data.yml")
    assert config.format == "delta"
    assert config.validation_rules[1].severity is Severity.WARNING
    assert [step.type for step in config.transformation_steps] == ["drop_columns", "rename_columns"]
    # ${DATA_ENV:-production} falls back to its default; ${REGION:-us-west} takes the env value.
    assert config.environment_vars == {"DATA_ENV": "production", "REGION": "eu-central"}


def test_feature_example_values() -> None:
    config = FeatureConfig.from_yaml(EXAMPLES / "feature.yml")
    contract = config.feature_transformations["contract_type"]
    assert isinstance(contract, OneHotEncode)
    assert contract.output_columns == ["contract_monthly", "contract_yearly", "contract_quarterly"]
    assert isinstance(config.feature_transformations["monthly_charges"], Scaling)
    assert config.online_store_enabled is True


def test_monitoring_example_secret_is_resolved_and_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/SECRET")
    config = MonitoringConfig.from_yaml(EXAMPLES / "monitoring.yml")
    assert config.alerting is not None
    slack = config.alerting.notification_channels[1]
    assert isinstance(slack, SlackChannel)
    assert slack.webhook.get_secret_value().endswith("SECRET")
    assert "SECRET" not in repr(config)
    assert "SECRET" not in str(config.model_dump())
    assert config.alerting.aggregation_seconds == 3600
    assert config.data_drift_detection is not None
    assert config.data_drift_detection.drift_methods == ["ks_test"]


def test_pipeline_example_schedule_in_quartz_form() -> None:
    config = PipelineConfig.from_yaml(EXAMPLES / "pipeline.yml")
    assert config.schedule is not None
    assert config.schedule.quartz == "0 0 3 * * ?"


# -- the seed's Python examples, as written --------------------------------------------------


def test_seed_python_validation_rules() -> None:
    rule = ValidationRule(
        name="valid_email",
        condition="email.str.contains('@') or email is null",
        severity=Severity.WARNING,
        description="Email should be in valid format or null",
    )
    assert rule.severity is Severity.WARNING


def test_seed_python_data_config_with_bare_rule_strings() -> None:
    config = DataConfig(
        source_path="dbfs:/path/to/source",
        destination_path="dbfs:/path/to/destination",
        table_name="my_dataset",
        validation_rules=["column_count > 5", "customers.id is not null"],  # type: ignore[list-item]
    )
    assert [(r.name, r.condition, r.severity) for r in config.validation_rules] == [
        ("rule_1", "column_count > 5", Severity.ERROR),
        ("rule_2", "customers.id is not null", Severity.ERROR),
    ]


def test_seed_python_feature_config_aliases() -> None:
    config = FeatureConfig(  # type: ignore[call-arg]
        name="customer_features",
        primary_keys=["customer_id"],
        timestamp_column="event_date",
        transforms={
            "tenure_months": TransformationType.NUMERIC_FILLNA,
            "has_phone_service": TransformationType.BOOLEAN_ENCODE,
            "monthly_charges_bin": {
                "type": TransformationType.BINNING,
                "source_column": "monthly_charges",
                "bins": [0, 50, 100, 150, float("inf")],
                "labels": ["low", "medium", "high", "premium"],
            },
        },
    )
    assert config.feature_table_name == "customer_features"
    assert isinstance(config.feature_transformations["tenure_months"], NumericFillna)
    binning = config.feature_transformations["monthly_charges_bin"]
    assert isinstance(binning, Binning)
    assert math.isinf(binning.bins[-1])


def test_seed_python_training_config_aliases() -> None:
    config = TrainingConfig(  # type: ignore[call-arg]
        model_type=ModelType.CLASSIFICATION,
        model_name="customer_churn_predictor",
        target_column="churn",
        feature_columns=["tenure", "monthly_charges", "total_charges"],
        categorical_columns=["contract_type", "payment_method"],
        primary_metric="f1_score",
        additional_metrics=["accuracy", "precision", "recall"],
        hyperparameters={"n_estimators": 100, "max_depth": 10, "min_samples_split": 5},
    )
    assert config.registry_model_name == "customer_churn_predictor"
    assert config.metrics == ["accuracy", "precision", "recall"]
    assert config.experiment_name == "customer_churn_predictor"


def test_seed_python_deployment_config() -> None:
    config = DeploymentConfig(
        model_name="customer_churn_predictor",
        model_uri="models:/customer_churn_predictor/Staging",
        description="Predicts customer churn probability",
        serving=ServingConfig(
            endpoint_name="churn-predictor-endpoint",
            instance_type="Standard_DS3_v2",
            scale_to_zero_enabled=True,
            min_instances=1,
            max_instances=4,
        ),
        tags={"team": "customer_analytics", "use_case": "churn_prediction", "version": "1.0.0"},
    )
    assert config.serving is not None
    assert config.serving.max_instances == 4


def test_flat_deployment_keys_and_serving_block_mean_the_same() -> None:
    flat = DeploymentConfig.model_validate(
        {"model_name": "m", "model_version": "1", "endpoint_name": "e", "max_replicas": 5}
    )
    nested = DeploymentConfig.model_validate(
        {
            "model_name": "m",
            "model_version": "1",
            "serving": {"endpoint_name": "e", "max_instances": 5},
        }
    )
    assert flat == nested


def test_seed_python_monitoring_config(monkeypatch: pytest.MonkeyPatch) -> None:
    config = MonitoringConfig(  # type: ignore[call-arg]
        model_name="customer_churn_predictor",
        reference_dataset="dbfs:/reference/churn_baseline.delta",
        metrics=["accuracy", "f1_score", "precision", "recall"],
        feature_drift=DriftConfig(  # type: ignore[call-arg]
            features=["tenure", "monthly_charges", "total_charges"],
            drift_methods=["wasserstein", "ks_test"],
            threshold=0.05,
        ),
        alerts=AlertConfig(  # type: ignore[call-arg]
            email_recipients=["data-science@example.com"],
            slack_webhook="https://hooks.slack.com/services/XXX/YYY/ZZZ",
            thresholds={"accuracy": 0.85, "drift_score": 0.10},
        ),
        schedule="0 */6 * * *",
    )
    assert config.data_drift_detection is not None
    assert config.data_drift_detection.reference_dataset == "dbfs:/reference/churn_baseline.delta"
    assert config.alert_thresholds == {"accuracy": 0.85, "drift_score": 0.10}
    assert config.alerting is not None
    assert [c.type for c in config.alerting.notification_channels] == ["email", "slack"]


def test_seed_python_client_config_resolves_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-secret-123")
    config = ClientConfig(
        workspace_url="https://your-workspace.cloud.databricks.com",
        auth=AuthConfig(auth_type=AuthType.TOKEN, token="${DATABRICKS_TOKEN}"),  # type: ignore[arg-type]
        retry_config={"max_retries": 3, "backoff_factor": 0.5, "timeout_seconds": 30},  # type: ignore[arg-type]
    )
    assert config.auth.token is not None
    assert config.auth.token.get_secret_value() == "dapi-secret-123"
    assert "dapi-secret-123" not in repr(config)


def test_workspace_config_unset_token_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABRICKS_TOKEN", raising=False)
    with pytest.raises(ValidationError, match=r"\$\{DATABRICKS_TOKEN\} is not set"):
        WorkspaceConfig(host="https://x.cloud.databricks.com", token="${DATABRICKS_TOKEN}")  # type: ignore[arg-type]


def test_workspace_config_without_host_is_local() -> None:
    assert WorkspaceConfig().is_local
    with pytest.raises(ValidationError, match="must start with https://"):
        WorkspaceConfig(host="http://example.com")
