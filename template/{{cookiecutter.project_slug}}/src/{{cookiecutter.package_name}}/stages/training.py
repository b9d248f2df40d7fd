"""The model_training job: ``train`` -> ``evaluate`` -> ``register`` (configs/training.yml).

Every task gets ``--job_run_id``: train tags its MLflow run with it and evaluate / register
find the run by that tag; ``--run_id=<MLflow run id>`` evaluates or registers a run by hand.
"""

from __future__ import annotations

from collections.abc import Sequence

from databricks_mlops.tasks import training as training_tasks


def train(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-train``: one MLflow run with the estimator configs/training.yml names."""
    training_tasks.train_main(argv, prog="{{ cookiecutter.project_slug }}-train")


def evaluate(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-evaluate``: the gates (thresholds, the current champion)."""
    training_tasks.evaluate_main(argv, prog="{{ cookiecutter.project_slug }}-evaluate")


def register(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-register``: the run's model becomes ``@challenger``."""
    training_tasks.register_main(argv, prog="{{ cookiecutter.project_slug }}-register")
