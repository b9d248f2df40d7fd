"""``max_concurrent_runs`` enforced locally: one lock file per run slot under the home.

Databricks refuses (or queues) a run of a job that already has ``max_concurrent_runs``
active runs (1 when the job does not say). Locally the slots are files under
``<home>/locks/jobs/`` held with ``flock``: the kernel releases the lock when the holding
process ends, however it ends (``kill -9`` included), so a crashed run never leaves its job
locked. The holder writes its pid, run id and start time into the file, which is only what
the "already running" message shows; the lock itself is the only truth.

A job started by a ``run_job_task`` takes a slot of *that* job, so a workflow that runs
``model_training`` while a standalone ``model_training`` runs is refused the same way.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from databricks_mlops.errors import RunnerError
from databricks_mlops.runtime.locations import path_segment

DEFAULT_MAX_CONCURRENT_RUNS = 1
"""What Databricks uses when a job does not set ``max_concurrent_runs``."""
# The Jobs API accepts at most this many; more lock files would be pointless anyway.
MAX_CONCURRENT_RUNS_LIMIT = 1000


def max_concurrent_runs(job_key: str, job: Mapping[str, Any]) -> int:
    """The job's ``max_concurrent_runs``, checked the way the Jobs API checks it."""
    value = job.get("max_concurrent_runs", DEFAULT_MAX_CONCURRENT_RUNS)
    if value is None:
        return DEFAULT_MAX_CONCURRENT_RUNS
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)  # a ${var.*} reference resolves to text
    if isinstance(value, bool) or not isinstance(value, int):
        raise RunnerError(
            f"job '{job_key}': max_concurrent_runs must be a whole number, got {value!r}"
        )
    if value == 0:
        raise RunnerError(
            f"job '{job_key}': max_concurrent_runs is 0, so Databricks would skip every run; "
            "set it to 1 or more to run the job"
        )
    if not 0 < value <= MAX_CONCURRENT_RUNS_LIMIT:
        raise RunnerError(
            f"job '{job_key}': max_concurrent_runs must be between 1 and "
            f"{MAX_CONCURRENT_RUNS_LIMIT}, got {value}"
        )
    return value


def lock_directory(home: Path) -> Path:
    return home / "locks" / "jobs"


@contextmanager
def job_run_slot(
    home: Path, bundle: str, target: str, job_key: str, limit: int, run_id: str
) -> Iterator[None]:
    """Hold one of the job's ``limit`` run slots for the duration of the block, or raise
    :class:`RunnerError` at once naming the run(s) holding them."""
    directory = lock_directory(home)
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{path_segment(bundle)}.{path_segment(target)}.{path_segment(job_key)}"
    for slot in range(limit):
        with (directory / f"{stem}.{slot}.lock").open("a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # another run holds this slot
            _write_holder(handle, run_id)
            try:
                yield
            finally:
                handle.truncate(0)
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return
    holders = "; ".join(_holder(directory / f"{stem}.{slot}.lock") for slot in range(limit))
    raise RunnerError(
        f"job '{job_key}' is already running (max_concurrent_runs: {limit}) — {holders}; "
        "wait for it to finish (Databricks would skip or queue this run), or raise "
        "max_concurrent_runs in the job's YAML"
    )


def _write_holder(handle: IO[str], run_id: str) -> None:
    started = datetime.now(UTC).isoformat(timespec="seconds")
    handle.seek(0)
    handle.truncate(0)
    handle.write(json.dumps({"pid": os.getpid(), "run_id": run_id, "started_at": started}))
    handle.flush()


def _holder(path: Path) -> str:
    """Who holds a slot, from what the holder wrote (it may not have written it yet)."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict):
        info = {}
    return (
        f"started at {info.get('started_at', 'an unknown time')}, "
        f"pid {info.get('pid', 'unknown')}, run {info.get('run_id', 'unknown')}"
    )
