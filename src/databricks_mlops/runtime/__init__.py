"""The runtime: Spark session, table and path names, MLflow URIs — decided in one place.

Stage code asks the runtime for what it needs (``get_runtime().spark``, ``.table(name)``,
``.path(p)``, ``.save_table(...)``) and never checks where it runs.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from databricks_mlops.errors import ConfigError
from databricks_mlops.runtime.environment import (
    Environment,
    detect_environment,
    is_serverless_runtime_version,
)
from databricks_mlops.runtime.locations import (
    TableName,
    is_dbfs_root,
    local_path,
    looks_like_table_name,
    path_segment,
    table_location,
    volume_path_of,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, DataFrameWriter, SparkSession

logger = logging.getLogger(__name__)

__all__ = ["Environment", "Runtime", "TableName", "get_runtime", "looks_like_table_name"]


def mlops_home() -> Path:
    """``$MLOPS_HOME`` or ``./.mlops``: where the local backends keep their state."""
    return Path(os.environ.get("MLOPS_HOME") or Path.cwd() / ".mlops").resolve()


@dataclass
class Runtime:
    environment: Environment
    home: Path
    _spark: SparkSession | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def is_local(self) -> bool:
        return self.environment.is_local

    @property
    def spark(self) -> SparkSession:
        """One session per process, shared by every task of a local job run."""
        with self._lock:
            if self._spark is None:
                self._spark = self._start_spark()
            return self._spark

    def _start_spark(self) -> SparkSession:
        kind = self.environment.kind
        if kind == "local":
            from databricks_mlops.runtime.local_spark import build_local_session

            return build_local_session(self.home / "warehouse")
        if kind == "connect":
            from databricks.connect import DatabricksSession

            session: SparkSession = DatabricksSession.builder.getOrCreate()
            return session
        from pyspark.sql import SparkSession

        return SparkSession.builder.getOrCreate()

    def path(self, path: str) -> str:
        """A Databricks path (``dbfs:/``, ``/Volumes/``) as this runtime reads it."""
        return local_path(path, self.home) if self.is_local else path

    def table(self, name: str) -> str:
        """The identifier to give ``spark.table`` or SQL for a UC name.

        Locally the schema's database is created on first use, and a table written by an
        earlier process is registered again from its files (the local catalog is in memory).
        """
        if not self.is_local:
            return name
        parsed = TableName.parse(name)
        spark = self.spark
        database = parsed.local_database
        spark.sql(f"CREATE DATABASE IF NOT EXISTS `{database}`")
        location = self._registered_location(parsed)
        if (location / "_delta_log").is_dir() and not spark.catalog.tableExists(parsed.local_name):
            spark.sql(
                f"CREATE TABLE IF NOT EXISTS `{database}`.`{parsed.table}` "
                f"USING DELTA LOCATION '{location}'"
            )
        return parsed.local_name

    def _registered_location(self, table: TableName) -> Path:
        pointer = table_location(table, self.home).with_suffix(".location")
        if pointer.is_file():
            return Path(pointer.read_text(encoding="utf-8").strip())
        return table_location(table, self.home)

    def register_table(self, name: str, location: str) -> str:
        """Register the Delta files at ``location`` as table ``name`` (an external table)."""
        parsed = TableName.parse(name)
        if self.is_local:
            pointer = table_location(parsed, self.home).with_suffix(".location")
            pointer.parent.mkdir(parents=True, exist_ok=True)
            pointer.write_text(self.path(location), encoding="utf-8")
            return self.table(name)
        self.spark.sql(f"CREATE TABLE IF NOT EXISTS {name} USING DELTA LOCATION '{location}'")
        return name

    def save_table(self, writer: DataFrameWriter, name: str) -> str:
        """``saveAsTable`` that keeps local tables at their deterministic location."""
        identifier = self.table(name)
        if self.is_local:
            location = table_location(TableName.parse(name), self.home)
            if location.is_dir() and not (location / "_delta_log").is_dir():
                # A first write that failed mid-way leaves data files but no transaction
                # log, i.e. no committed data; Delta then refuses the location for good.
                logger.warning("%s: removing files of a write that never committed", name)
                shutil.rmtree(location)
            writer = writer.option("path", str(location))
        writer.saveAsTable(identifier)
        return identifier

    def read(self, source: str, fmt: str, options: dict[str, str] | None = None) -> DataFrame:
        """Read a table name (``fmt='table'`` or a dotted name with ``delta``) or a path."""
        if fmt == "table" or (fmt == "delta" and looks_like_table_name(source)):
            return self.spark.table(self.table(source))
        return self.spark.read.format(fmt).options(**(options or {})).load(self.path(source))

    def delta_history(self, target: str, limit: int | None = None) -> DataFrame:
        """``DESCRIBE HISTORY`` (newest first, the columns of ``DeltaTable.history``), which
        works on every session; see ``runtime.delta_sql`` for why no DeltaTable API."""
        from databricks_mlops.runtime.delta_sql import delta_identifier

        suffix = f" LIMIT {int(limit)}" if limit is not None else ""
        return self.spark.sql(f"DESCRIBE HISTORY {delta_identifier(self, target)}{suffix}")

    def read_delta(self, target: str, version: int | None = None) -> DataFrame:
        """A Delta table by name or path, at ``version`` (time travel) or the latest."""
        reader = self.spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        if looks_like_table_name(target):
            return reader.table(self.table(target))
        return reader.load(self.path(target))

    def file_path(self, path: str) -> str:
        """A path this process can open with plain Python file I/O.

        On Databricks ``dbfs:/x`` is only reachable through the ``/dbfs`` mount
        (``/Volumes/...`` already is a local path there). Serverless compute has no
        ``/dbfs`` mount of the DBFS root, so there (and locally under serverless
        semantics, ``MLOPS_SPARK_CONNECT=1``) such a path is refused before any I/O."""
        path = volume_path_of(path)
        if is_dbfs_root(path) and self.serverless:
            raise ConfigError(
                f"{path} is on the DBFS root, which serverless compute cannot open as a "
                "file (no /dbfs mount) and which every target and user would share: "
                "point report_dir / alert_state_dir at the target's Unity Catalog volume, "
                "e.g. /Volumes/<catalog>/<schema>/<volume>/reports"
            )
        if self.is_local:
            return self.path(path)
        if path.startswith("dbfs:/"):
            return "/dbfs/" + path.removeprefix("dbfs:/").lstrip("/")
        return path

    @property
    def serverless(self) -> bool:
        """Serverless compute, or the local runtime emulating it with Spark Connect."""
        if self.is_local:
            from databricks_mlops.runtime.local_spark import spark_connect_requested

            return spark_connect_requested()
        return is_serverless_runtime_version(os.environ.get("DATABRICKS_RUNTIME_VERSION", ""))

    def delta_exists(self, target: str) -> bool:
        from delta.tables import DeltaTable

        from databricks_mlops.runtime.local_spark import is_connect_session

        if looks_like_table_name(target):
            return bool(self.spark.catalog.tableExists(self.table(target)))
        if self.is_local and is_connect_session(self.spark):
            # Delta's Connect client asks the server plugin; locally the log is on disk.
            return (Path(self.path(target)) / "_delta_log").is_dir()
        return bool(DeltaTable.isDeltaTable(self.spark, self.path(target)))

    def write_delta(self, writer: DataFrameWriter, target: str) -> None:
        """Write to a table name (``saveAsTable``) or a path (``save``)."""
        if looks_like_table_name(target):
            self.save_table(writer, target)
        else:
            writer.save(self.path(target))

    def mlflow_uris(self) -> dict[str, str]:
        if not self.is_local:
            return {"tracking_uri": "databricks", "registry_uri": "databricks-uc"}
        uri = f"sqlite:///{self.home / 'mlflow.db'}"
        return {"tracking_uri": uri, "registry_uri": uri}

    def configure_mlflow_environment(self) -> None:
        """Point MLflow at this runtime's stores without importing it (a task that never
        uses MLflow keeps starting fast).

        The URIs go into the environment, which MLflow reads on first use and child
        processes inherit; every task entry point does this first (``run_task``), so no
        lookup, however early, reaches MLflow's default store (a stray ``./mlflow.db``).
        """
        uris = self.mlflow_uris()
        if self.is_local:
            self.home.mkdir(parents=True, exist_ok=True)  # sqlite creates the file, not its folder
        os.environ["MLFLOW_TRACKING_URI"] = uris["tracking_uri"]
        os.environ["MLFLOW_REGISTRY_URI"] = uris["registry_uri"]
        if "mlflow" in sys.modules:
            # Already imported: a URI set in code would win over the environment.
            self.configure_mlflow()

    def configure_mlflow(self) -> None:
        # Job logs are files: per-artifact download progress bars only add noise there.
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        import mlflow

        self.home.mkdir(parents=True, exist_ok=True)
        uris = self.mlflow_uris()
        mlflow.set_tracking_uri(uris["tracking_uri"])
        mlflow.set_registry_uri(uris["registry_uri"])

    def artifact_location(self, experiment_name: str) -> str | None:
        """Where a new experiment keeps artifacts (locally under the home, not ./mlruns)."""
        if not self.is_local:
            return None
        return (self.home / "mlartifacts" / path_segment(experiment_name)).as_uri()

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.environment.kind,
            "reason": self.environment.reason,
            "home": str(self.home),
        }


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def get_runtime() -> Runtime:
    """The process-wide runtime (created, and its choice logged, on first call)."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            environment = detect_environment()
            _runtime = Runtime(environment=environment, home=mlops_home())
            logger.info("runtime: %s (%s)", environment.kind, environment.reason)
        return _runtime
