"""The embedded local Spark: ``local[*]`` with Delta Lake, tuned for a laptop / CI box.

Delta's jars come from the local Maven repository when ``make setup`` fetched them there
(no resolver at start-up), else Spark's Ivy resolver downloads them from Maven Central once
into a cache under ``~/.cache/databricks-mlops/ivy``.
"""

from __future__ import annotations

import logging
import os
import sys
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from databricks_mlops.errors import RuntimeSetupError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

logger = logging.getLogger(__name__)

SCALA_VERSION = "2.13"
# The serial collector starts faster than G1 on a small box. The JIT is left at its
# default (C1 then C2): capping it at C1 (-XX:TieredStopAtLevel=1) saves ~1 s at start
# but makes every scan-heavy job 1.5-2x slower (drift at 1e6 rows: 13.7 s -> 9.7 s with C2).
# MLOPS_SPARK_JAVA_OPTIONS replaces these options (e.g. to add GC logging).
_JVM_OPTIONS = "-XX:+UseSerialGC"
_LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")


def delta_version() -> str:
    try:
        return metadata.version("delta-spark")
    except metadata.PackageNotFoundError as exc:
        raise RuntimeSetupError(
            "delta-spark is not installed: the local runtime needs the `spark` extra "
            "(uv sync --extra spark)"
        ) from exc


def ivy_cache() -> Path:
    return Path(os.environ.get("MLOPS_IVY_CACHE", Path.home() / ".cache/databricks-mlops/ivy"))


def cached_delta_jars() -> tuple[list[Path], str] | None:
    """Delta jars already on disk: in ``~/.m2`` (``mvn dependency:get``) or in the Ivy
    cache from an earlier start. Using them directly skips Ivy's resolution at start-up."""
    version = delta_version()
    maven = Path.home() / ".m2" / "repository" / "io" / "delta"
    layouts = {
        "local Maven repository": [
            maven / f"delta-spark_{SCALA_VERSION}" / version / f"delta-spark_{SCALA_VERSION}-{version}.jar",
            maven / "delta-storage" / version / f"delta-storage-{version}.jar",
        ],
        f"Ivy cache {ivy_cache()}": [
            ivy_cache() / "jars" / f"io.delta_delta-spark_{SCALA_VERSION}-{version}.jar",
            ivy_cache() / "jars" / f"io.delta_delta-storage-{version}.jar",
        ],
    }  # fmt: skip
    for source, jars in layouts.items():
        if all(jar.is_file() for jar in jars):
            return jars, source
    return None


def build_local_session(warehouse: Path) -> SparkSession:
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise RuntimeSetupError(
            "pyspark is not installed: the local runtime needs the `spark` extra "
            "(uv sync --extra spark)"
        ) from exc

    # Spark binds the driver to the first non-loopback address otherwise, which fails or
    # warns on machines without one; everything local stays on 127.0.0.1.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Python workers (UDFs, mlflow's spark_udf) run `python3` from PATH unless told
    # otherwise; a console script started without activating the venv would give them an
    # interpreter without pandas. Locally they must be this interpreter.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(os.environ.get("MLOPS_SPARK_MASTER", "local[*]"))
        .appName("databricks-mlops")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config(
            "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog"
        )
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config(
            "spark.driver.extraJavaOptions",
            f"{os.environ.get('MLOPS_SPARK_JAVA_OPTIONS', _JVM_OPTIONS)} -Dlog4j2.configurationFile={_LOG4J_CONFIG.as_uri()}",
        )
        .config("spark.driver.memory", os.environ.get("MLOPS_SPARK_DRIVER_MEMORY", "2g"))
        # Small data, two cores: 200 shuffle partitions and 50 Delta snapshot partitions
        # would be mostly scheduling overhead.
        .config("spark.sql.shuffle.partitions", os.environ.get("MLOPS_SHUFFLE_PARTITIONS", "4"))
        .config("spark.databricks.delta.snapshotPartitions", "2")
        .config("spark.sql.session.timeZone", "UTC")  # as on Databricks
        # pandas <-> Spark through Arrow, as on Databricks (row-by-row takes minutes at 1e6 rows).
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    cached = cached_delta_jars()
    if cached:
        jars, source = cached
        builder = builder.config("spark.jars", ",".join(str(jar) for jar in jars))
    else:
        # First start on this machine: Ivy fetches the jars from Maven Central into the cache.
        coordinate = f"io.delta:delta-spark_{SCALA_VERSION}:{delta_version()}"
        builder = builder.config("spark.jars.packages", coordinate).config(
            "spark.jars.ivy", str(ivy_cache())
        )
        source = f"Maven Central via Ivy ({coordinate})"
    try:
        session = builder.getOrCreate()
    except Exception as exc:
        raise RuntimeSetupError(
            f"Failed to start local Spark with Delta jars from {source}: {exc}. "
            "Is Java 17 installed? Offline, fetch the jars once with "
            "`mvn dependency:get -Dartifact=io.delta:delta-spark_2.13:<version>`."
        ) from exc
    session.sparkContext.setLogLevel(os.environ.get("MLOPS_SPARK_LOG_LEVEL", "ERROR"))
    logger.info("local Spark %s started (Delta jars from %s)", session.version, source)
    return session
