"""Count the Spark jobs an action runs, on a classic session and on local Spark Connect.

The count comes from the one SparkContext in this process: the classic session's, or the
in-process server's behind a local Connect client. The test reaches into the JVM; the
code under test does not (under Connect it cannot). Jobs are read from the application's
status store after its listener bus has drained, so none is missed or counted late.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pyspark import SparkContext


def _job_ids() -> set[int]:
    """Ids of the jobs the status store still holds. It keeps the newest
    ``spark.ui.retainedJobs`` (1000) only, so a long suite sees old ones leave: jobs are
    told apart by id, never by how many the store holds."""
    context = SparkContext._active_spark_context
    assert context is not None, "no SparkContext in this process: start the session first"
    scala_context = context._jsc.sc()
    scala_context.listenerBus().waitUntilEmpty()
    jobs = scala_context.statusStore().jobsList(None).iterator()  # a Scala Seq
    ids = set()
    while jobs.hasNext():
        ids.add(int(jobs.next().jobId()))
    return ids


@dataclass
class JobCount:
    jobs: int = 0


@contextmanager
def counting_jobs() -> Iterator[JobCount]:
    """``with counting_jobs() as counted: ...`` then ``counted.jobs``."""
    counted = JobCount()
    before = _job_ids()
    try:
        yield counted
    finally:
        counted.jobs = len(_job_ids() - before)


def jobs_run_by(action: Callable[[], Any]) -> int:
    with counting_jobs() as counted:
        action()
    return counted.jobs
