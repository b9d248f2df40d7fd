"""The model_training job: ``train`` -> ``evaluate`` -> ``register`` (configs/training.yml).

The MLflow run id travels from train to the next tasks as a task value
(``{% raw %}{{tasks.train.values.run_id}}{% endraw %}``), on Databricks and locally alike.
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


def _run_id(args: TaskArguments) -> str:
    from databricks_mlops.errors import ConfigError

    run_id = args.variables.pop("run_id", "")
    if not run_id:
        raise ConfigError("no training run: pass --run_id={% raw %}{{tasks.train.values.run_id}}{% endraw %}")
    return run_id


def train(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-train``: one MLflow run with the model from models.py."""

    def body() -> None:
        from databricks_mlops.tasks.training import run_train

        args = parse_task_arguments("{{ cookiecutter.project_slug }}-train", argv)
        run = run_train(_trainer(args), config_file=str(args.config))
        metrics = ", ".join(f"{k} {v:.4f}" for k, v in sorted(run.metrics_for("test").items()))
        print(f"train: MLflow run {run.run_id}; test metrics: {metrics}")

    run_task(body)


def evaluate(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-evaluate``: the gates (thresholds, the current champion)."""

    def body() -> None:
        from databricks_mlops.tasks.training import run_evaluate

        args = parse_task_arguments("{{ cookiecutter.project_slug }}-evaluate", argv)
        run_id = _run_id(args)
        run_evaluate(_trainer(args), run_id)

    run_task(body)


def register(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-register``: the run's model becomes ``@challenger``."""

    def body() -> None:
        from databricks_mlops.tasks.training import run_register

        args = parse_task_arguments("{{ cookiecutter.project_slug }}-register", argv)
        run_id = _run_id(args)
        trainer = _trainer(args)
        version = run_register(trainer, run_id)
        name = trainer.config.registry_model_name
        print(f"register: {name} version {version.version} is @challenger")

    run_task(body)
