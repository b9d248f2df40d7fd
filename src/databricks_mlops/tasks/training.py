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
    from databricks_mlops.model_training import ModelTrainer
    from databricks_mlops.models.training import TrainingConfig

    return ModelTrainer(TrainingConfig.from_yaml(args.config, args.variables))


def run_train(
    trainer: ModelTrainer, *, config_file: str = "the training config", job_run_id: str = ""
) -> TrainingRun:
    """Train on the configured tables: raw rows (``source_table``) or labels joined to the
    feature table point in time (``label_table`` + ``feature_table``). With ``job_run_id``
    the MLflow run is tagged with it, for the job's evaluate and register tasks."""
    from databricks_mlops.errors import ConfigError
    from databricks_mlops.feature_engineering.point_in_time import point_in_time_join
    from databricks_mlops.feature_engineering.storage import load_state
    from databricks_mlops.runtime import get_runtime

    config = trainer.config
    runtime = get_runtime()
    state, version = None, None
    if config.feature_table:
        history = runtime.delta_table(config.feature_table).history(1).collect()
        version = int(history[0]["version"])
        state = load_state(runtime, config.feature_table, version=version)
    if config.source_table is not None:
        # Raw rows: the logged model applies the feature state itself (serves raw columns).
        run = trainer.train_from_frame(
            runtime.read_delta(config.source_table), state, feature_table_version=version
        )
    elif config.label_table is not None and config.feature_table and state is not None:
        if state.timestamp_column is None:
            raise ConfigError(
                f"{config_file}: label_table is joined point in time to {config.feature_table}, "
                "which has no event-time column; set timestamp_column in the feature config "
                "and rebuild the table, or train from source_table"
            )
        # Feature-table rows as of each label's time (no leakage from later rows).
        rows = point_in_time_join(
            runtime.read_delta(config.label_table),
            runtime.read_delta(config.feature_table, version=version),
            keys=state.primary_keys,
            label_timestamp=config.label_timestamp_column or state.timestamp_column,
            feature_timestamp=state.timestamp_column,
        )
        run = trainer.train_from_frame(
            rows, state, features_applied=True, feature_table_version=version
        )
    else:
        raise ConfigError(
            f"{config_file}: the train task needs source_table, "
            "or label_table together with feature_table"
        )
    if job_run_id:
        from databricks_mlops.model_training.run_lookup import tag_training_run

        tag_training_run(str(config.experiment_name), run.run_id, job_run_id)
    return run


def run_evaluate(trainer: ModelTrainer, run_id: str) -> GateVerdict:
    """Gates against thresholds and the champion; raises when they fail in ``block`` mode."""
    from databricks_mlops.model_training import EvaluationGateError

    verdict = trainer.evaluate(run_id)
    print(f"evaluate: run {run_id}\n{verdict.describe()}")
    if not verdict.passed and trainer.config.gate_mode == "block":
        failures = [check.describe() for check in verdict.failures]
        raise EvaluationGateError(
            f"candidate run {run_id} failed its gates: {'; '.join(failures)}",
            failures=failures,
            run_id=run_id,
        )
    return verdict


def run_register(trainer: ModelTrainer, run_id: str) -> ModelVersion:
    return trainer.register(run_id)


def train_main(argv: Sequence[str] | None = None) -> None:
    def body() -> None:
        args = parse_task_arguments("mlops-train", argv)
        run = run_train(_trainer(args), config_file=str(args.config), job_run_id=args.job_run_id)
        test = run.metrics_for("test")
        shown = ", ".join(f"{name} {value:.4f}" for name, value in sorted(test.items()))
        print(f"train: run {run.run_id}; test metrics: {shown}")

    run_task(body)


def training_run_id(args: TaskArguments, trainer: ModelTrainer) -> str:
    """``--run_id`` when given, else the run ``train`` logged in this job run."""
    from databricks_mlops.errors import ConfigError
    from databricks_mlops.model_training.run_lookup import find_training_run

    run_id = args.variables.pop("run_id", "")
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


def evaluate_main(argv: Sequence[str] | None = None) -> None:
    def body() -> None:
        args = parse_task_arguments("mlops-evaluate", argv)
        trainer = _trainer(args)
        run_evaluate(trainer, training_run_id(args, trainer))

    run_task(body)


def register_main(argv: Sequence[str] | None = None) -> None:
    def body() -> None:
        args = parse_task_arguments("mlops-register", argv)
        trainer = _trainer(args)
        run_id = training_run_id(args, trainer)
        version = run_register(trainer, run_id)
        print(
            f"register: {trainer.config.registry_model_name} version {version.version} "
            f"is @challenger (from run {run_id})"
        )

    run_task(body)
