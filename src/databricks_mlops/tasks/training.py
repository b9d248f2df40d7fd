"""``mlops-train`` / ``mlops-evaluate`` / ``mlops-register``: the model_training job.

Every task gets ``--job_run_id={{job.run_id}}``. ``train`` tags its MLflow run with it and
``evaluate`` / ``register`` find the run by that tag (``model_training.run_lookup``):
Databricks drops task values set from a python_wheel_task, so ``{{tasks.train.values.run_id}}``
would reach them as literal text. An explicit ``--run_id=<MLflow run id>`` still works for a
run by hand. ``run_train`` / ``run_evaluate`` / ``run_register`` are the stages themselves;
``MLOpsWorkflow`` calls them too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from databricks_mlops.tasks.arguments import TaskArguments, parse_task_arguments, run_task

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion

    from databricks_mlops.model_training import GateVerdict, ModelTrainer, TrainingRun


def _trainer(args: TaskArguments) -> ModelTrainer:
    from databricks_mlops.config.training import TrainingConfig
    from databricks_mlops.model_training import ModelTrainer

    return ModelTrainer(TrainingConfig.from_yaml(args.config, args.variables))


def run_train(
    trainer: ModelTrainer, *, config_file: str = "the training config", job_run_id: str = ""
) -> TrainingRun:
    """The train stage (``model_training.table_training.train_on_tables``)."""
    from databricks_mlops.model_training.table_training import train_on_tables

    return train_on_tables(trainer, config_file=config_file, job_run_id=job_run_id)


def run_evaluate(trainer: ModelTrainer, run_id: str) -> GateVerdict:
    """Gates against thresholds and the champion; raises when they fail in ``block`` mode."""
    verdict = trainer.evaluate(run_id)
    print(f"evaluate: run {run_id}\n{verdict.describe()}")
    return trainer.enforce_gates(verdict, run_id)


def run_register(trainer: ModelTrainer, run_id: str) -> ModelVersion:
    return trainer.register(run_id)


def train_main(argv: Sequence[str] | None = None, *, prog: str = "mlops-train") -> None:
    def body() -> None:
        args = parse_task_arguments(prog, argv)
        run = run_train(_trainer(args), config_file=str(args.config), job_run_id=args.job_run_id)
        test = run.metrics_for("test")
        shown = ", ".join(f"{name} {value:.4f}" for name, value in sorted(test.items()))
        print(f"train: run {run.run_id}; test metrics: {shown}")

    run_task(body)


def training_run_id(args: TaskArguments, trainer: ModelTrainer) -> str:
    """``--run_id`` when given, else the run ``train`` logged in this job run."""
    from databricks_mlops.errors import ConfigError
    from databricks_mlops.model_training.run_lookup import find_training_run

    run_id = args.options["run_id"]
    if "{{" in run_id:
        raise ConfigError(
            f"--run_id={run_id} is an unresolved dynamic value reference: Databricks leaves a "
            "task value set from a python_wheel_task as literal text; pass "
            "--job_run_id={{job.run_id}} instead (the run is found by its tag)"
        )
    if run_id:
        return run_id
    if args.job_run_id:
        return find_training_run(str(trainer.config.experiment_name), args.job_run_id)
    raise ConfigError(
        "no training run: pass --job_run_id={{job.run_id}} (the job's tasks do) or "
        "--run_id=<MLflow run id>"
    )


def evaluate_main(argv: Sequence[str] | None = None, *, prog: str = "mlops-evaluate") -> None:
    def body() -> None:
        args = parse_task_arguments(prog, argv, options=("run_id",))
        trainer = _trainer(args)
        run_evaluate(trainer, training_run_id(args, trainer))

    run_task(body)


def register_main(argv: Sequence[str] | None = None, *, prog: str = "mlops-register") -> None:
    def body() -> None:
        args = parse_task_arguments(prog, argv, options=("run_id",))
        trainer = _trainer(args)
        run_id = training_run_id(args, trainer)
        version = run_register(trainer, run_id)
        print(
            f"register: {trainer.config.registry_model_name} version {version.version} "
            f"is @challenger (from run {run_id})"
        )

    run_task(body)
