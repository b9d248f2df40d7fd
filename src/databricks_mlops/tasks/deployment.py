"""Entry points of the model_deployment job (promote -> deploy -> smoke test) and of
batch_inference (score)."""

from __future__ import annotations

from collections.abc import Sequence

from databricks_mlops.tasks.arguments import parse_task_arguments, run_task


def promote_main(argv: Sequence[str] | None = None) -> None:
    def body() -> None:
        from databricks_mlops.deployment.promotion import promote_challenger
        from databricks_mlops.models.deployment import DeploymentConfig
        from databricks_mlops.runtime import get_runtime
        from databricks_mlops.runtime.task_values import set_task_value

        args = parse_task_arguments("mlops-promote", argv)
        config = DeploymentConfig.from_yaml(args.config, args.variables)
        get_runtime().configure_mlflow()
        promoted = promote_challenger(config.model_name)
        set_task_value("champion_version", promoted.champion_version)
        if promoted.changed:
            print(
                f"promote: {config.model_name} version {promoted.champion_version} is @champion "
                f"(previous champion: {promoted.previous_champion or 'none'})"
            )
        else:
            print(f"promote: version {promoted.champion_version} already is @champion")

    run_task(body)


def deploy_main(argv: Sequence[str] | None = None) -> None:
    """``mlops-deploy``: put the configured version (``@champion``) behind the endpoint."""

    def body() -> None:
        from databricks_mlops.deployment import ModelDeployer
        from databricks_mlops.models.deployment import DeploymentConfig
        from databricks_mlops.runtime.task_values import set_task_value

        args = parse_task_arguments("mlops-deploy", argv)
        config = DeploymentConfig.from_yaml(args.config, args.variables)
        endpoint = ModelDeployer().deploy_model(config)
        # The version answering all requests after the rollout (the new one, unless a
        # backend kept a split on purpose).
        served = max(endpoint.served, key=lambda item: item.traffic_percent, default=None)
        served_version = served.version if served is not None else ""
        set_task_value("endpoint_name", endpoint.name)
        set_task_value("endpoint_url", endpoint.url)
        set_task_value("served_version", served_version)
        print(
            f"deploy: {config.model_name} version {served_version} serves at {endpoint.name} "
            f"({endpoint.url}, {endpoint.state}, {endpoint.backend}, {config.environment})"
        )

    run_task(body)


def score_main(argv: Sequence[str] | None = None) -> None:
    """``mlops-score``: the batch_inference job."""

    def body() -> None:
        from databricks_mlops.deployment.batch import score_table
        from databricks_mlops.models.deployment import BatchInferenceConfig
        from databricks_mlops.runtime import get_runtime
        from databricks_mlops.runtime.task_values import set_task_value

        args = parse_task_arguments("mlops-score", argv)
        config = BatchInferenceConfig.from_yaml(args.config, args.variables)
        scoring = score_table(get_runtime(), config)
        set_task_value("rows_scored", scoring.rows_scored)
        set_task_value("model_version", scoring.model_version)
        print(
            f"score: {scoring.rows_scored} rows of {config.input_table} scored with "
            f"{scoring.model_uri} into {scoring.log_table} (version {scoring.log_version})"
        )

    run_task(body)
