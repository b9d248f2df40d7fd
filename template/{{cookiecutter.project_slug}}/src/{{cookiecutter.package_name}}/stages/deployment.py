{%- if cookiecutter.include_serving_endpoint == "yes" -%}
"""The model_deployment job: ``promote`` -> ``deploy`` -> ``smoke_test`` (configs/deployment.yml)."""
{%- else -%}
"""The model_deployment job: ``promote`` (configs/deployment.yml)."""
{%- endif %}

from __future__ import annotations

from collections.abc import Sequence

from databricks_mlops.tasks import deployment as deployment_tasks


def promote(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-promote``: ``@challenger`` becomes ``@champion`` if its gates passed."""
    deployment_tasks.promote_main(argv, prog="{{ cookiecutter.project_slug }}-promote")
{%- if cookiecutter.include_serving_endpoint == "yes" %}


def deploy(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-deploy``: the champion onto the endpoint, blue/green; a failed
    traffic step's smoke test puts traffic back on the old version."""
    deployment_tasks.deploy_main(argv, prog="{{ cookiecutter.project_slug }}-deploy")


def smoke_test(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-smoke-test``: sample rows on the endpoint; a failure fails the job
    (roll back with ``databricks-mlops endpoints rollback <endpoint>``)."""
    deployment_tasks.smoke_test_main(argv, prog="{{ cookiecutter.project_slug }}-smoke-test")
{%- endif %}
