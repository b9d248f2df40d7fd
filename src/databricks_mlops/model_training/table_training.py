"""Training on the configured tables: the rows a training run learns from, assembled from
``source_table`` (raw rows; the logged model applies the feature state itself) or from
``label_table`` joined point in time to ``feature_table``, then the run."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from databricks_mlops.model_training.trainer import ModelTrainer, TrainingRun


def train_on_tables(
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
        history = runtime.delta_history(config.feature_table, 1).collect()
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
