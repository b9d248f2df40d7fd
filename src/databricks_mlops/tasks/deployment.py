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
    """Query the live endpoint by name the way its clients will (``ModelClient``), with
    rows from the served version's input example; fail on errors, a wrong row count or
    a latency above ``rollout.smoke_test.max_latency_ms``."""
    from databricks_mlops.config.serving import AuthConfig, AuthType, ClientConfig
    from databricks_mlops.deployment import ModelDeployer
    from databricks_mlops.deployment.errors import SmokeTestError, require_serving
    from databricks_mlops.deployment.smoke import smoke_rows
    from databricks_mlops.serving_client import ModelClient

    serving = require_serving(config)
    name = serving.endpoint_name
    deployer = ModelDeployer()
    endpoint = deployer.get(name)
    if endpoint is None or endpoint.state != "READY":
        state = "does not exist" if endpoint is None else f"is {endpoint.state}"
        raise SmokeTestError(f"endpoint {name} {state}: run the deploy task first")
    main = endpoint.main_served
    if main is None:
        raise SmokeTestError(f"endpoint {name} serves no model version: run the deploy task first")
    rows = smoke_rows(f"models:/{main.model_name}/{main.version}", serving.rollout.smoke_test.rows)
    if deployer.kind == "local":
        # Any loopback URL: the client finds the endpoint in the local registry by name.
        client_config = ClientConfig(
            workspace_url="http://127.0.0.1", auth=AuthConfig(auth_type=AuthType.NONE)
        )
    else:
        host = endpoint.url.split("/serving-endpoints/")[0]
        client_config = ClientConfig(
            workspace_url=host, auth=AuthConfig(auth_type=AuthType.DEFAULT)
        )
    with ModelClient(client_config) as client:
        response = client.predict(name, rows)
    answered = len(next(iter(response.predictions.values()), []))
    if answered != len(rows):
        raise SmokeTestError(
            f"endpoint {name} answered {answered} predictions for {len(rows)} rows"
        )
    limit = serving.rollout.smoke_test.max_latency_ms
    if limit is not None and response.metadata.latency_ms > limit:
        raise SmokeTestError(
            f"endpoint {name} took {response.metadata.latency_ms:.0f} ms, above "
            f"serving.rollout.smoke_test.max_latency_ms={limit:g}"
        )
    return response


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
