"""The embedded local Spark: ``local[*]`` with Delta Lake, tuned for a laptop / CI box.

``MLOPS_SPARK_CONNECT=1`` makes it a Spark Connect client of a local in-process server
instead (serverless semantics: no ``_jdf``, ``sparkContext``, RDDs or JVM access).

Delta's jars come from the local Maven repository when ``make setup`` fetched them there
(no resolver at start-up), else Spark's Ivy resolver downloads them from Maven Central once
into a cache under ``~/.cache/databricks-mlops/ivy``.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
# The confs a Connect client may set on its session (the others configure the server).
_RUNTIME_CONFS = frozenset(
    {
        "spark.sql.shuffle.partitions",
        "spark.databricks.delta.snapshotPartitions",
        "spark.sql.session.timeZone",
        "spark.sql.execution.arrow.pyspark.enabled",
    }
)
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


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


def spark_connect_requested() -> bool:
    """``MLOPS_SPARK_CONNECT=1``: the local session is a Spark Connect client of an
    in-process local server, as serverless compute gives (no ``_jdf``, ``sparkContext``,
    RDDs or JVM access)."""
    value = os.environ.get("MLOPS_SPARK_CONNECT", "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise RuntimeSetupError(
        f"MLOPS_SPARK_CONNECT={value!r} is not a switch: set it to 1 for a local Spark "
        "Connect session, or 0 / unset it for a classic one"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def is_connect_session(session: object) -> bool:
    return type(session).__module__.startswith("pyspark.sql.connect")


def _jar_confs() -> tuple[dict[str, str], str]:
    cached = cached_delta_jars()
    if cached:
        jars, source = cached
        return {"spark.jars": ",".join(str(jar) for jar in jars)}, source
    # First start on this machine: Ivy fetches the jars from Maven Central into the cache.
    coordinate = f"io.delta:delta-spark_{SCALA_VERSION}:{delta_version()}"
    confs = {"spark.jars.packages": coordinate, "spark.jars.ivy": str(ivy_cache())}
    return confs, f"Maven Central via Ivy ({coordinate})"


def _session_confs(warehouse: Path) -> dict[str, str]:
    java_options = os.environ.get("MLOPS_SPARK_JAVA_OPTIONS", _JVM_OPTIONS)
    return {
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.sql.warehouse.dir": str(warehouse),
        "spark.driver.extraJavaOptions": f"{java_options} -Dlog4j2.configurationFile={_LOG4J_CONFIG.as_uri()}",
        "spark.driver.memory": os.environ.get("MLOPS_SPARK_DRIVER_MEMORY", "2g"),
        # Small data, two cores: 200 shuffle partitions and 50 Delta snapshot partitions
        # would be mostly scheduling overhead.
        "spark.sql.shuffle.partitions": os.environ.get("MLOPS_SHUFFLE_PARTITIONS", "4"),
        "spark.databricks.delta.snapshotPartitions": "2",
        "spark.sql.session.timeZone": "UTC",  # as on Databricks
        # pandas <-> Spark through Arrow, as on Databricks (row-by-row takes minutes at 1e6 rows).
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
    }  # fmt: skip


def build_local_session(warehouse: Path) -> SparkSession:
    """The local session: classic, or a Spark Connect client when ``MLOPS_SPARK_CONNECT=1``."""
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
    # Set below for this process's own Connect client; inherited from a parent that ran one
    # it would turn this process's classic builder (and the local server's) into clients.
    os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)
    master = os.environ.get("MLOPS_SPARK_MASTER", "local[*]")
    confs = _session_confs(warehouse)
    jar_confs, source = _jar_confs()
    confs.update(jar_confs)
    if not spark_connect_requested():
        builder = SparkSession.builder.master(master).appName("databricks-mlops")
        session = _start(builder.config(map=dict[str, Any](confs)), source)
        session.sparkContext.setLogLevel(os.environ.get("MLOPS_SPARK_LOG_LEVEL", "ERROR"))
        logger.info("local Spark %s started (Delta jars from %s)", session.version, source)
        return session
    # As `remote("local[...]")` does, a Spark Connect server starts in this process (on a
    # classic SparkContext built from these confs) and the session returned is a client of
    # it: the code under test only ever sees the Connect client, as on serverless compute.
    # Unlike `remote("local")` the server gets a free port, not always 15002, so two test
    # processes on one machine do not collide. The log level comes from log4j2.properties
    # (a Connect client has no sparkContext.setLogLevel).
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    port = _free_port()
    confs["spark.connect.grpc.binding.address"] = "127.0.0.1"
    confs["spark.connect.grpc.binding.port"] = str(port)
    runtime_confs = {key: value for key, value in confs.items() if key in _RUNTIME_CONFS}
    try:
        ConnectSession._start_connect_server(master, confs)
    except Exception as exc:
        raise RuntimeSetupError(
            f"Failed to start a local Spark Connect server with Delta jars from {source}: "
            f"{exc}. Is Java 17 installed? Unset MLOPS_SPARK_CONNECT for a classic session."
        ) from exc
    # What `remote("local")` sets too: pyspark.sql.functions, delta.tables and
    # SparkSession.builder then hand out their Connect flavours in this process.
    os.environ["SPARK_CONNECT_MODE_ENABLED"] = "1"
    client = ConnectSession.builder.remote(f"sc://localhost:{port}")
    session = _start(client.config(map=dict[str, Any](runtime_confs)), source)
    logger.info("local Spark Connect %s started (Delta jars from %s)", session.version, source)
    return session


def _start(builder: Any, source: str) -> SparkSession:
    try:
        session: SparkSession = builder.getOrCreate()
        return session
    except Exception as exc:
        raise RuntimeSetupError(
            f"Failed to start local Spark with Delta jars from {source}: {exc}. "
            "Is Java 17 installed? Offline, fetch the jars once with "
            "`mvn dependency:get -Dartifact=io.delta:delta-spark_2.13:<version>`."
        ) from exc
