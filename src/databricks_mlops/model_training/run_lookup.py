"""Find the MLflow run a job run's ``train`` task logged, by the job run id it was tagged with.

Databricks drops task values set from a ``python_wheel_task``, so the tasks after ``train``
cannot receive its MLflow run id that way. Every task gets ``{{job.run_id}}`` instead;
``train`` tags its run with it (:data:`TAG_JOB_RUN_ID`), and ``evaluate`` / ``register``
look the run up here. A repaired job run keeps its job run id, so a re-run ``train`` marks
the runs it replaces (:data:`TAG_SUPERSEDED_BY`) and the lookup skips them.
"""

from __future__ import annotations

import re
from typing import ClassVar

from databricks_mlops.model_training.errors import TrackingError

TAG_JOB_RUN_ID = "mlops.job_run_id"
TAG_SUPERSEDED_BY = "mlops.superseded_by"
# Databricks job run ids are numbers; local ones are "local-<time>-<hex>". Anything else
# (a quote, an unresolved "{{...}}") would not be a run id, and must not reach the filter.
_JOB_RUN_ID = re.compile(r"^[A-Za-z0-9_.:-]+$")


class TrainingRunNotFoundError(TrackingError):
    """No single MLflow run of the experiment carries the job run id."""

    deterministic: ClassVar[bool] = True


def _checked(job_run_id: str) -> str:
    if not _JOB_RUN_ID.match(job_run_id):
        raise TrainingRunNotFoundError(
            f"job run id {job_run_id!r} is not a job run id; pass --job_run_id={{{{job.run_id}}}} "
            "(the bundle's jobs do) or an explicit --run_id=<MLflow run id>"
        )
    return job_run_id


def _search(experiment_name: str, job_run_id: str) -> list[str]:
    from mlflow.entities import ViewType
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    try:
        experiment = client.get_experiment_by_name(experiment_name)
        if experiment is None:
            raise TrainingRunNotFoundError(
                f"no MLflow experiment '{experiment_name}', so no training run of job run "
                f"{job_run_id}; run the train task of this job run first (or pass --run_id)"
            )
        runs = client.search_runs(
            [experiment.experiment_id],
            filter_string=f"tags.`{TAG_JOB_RUN_ID}` = '{job_run_id}'",
            run_view_type=ViewType.ACTIVE_ONLY,
            max_results=100,
        )
    except MlflowException as exc:
        raise TrackingError(
            f"Failed to search experiment '{experiment_name}' for the run of job run "
            f"{job_run_id}: {exc}"
        ) from exc
    return [run.info.run_id for run in runs if TAG_SUPERSEDED_BY not in run.data.tags]


def find_training_run(experiment_name: str, job_run_id: str) -> str:
    """The id of the one live MLflow run in ``experiment_name`` tagged with ``job_run_id``."""
    found = _search(experiment_name, _checked(job_run_id))
    if not found:
        raise TrainingRunNotFoundError(
            f"no MLflow run in experiment '{experiment_name}' is tagged "
            f"{TAG_JOB_RUN_ID}={job_run_id}: the train task of job run {job_run_id} did not "
            "log one (did it run and succeed, with --job_run_id={{job.run_id}}?); pass "
            "--run_id=<MLflow run id> to evaluate a run by hand"
        )
    if len(found) > 1:
        raise TrainingRunNotFoundError(
            f"{len(found)} MLflow runs in experiment '{experiment_name}' are tagged "
            f"{TAG_JOB_RUN_ID}={job_run_id} ({', '.join(sorted(found))}); pass the one to use "
            f"as --run_id, or tag the others {TAG_SUPERSEDED_BY}"
        )
    return found[0]


def tag_training_run(experiment_name: str, run_id: str, job_run_id: str) -> None:
    """Tag ``run_id`` with ``job_run_id``; earlier runs of the same job run (a repair
    re-ran train) are marked superseded so the lookup finds only this one."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    earlier = [r for r in _search(experiment_name, _checked(job_run_id)) if r != run_id]
    try:
        for other in earlier:
            client.set_tag(other, TAG_SUPERSEDED_BY, run_id)
        client.set_tag(run_id, TAG_JOB_RUN_ID, job_run_id)
    except MlflowException as exc:
        raise TrackingError(
            f"Failed to tag MLflow run {run_id} with {TAG_JOB_RUN_ID}={job_run_id}: {exc}"
        ) from exc
