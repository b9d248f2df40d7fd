"""Text stamped on the Delta commits made in a block (``DESCRIBE HISTORY``'s userMetadata).

Writers with a DataFrameWriter use its ``userMetadata`` option; a MERGE has no writer, so
the session setting below is the only way to stamp it. It is set for the block and put
back after, so no later commit of the session carries the stamp. (Serverless compute
limits which Spark settings a job may set: this is the one place that sets this one.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

COMMIT_METADATA_CONF = "spark.databricks.delta.commitInfo.userMetadata"


@contextmanager
def stamped_commits(spark: SparkSession, text: str) -> Iterator[None]:
    """Delta commits made inside carry ``text`` as their ``userMetadata``."""
    previous = spark.conf.get(COMMIT_METADATA_CONF, None)
    spark.conf.set(COMMIT_METADATA_CONF, text)
    try:
        yield
    finally:
        if previous is None:
            spark.conf.unset(COMMIT_METADATA_CONF)
        else:
            spark.conf.set(COMMIT_METADATA_CONF, previous)
