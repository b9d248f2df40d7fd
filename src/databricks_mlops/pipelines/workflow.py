"""``MLOpsWorkflow``: ingestion -> validation -> features -> training -> evaluation ->
registration -> promotion -> deployment, in one process.

Every stage is the library call its job task makes (``lifecycle.data``, ``feature_engineering``,
``model_training``, ``deployment``), so the workflow and the jobs cannot drift apart. Where it runs is the runtime's decision (local
Spark + Delta + sqlite MLflow here, the cluster on Databricks); where the model is served
is the deployer's (the workspace config: no host means the local scoring server).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from databricks_mlops.errors import MLOpsError

if TYPE_CHECKING:
    from databricks_mlops.config.data import DataConfig
    from databricks_mlops.config.deployment import DeploymentConfig
    from databricks_mlops.config.features import FeatureConfig
    from databricks_mlops.config.training import TrainingConfig
    from databricks_mlops.config.workspace import WorkspaceConfig
    from databricks_mlops.deployment import Endpoint
    from databricks_mlops.validation.validation_run import ValidationRun

logger = logging.getLogger(__name__)
T = TypeVar("T")

StageName = Literal[
    "ingestion", "validation", "features", "training", "evaluation", "registration",
    "promotion", "deployment",
]  # fmt: skip


class StageResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: StageName
    status: Literal["succeeded", "failed", "skipped"]
    seconds: float = 0.0
    detail: str = ""


class WorkflowResult(BaseModel):
    """What ``run()`` returns: the registered version and where it serves."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_name: str
    version: str | None = Field(None, description="Registry version trained by this run.")
    model_id: str | None = Field(None, description="The MLflow logged model id of that version.")
    run_id: str | None = Field(None, description="The MLflow training run.")
    metrics: dict[str, float] = Field(default_factory=dict, description="Test-split metrics.")
    stages: list[StageResult] = Field(default_factory=list)
    endpoint: Any | None = Field(None, description="The serving Endpoint, when deployed.")

    @property
    def succeeded(self) -> bool:
        return all(stage.status != "failed" for stage in self.stages)


class WorkflowError(MLOpsError):
    """A stage failed; ``result`` holds the stages that ran (earlier outputs are kept)."""

    def __init__(self, stage: str, cause: BaseException, result: WorkflowResult) -> None:
        super().__init__(f"the {stage} stage failed: {cause}")
        self.stage = stage
        self.result = result


class MLOpsWorkflow:
    def __init__(
        self,
        *,
        data_config: DataConfig,
        feature_config: FeatureConfig,
        training_config: TrainingConfig,
        deployment_config: DeploymentConfig | None = None,
        workspace: WorkspaceConfig | None = None,
        refit_features: bool = False,
    ) -> None:
        self.workspace = workspace
        self.data_config = data_config
        self.feature_config = feature_config
        self.training_config = training_config
        self.deployment_config = deployment_config
        self.refit_features = refit_features

    def run(self) -> WorkflowResult:
        from databricks_mlops.feature_engineering.build import build_feature_table
        from databricks_mlops.lifecycle.data import ingest_batch, validate_batch
        from databricks_mlops.model_training import ModelTrainer
        from databricks_mlops.model_training.table_training import train_on_tables
        from databricks_mlops.runtime import get_runtime

        result = WorkflowResult(model_name=self.training_config.registry_model_name)
        stage = _StageRunner(result)

        # Ingestion stages the batch; validation publishes it only if no ERROR rule fails,
        # so a failed validation leaves the destination (and what the later stages read)
        # as it was.
        ingested = stage("ingestion", lambda: ingest_batch(self.data_config))
        stage.note(
            f"{ingested.rows_written} rows -> {ingested.destination}"
            + (f" (staged for {ingested.staged_for})" if ingested.staged_for else "")
        )
        validated = stage("validation", lambda: _raising(validate_batch(self.data_config)))
        published = (
            f"; published {self.data_config.destination_path} version {validated.published_version}"
            if validated.published_version is not None
            else ""
        )
        stage.note(f"{len(validated.result.rule_results)} rules, all ERROR rules passed{published}")
        built = stage(
            "features",
            lambda: build_feature_table(
                get_runtime(), self.feature_config, refit=self.refit_features
            ),
        )
        stage.note(f"{built.write.name} version {built.write.version}")

        trainer = ModelTrainer(self.training_config)
        run = stage("training", lambda: train_on_tables(trainer))
        result.run_id = run.run_id
        result.metrics = run.metrics_for("test")
        stage.note(f"run {run.run_id}")
        verdict = stage(
            "evaluation",
            lambda: trainer.enforce_gates(trainer.evaluate(run.run_id), run.run_id),
        )
        stage.note("gates passed" if verdict.passed else "gates failed (dry run)")
        version = stage("registration", lambda: trainer.register(run.run_id))
        result.version = str(version.version)
        result.model_id = _logged_model_id(version)
        stage.note(f"{result.model_name} version {result.version} @challenger")

        deployment = self.deployment_config
        if deployment is None:
            stage.skip("promotion", "no deployment config")
            stage.skip("deployment", "no deployment config")
            return result
        from databricks_mlops.deployment import ModelDeployer
        from databricks_mlops.deployment.promotion import promote_challenger

        promoted = stage("promotion", lambda: promote_challenger(deployment.model_name))
        stage.note(f"version {promoted.champion_version} @champion")
        if deployment.deployment_type == "batch":
            stage.skip("deployment", "deployment_type batch: scored by the batch_inference job")
            return result
        endpoint: Endpoint = stage(
            "deployment", lambda: ModelDeployer(self.workspace).deploy_model(deployment)
        )
        result.endpoint = endpoint
        stage.note(f"{endpoint.name} at {endpoint.url} ({endpoint.state})")
        return result


def _logged_model_id(version: Any) -> str | None:
    """MLflow 3's logged model id behind a registry version. The sqlite registry leaves
    ``model_id`` empty when registering from ``models:/m-<id>``; the source still names it."""
    if getattr(version, "model_id", None):
        return str(version.model_id)
    source = str(getattr(version, "source", "") or "")
    prefix = "models:/"
    if source.startswith(prefix + "m-") and "/" not in source[len(prefix) :]:
        return source[len(prefix) :]
    return None


class _StageRunner:
    """Runs one stage, times it and records its status; a failure ends the workflow."""

    def __init__(self, result: WorkflowResult) -> None:
        self.result = result

    def __call__(self, name: StageName, body: Callable[[], T]) -> T:
        started = time.perf_counter()
        logger.info("workflow: %s", name)
        try:
            value = body()
        except Exception as exc:
            self._record(name, "failed", started, str(exc).splitlines()[0] if str(exc) else "")
            raise WorkflowError(name, exc, self.result) from exc
        self._record(name, "succeeded", started, "")
        return value

    def note(self, detail: str) -> None:
        last = self.result.stages[-1]
        self.result.stages[-1] = last.model_copy(update={"detail": detail})

    def skip(self, name: StageName, why: str) -> None:
        self.result.stages.append(StageResult(name=name, status="skipped", detail=why))

    def _record(self, name: StageName, status: Any, started: float, detail: str) -> None:
        seconds = round(time.perf_counter() - started, 2)
        self.result.stages.append(
            StageResult(name=name, status=status, seconds=seconds, detail=detail)
        )


def _raising(outcome: ValidationRun) -> ValidationRun:
    outcome.raise_for_errors()
    return outcome
