{%- if cookiecutter.include_serving_endpoint == "yes" -%}
"""The model_deployment job: ``promote`` -> ``deploy`` -> ``smoke_test``.

Config: configs/deployment.yml.
"""
{%- else -%}
"""The model_deployment job: ``promote`` (configs/deployment.yml)."""
{%- endif %}

from __future__ import annotations

from collections.abc import Sequence

from databricks_mlops.tasks.arguments import parse_task_arguments, run_task


def promote(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-promote``: ``@challenger`` becomes ``@champion``
    when its gates passed."""

    def body() -> None:
        from databricks_mlops.deployment.promotion import promote_challenger
        from databricks_mlops.models.deployment import DeploymentConfig
        from databricks_mlops.runtime import get_runtime

        args = parse_task_arguments("{{ cookiecutter.project_slug }}-promote", argv)
        config = DeploymentConfig.from_yaml(args.config, args.variables)
        get_runtime().configure_mlflow()
        promoted = promote_challenger(config.model_name)
        print(f"promote: {config.model_name} version {promoted.champion_version} is @champion")

    run_task(body)
{%- if cookiecutter.include_serving_endpoint == "yes" %}


def deploy(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-deploy``: the champion onto the serving endpoint.

    The rollout (blue/green traffic shift, waiting for the new version to be ready) is
    databricks-mlops' deploy task; put project-specific steps before or after it here.
    """
    from databricks_mlops.tasks.deployment import deploy_main

    deploy_main(argv)


def smoke_test(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-smoke-test``: score sample rows on the endpoint; a failure
    fails the task (and the job): traffic stays where deploy left it, roll it back with
    ``databricks-mlops endpoints rollback <endpoint>``. The rollout itself (deploy) already
    smoke-tests each traffic step and puts traffic back on the old version when one fails."""
    from databricks_mlops.tasks.deployment import smoke_test_main

    smoke_test_main(argv)
{%- endif %}
