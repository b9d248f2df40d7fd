"""``ModelTrainer``: check → split → fit → log (MLflow 3) → evaluate (gates) → register.

Everything that can be wrong with the data, the estimator or its hyperparameters is
checked in :meth:`ModelTrainer.prepare`, before any MLflow run exists, so a bad config
leaves no empty runs behind. Registration comes last and is all-or-nothing.

Stage names of the documented API map to aliases (see :mod:`.registry`): ``Staging`` ->
``challenger``, ``Production`` -> ``champion``.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from databricks_mlops.config.training import ModelType, TrainingConfig
from databricks_mlops.model_training import data as training_data
from databricks_mlops.model_training.errors import EvaluationGateError, TrackingError
from databricks_mlops.model_training.estimators import (
    build_estimator,
    check_parameter_names,
    configure_estimator,
    set_estimator_params,
    with_categorical_encoding,
)
from databricks_mlops.model_training.fitting import concat_splits, fit_and_measure
from databricks_mlops.model_training.gates import GateVerdict

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion

    from databricks_mlops.feature_engineering import FittedFeatureState
    from databricks_mlops.runtime import Runtime

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedTraining:
    """Checked data and an unfitted estimator: what :meth:`ModelTrainer.fit_and_log` needs."""

    splits: training_data.DataSplits
    estimator: Any
    estimator_label: str
    hyperparameters: dict[str, Any]
    feature_state: FittedFeatureState | None
    features_applied: bool
    raw_columns: list[str]


@dataclass
class TrainingRun:
    """One logged training run. ``metrics`` are keyed ``validation_<m>``, ``test_<m>``,
    ``cv_<m>_mean`` / ``cv_<m>_std``; ``verdict`` is set by :meth:`ModelTrainer.evaluate`."""

    run_id: str
    model_uri: str
    estimator: Any
    metrics: dict[str, float]
    row_counts: dict[str, int]
    best_params: dict[str, Any] | None = None
    verdict: GateVerdict | None = None
    model_version: ModelVersion | None = field(default=None, repr=False)

    def metrics_for(self, split: str) -> dict[str, float]:
        """``metrics_for("test")`` -> ``{"f1_score": ..., ...}`` without the prefix."""
        prefix = f"{split}_"
        return {k[len(prefix) :]: v for k, v in self.metrics.items() if k.startswith(prefix)}


class ModelTrainer:
    """Trains, logs, evaluates and registers the model a :class:`TrainingConfig` describes.

    Pipeline API: :meth:`train_from_frame` (train + log) -> :meth:`evaluate` (gates vs
    thresholds and the champion) -> :meth:`register` (version + alias ``challenger``),
    or :meth:`run` for all three. Documented API: :meth:`train` / :meth:`register_model`.
    """

    def __init__(
        self,
        config: TrainingConfig,
        *,
        runtime: Runtime | None = None,
        extra_pip_requirements: list[str] | None = None,
        log_plots: bool = True,
    ) -> None:
        self.config = config
        self._runtime = runtime
        self.extra_pip_requirements = list(extra_pip_requirements or [])
        self.log_plots = log_plots
        self.last_run: TrainingRun | None = None

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            from databricks_mlops.runtime import get_runtime

            self._runtime = get_runtime()
        return self._runtime

    # --- pipeline API ---------------------------------------------------------------

    def prepare(
        self,
        data: Any,
        feature_state: FittedFeatureState | None = None,
        *,
        features_applied: bool = False,
        model_instance: Any | None = None,
    ) -> PreparedTraining:
        """Collect (sampling to ``max_training_rows``), check, transform and split the
        data and build the estimator; raises :class:`TrainingError` before any MLflow run.

        ``data`` is raw rows (the columns the feature state reads, plus the target) when
        ``feature_state`` is given and ``features_applied`` is False; with
        ``features_applied=True`` it already holds the state's outputs (a feature table).
        """
        config = self.config
        estimator, label, hyperparameters = self._estimator(model_instance)
        collected = training_data.collect(data, config.max_training_rows, config.seed)
        frame = collected.frame
        training_data.check_target(frame, config)
        features = training_data.model_features(
            frame, config, feature_state, features_applied=features_applied
        )
        raw_columns = (
            list(features.columns)
            if features_applied or feature_state is None
            else training_data.raw_input_columns(frame, config, feature_state)
        )
        splits = training_data.split(
            frame,
            features,
            config,
            input_rows=collected.input_rows,
            sampled=collected.sampled,
        )
        return PreparedTraining(
            splits=splits,
            estimator=with_categorical_encoding(estimator, config.categorical_columns),
            estimator_label=label,
            hyperparameters=hyperparameters,
            feature_state=feature_state,
            features_applied=features_applied,
            raw_columns=raw_columns,
        )

    def _estimator(self, model_instance: Any | None) -> tuple[Any, str, dict[str, Any]]:
        config = self.config
        if model_instance is not None:
            label = f"{type(model_instance).__module__}.{type(model_instance).__name__}"
            estimator = configure_estimator(
                label, model_instance, config.hyperparameters, config.seed
            )
        else:
            label = str(config.estimator)
            estimator = build_estimator(label, config.hyperparameters, config.seed)
        if config.tuning is not None:
            names = list(config.tuning.search_space)
            check_parameter_names(label, estimator, names, "tuning.search_space parameter")
        return estimator, label, dict(config.hyperparameters)

    def train_from_frame(
        self,
        data: Any,
        feature_state: FittedFeatureState | None = None,
        *,
        features_applied: bool = False,
        feature_table_version: int | None = None,
        model_instance: Any | None = None,
    ) -> TrainingRun:
        """Prepare (all checks first), then fit and log one MLflow run. No gates, no
        registration: call :meth:`evaluate` and :meth:`register` (or use :meth:`run`)."""
        prepared = self.prepare(
            data,
            feature_state,
            features_applied=features_applied,
            model_instance=model_instance,
        )
        return self.fit_and_log(prepared, feature_table_version=feature_table_version)

    def fit_and_log(
        self, prepared: PreparedTraining, *, feature_table_version: int | None = None
    ) -> TrainingRun:
        import mlflow

        from databricks_mlops.model_training import tracking

        config = self.config
        splits = prepared.splits
        tracking.ensure_experiment(self.runtime, str(config.experiment_name))
        with mlflow.start_run(run_name=config.run_name or None) as active:
            run_id = active.info.run_id
            hyperparameters = dict(prepared.hyperparameters)
            estimator = prepared.estimator
            best_params: dict[str, Any] | None = None
            if config.tuning is not None:
                from databricks_mlops.model_training.tuning import tune

                best_params = tune(config, estimator, splits)
                hyperparameters |= best_params
                estimator = set_estimator_params(estimator, best_params)
            mlflow.log_params(tracking.loggable_params(config, hyperparameters))
            mlflow.set_tags(
                tracking.lineage_tags(
                    config,
                    estimator_label=prepared.estimator_label,
                    row_counts=splits.row_counts(),
                    sampled=splits.sampled,
                    feature_state=prepared.feature_state,
                    feature_table_version=feature_table_version,
                )
            )
            metrics = fit_and_measure(
                config, estimator, splits, refit_with_validation=bool(best_params)
            )
            mlflow.log_metrics({k: v for k, v in metrics.items() if v == v})  # NaN: not measured
            with tempfile.TemporaryDirectory(prefix="mlops-train-") as tmp:
                workdir = Path(tmp)
                if self.log_plots:
                    from databricks_mlops.model_training.plots import write_plots

                    for path in write_plots(
                        config.model_type,
                        estimator,
                        splits.test.features,
                        splits.test.target,
                        workdir / "plots",
                    ):
                        mlflow.log_artifact(str(path), artifact_path="plots")
                example = None
                if not prepared.features_applied:
                    example = splits.train.raw[prepared.raw_columns].head(5)
                model_uri = tracking.log_feature_pipeline_model(
                    estimator=estimator,
                    feature_state=prepared.feature_state,
                    feature_columns=config.model_input_columns,
                    classification=config.model_type is ModelType.CLASSIFICATION,
                    input_example=example,
                    workdir=workdir,
                    extra_requirements=self.extra_pip_requirements,
                )
                self._log_test_set(prepared, workdir, tracking.TEST_SET_ARTIFACT)
            classes = [_plain(c) for c in getattr(estimator, "classes_", [])]
            mlflow.set_tags(
                {
                    tracking.TAG_MODEL_URI: model_uri,
                    tracking.TAG_CLASSES: json.dumps(classes),
                    tracking.TAG_RAW_COLUMNS: json.dumps(prepared.raw_columns)[:5000],
                    "mlops.test_set_transformed": str(prepared.features_applied).lower(),
                }
            )
        run = TrainingRun(
            run_id=run_id,
            model_uri=model_uri,
            estimator=estimator,
            metrics=metrics,
            row_counts=splits.row_counts(),
            best_params=best_params,
        )
        self.last_run = run
        return run

    def _log_test_set(self, prepared: PreparedTraining, workdir: Path, artifact: str) -> None:
        import mlflow

        test = prepared.splits.test
        frame = test.features if prepared.features_applied else test.raw[prepared.raw_columns]
        frame = frame.assign(**{self.config.target_column: test.target})
        path = workdir / Path(artifact).name
        try:
            frame.to_parquet(path, index=False)
        except (ValueError, TypeError, ImportError) as exc:
            raise TrackingError(f"Failed to save the test set for evaluation: {exc}") from exc
        mlflow.log_artifact(str(path), artifact_path=str(Path(artifact).parent))

    def evaluate(self, run: TrainingRun | str) -> GateVerdict:
        """Gates vs thresholds and the current champion; the verdict goes on the run."""
        from databricks_mlops.model_training.evaluation import evaluate_run

        self.runtime.configure_mlflow()
        verdict = evaluate_run(self.config, _run_id(run))
        if isinstance(run, TrainingRun):
            run.verdict = verdict
        return verdict

    def enforce_gates(self, verdict: GateVerdict, run_id: str) -> GateVerdict:
        """The gate policy, in one place: ``gate_mode: block`` raises
        :class:`EvaluationGateError` for a failed verdict; ``dry_run`` only records it."""
        if self.config.gate_mode == "block":
            verdict.raise_for_failures(run_id)
        return verdict

    def register(self, run: TrainingRun | str, *, alias: str = "challenger") -> ModelVersion:
        """Register the run's model as ``registry_model_name`` with ``alias``.

        Evaluates first if the run has no verdict yet. With ``gate_mode: block`` a failed
        verdict raises :class:`EvaluationGateError` and nothing is registered; with
        ``dry_run`` the version is registered and tagged with the failed verdict.
        """
        from mlflow import MlflowClient

        from databricks_mlops.model_training.evaluation import verdict_from_run
        from databricks_mlops.model_training.model_registry import register_version
        from databricks_mlops.model_training.tracking import TAG_MODEL_URI

        self.runtime.configure_mlflow()
        run_id = _run_id(run)
        verdict = run.verdict if isinstance(run, TrainingRun) else None
        verdict = verdict or verdict_from_run(run_id) or self.evaluate(run)
        name = self.config.registry_model_name
        if not verdict.passed and self.config.gate_mode == "block":
            failures = [check.describe() for check in verdict.failures]
            raise EvaluationGateError(
                f"{name}: candidate run {run_id} failed its evaluation gates and was not "
                f"registered: {'; '.join(failures)}",
                failures=failures,
                run_id=run_id,
            )
        model_uri = MlflowClient().get_run(run_id).data.tags[TAG_MODEL_URI]
        tags = {
            **verdict.as_tags(),
            "mlops.run_id": run_id,
            "mlops.gate_mode": self.config.gate_mode,
        }
        version = register_version(
            model_uri, name, alias=alias, tags=tags, description=verdict.describe()
        )
        if isinstance(run, TrainingRun):
            run.model_version = version
        logger.info("registered %s version %s as @%s", name, version.version, alias)
        return version

    def run(
        self,
        data: Any,
        feature_state: FittedFeatureState | None = None,
        *,
        features_applied: bool = False,
        feature_table_version: int | None = None,
    ) -> TrainingRun:
        """Train, evaluate and register in one call (the gates may raise)."""
        result = self.train_from_frame(
            data,
            feature_state,
            features_applied=features_applied,
            feature_table_version=feature_table_version,
        )
        self.evaluate(result)
        self.register(result)
        return result

    # --- documented API -------------------------------------------------------------------

    def train(
        self,
        train_data: Any,
        validation_data: Any | None = None,
        model_instance: Any | None = None,
    ) -> tuple[Any, dict[str, float]]:
        """Documented API: fit on ``train_data`` and measure on ``validation_data`` (or on the
        test split of ``train_data`` by ``split_ratios`` when it is not given).
        Returns the fitted estimator and its metrics keyed by metric name."""
        if validation_data is None:
            result = self.train_from_frame(train_data, model_instance=model_instance)
            return result.estimator, result.metrics_for("test")
        prepared_train = self.prepare(train_data, model_instance=model_instance)
        held_out = self.prepare(validation_data, model_instance=model_instance).splits
        whole = prepared_train.splits
        # Every given training row trains; the validation frame is the evaluation set.
        train = concat_splits([s for s in (whole.train, whole.validation, whole.test) if s])
        test = concat_splits([s for s in (held_out.train, held_out.validation, held_out.test) if s])
        splits = training_data.DataSplits(
            train=train,
            validation=None,
            test=test,
            input_rows=whole.input_rows + held_out.input_rows,
            sampled=whole.sampled or held_out.sampled,
        )
        prepared = PreparedTraining(**{**prepared_train.__dict__, "splits": splits})
        result = self.fit_and_log(prepared)
        return result.estimator, result.metrics_for("test")

    def register_model(self, model: Any, stage: str = "Staging") -> str:
        """Documented API: register the model from the last :meth:`train` under the alias the
        stage maps to (Staging -> challenger, Production -> champion). Returns
        ``models:/NAME/VERSION``."""
        from databricks_mlops.model_training.errors import RegistryError
        from databricks_mlops.model_training.model_registry import alias_for_stage

        alias = alias_for_stage(stage)
        run = self.last_run
        if run is None or run.estimator is not model:
            raise RegistryError(
                "register_model registers the model returned by this trainer's last "
                "train(...) call; train it with this trainer first"
            )
        version = self.register(run, alias=alias)
        return f"models:/{self.config.registry_model_name}/{version.version}"


def _run_id(run: TrainingRun | str) -> str:
    return run.run_id if isinstance(run, TrainingRun) else run


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
