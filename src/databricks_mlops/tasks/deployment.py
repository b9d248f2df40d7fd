"""Entry points of the model_deployment job (promote -> deploy -> smoke test) and of
batch_inference (score)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from databricks_mlops.tasks.arguments import parse_task_arguments, run_task

if TYPE_CHECKING:
    from databricks_mlops.config.deployment import DeploymentConfig
    from databricks_mlops.config.workspace import WorkspaceConfig
    from databricks_mlops.deployment import Endpoint
    from databricks_mlops.deployment.promotion import Promotion
    from databricks_mlops.serving_client import PredictionResponse


def run_promote(config: DeploymentConfig) -> Promotion:
    """The promote stage (also called by ``MLOpsWorkflow``): @challenger -> @champion."""
    from databricks_mlops.deployment.promotion import promote_challenger
    from databricks_mlops.runtime import get_runtime

    get_runtime().configure_mlflow()
    promoted = promote_challenger(config.model_name)
    return promoted


def promote_main(argv: Sequence[str] | None = None, *, prog: str = "mlops-promote") -> None:
    def body() -> None:
        from databricks_mlops.config.deployment import DeploymentConfig

        args = parse_task_arguments(prog, argv)
        config = DeploymentConfig.from_yaml(args.config, args.variables)
        promoted = run_promote(config)
        if promoted.changed:
            print(
                f"promote: {config.model_name} version {promoted.champion_version} is @champion "
                f"(previous champion: {promoted.previous_champion or 'none'})"
            )
        else:
            print(f"promote: version {promoted.champion_version} already is @champion")

    run_task(body)


def run_deploy(config: DeploymentConfig, workspace: WorkspaceConfig | None = None) -> Endpoint:
    """The deploy stage (also called by ``MLOpsWorkflow``): blue/green to the endpoint."""
    from databricks_mlops.deployment import ModelDeployer

    endpoint = ModelDeployer(workspace).deploy_model(config)
    return endpoint


def _version_text(endpoint: Endpoint) -> str:
    """The main version as task-value text ("" when nothing is served)."""
    main = endpoint.main_served
    return main.version if main is not None else ""


def deploy_main(argv: Sequence[str] | None = None, *, prog: str = "mlops-deploy") -> None:
    """``mlops-deploy``: put the configured version (``@champion``) behind the endpoint."""

    def body() -> None:
        from databricks_mlops.config.deployment import DeploymentConfig

        args = parse_task_arguments(prog, argv)
        config = DeploymentConfig.from_yaml(args.config, args.variables)
        endpoint = run_deploy(config)
        print(
            f"deploy: {config.model_name} version {_version_text(endpoint)} serves at "
            f"{endpoint.name} ({endpoint.url}, {endpoint.state}, {endpoint.backend}, "
            f"{config.environment})"
        )

    run_task(body)


def run_smoke_test(config: DeploymentConfig) -> PredictionResponse:
    """The smoke-test stage (``deployment.smoke.smoke_test_endpoint``)."""
    from databricks_mlops.deployment.smoke import smoke_test_endpoint

    return smoke_test_endpoint(config)


def smoke_test_main(argv: Sequence[str] | None = None, *, prog: str = "mlops-smoke-test") -> None:
    """``mlops-smoke-test``: the last task of model_deployment."""

    def body() -> None:
        from databricks_mlops.config.deployment import DeploymentConfig

        args = parse_task_arguments(prog, argv)
        config = DeploymentConfig.from_yaml(args.config, args.variables)
        response = run_smoke_test(config)
        columns = ", ".join(
            f"{column} {values[:3]}" for column, values in response.predictions.items()
        )
        print(
            f"smoke_test: {response.metadata.rows} rows answered by version "
            f"{response.metadata.model_version or '?'} in {response.metadata.latency_ms:.0f} ms; "
            f"{columns}"
        )

    run_task(body)


def score_main(argv: Sequence[str] | None = None, *, prog: str = "mlops-score") -> None:
    """``mlops-score``: the batch_inference job."""

    def body() -> None:
        from databricks_mlops.config.deployment import BatchInferenceConfig
        from databricks_mlops.deployment.batch import score_table
        from databricks_mlops.runtime import get_runtime

        args = parse_task_arguments(prog, argv)
        config = BatchInferenceConfig.from_yaml(args.config, args.variables)
        scoring = score_table(get_runtime(), config)
        print(
            f"score: {scoring.rows_scored} rows of {config.input_table} scored with "
            f"{scoring.model_uri} into {scoring.log_table} (version {scoring.log_version})"
        )

    run_task(body)
