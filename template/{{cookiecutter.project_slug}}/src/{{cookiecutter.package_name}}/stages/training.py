"""The model_training job: ``train`` -> ``evaluate`` -> ``register`` (configs/training.yml).

Every task gets ``--job_run_id={% raw %}{{job.run_id}}{% endraw %}``: train tags its MLflow run
with it and evaluate / register find the run by that tag. (A task value set from a
python_wheel_task never reaches the next task on Databricks.) ``--run_id=<MLflow run id>``
evaluates or registers a given run by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from databricks_mlops.tasks.arguments import TaskArguments, parse_task_arguments, run_task

if TYPE_CHECKING:
    from databricks_mlops.model_training import ModelTrainer


def _trainer(args: TaskArguments) -> ModelTrainer:
    from databricks_mlops.model_training import ModelTrainer
    from databricks_mlops.models.training import TrainingConfig

    return ModelTrainer(TrainingConfig.from_yaml(args.config, args.variables))


def train(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-train``: one MLflow run with the model from models.py."""

    def body() -> None:
        from databricks_mlops.tasks.training import run_train

        args = parse_task_arguments("{{ cookiecutter.project_slug }}-train", argv)
        run = run_train(_trainer(args), config_file=str(args.config), job_run_id=args.job_run_id)
        metrics = ", ".join(f"{k} {v:.4f}" for k, v in sorted(run.metrics_for("test").items()))
        print(f"train: MLflow run {run.run_id}; test metrics: {metrics}")

    run_task(body)


def evaluate(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-evaluate``: the gates (thresholds, the current champion)."""

    def body() -> None:
        from databricks_mlops.tasks.training import run_evaluate, training_run_id

        args = parse_task_arguments("{{ cookiecutter.project_slug }}-evaluate", argv)
        trainer = _trainer(args)
        run_evaluate(trainer, training_run_id(args, trainer))

    run_task(body)


def register(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-register``: the run's model becomes ``@challenger``."""

    def body() -> None:
        from databricks_mlops.tasks.training import run_register, training_run_id

        args = parse_task_arguments("{{ cookiecutter.project_slug }}-register", argv)
        trainer = _trainer(args)
        run_id = training_run_id(args, trainer)
        version = run_register(trainer, run_id)
        name = trainer.config.registry_model_name
        print(f"register: {name} version {version.version} is @challenger")

    run_task(body)
