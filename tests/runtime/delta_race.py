"""A real Delta commit conflict, on demand: another commit lands inside a running MERGE.

The frame given to the MERGE carries a pass-through UDF that, only inside a Spark job whose
description starts with ``job_prefix`` (Delta names its jobs "MERGE operation - ..."),
says it has started and waits. The MERGE has read its snapshot by then; the test commits to
the same table, releases the UDF, and the MERGE's commit meets the conflict Delta would
raise for two runs writing at once. No sleeps, no timing luck.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from databricks_mlops.runtime.local_spark import spark_connect_requested

T = TypeVar("T")
WAIT_SECONDS = 120.0

# The gate finds Delta's MERGE job by its description, which the Spark Connect server does
# not hand to the job: under MLOPS_SPARK_CONNECT=1 the race cannot be staged this way.
classic_session_only = pytest.mark.skipif(
    spark_connect_requested(), reason="stages the race through job descriptions (classic only)"
)


def gated(df: DataFrame, column: str, directory: Path, job_prefix: str = "MERGE") -> DataFrame:
    """``df`` whose ``column`` waits for ``directory/release`` inside ``job_prefix`` jobs."""
    entered, release = str(directory / "entered"), str(directory / "release")

    def gate(value: object) -> object:
        import os
        import time

        from pyspark import TaskContext

        context = TaskContext.get()
        description = (context.getLocalProperty("spark.job.description") if context else "") or ""
        if description.startswith(job_prefix):
            open(entered, "a").close()
            deadline = time.monotonic() + WAIT_SECONDS
            while not os.path.exists(release) and time.monotonic() < deadline:
                time.sleep(0.02)
        return value

    kind = df.schema[column].dataType
    return df.withColumn(column, F.udf(gate, kind)(F.col(column)))


def commit_inside(write: Callable[[], T], commit: Callable[[], None], directory: Path) -> T:
    """Run ``write`` (which must use a :func:`gated` frame); once it is inside its MERGE,
    run ``commit``, then let ``write`` finish. Returns or raises what ``write`` did."""
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = write()
        except BaseException as exc:  # handed to the test thread below
            outcome["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while not (directory / "entered").exists():
        if not worker.is_alive() or time.monotonic() > deadline:
            (directory / "release").touch()
            worker.join(WAIT_SECONDS)
            raise AssertionError(f"the write never reached its MERGE: {outcome}")
        time.sleep(0.02)
    try:
        commit()
    finally:
        (directory / "release").touch()
    worker.join(WAIT_SECONDS)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
