"""What the compute itself provides to a task, before the bundle's own dependencies.

An isolated local task (:mod:`.task_environment`) gets these packages and then exactly what
the bundle declares, so an import that works only because the developer's virtualenv has the
package fails locally as it would on Databricks.

Sources (docs.databricks.com release notes, "System environment" / "Installed Python
libraries"): serverless environment version 4 (Python 3.12, Databricks Connect 17.2) and 3
(Databricks Connect 16.4); Databricks Runtime 17.3 LTS (Spark 4.0, Python 3.12). Databricks'
own base-image requirements for serverless list the same core: the Databricks Connect client
with grpcio, grpcio-status, protobuf, googleapis-common-protos and pyarrow; databricks-sdk;
mlflow-skinny; numpy, pandas, requests, python-dateutil, pytz, six, cryptography, zstandard.

The lists below are that core, a deliberate *subset* of what each compute documents: a
package left out only makes the local run stricter (the task must declare it), never more
permissive. The Spark client is stood in for by the local engine: ``pyspark`` and
``delta-spark`` (where Databricks has the Databricks Connect client or the cluster's Spark),
so the task can start the local Spark. Every name is pinned to the version installed in the
runner's own environment (the local engine's versions); a name not installed there is left
out, again the strict side.
"""

from __future__ import annotations

from importlib import metadata

# The local stand-in for the Spark the compute provides (see module docstring).
LOCAL_ENGINE = ("pyspark", "delta-spark")

_SPARK_CONNECT_CLIENT = ("grpcio", "grpcio-status", "protobuf", "googleapis-common-protos", "pyarrow")  # fmt: skip
_PLATFORM_CORE = (
    "databricks-sdk",
    "mlflow-skinny",
    "numpy",
    "pandas",
    "requests",
    "python-dateutil",
    "pytz",
    "six",
    "cryptography",
    "zstandard",
)

# Serverless environment version -> the packages it provides besides the local engine.
SERVERLESS_ENVIRONMENT_PACKAGES: dict[str, tuple[str, ...]] = {
    "3": _SPARK_CONNECT_CLIENT + _PLATFORM_CORE,
    "4": _SPARK_CONNECT_CLIENT + _PLATFORM_CORE,
}
# Databricks Runtime major.minor -> the packages it provides besides the local engine.
RUNTIME_PACKAGES: dict[str, tuple[str, ...]] = {
    "17.3": _SPARK_CONNECT_CLIENT + _PLATFORM_CORE,
}
# A version not listed above (or an existing cluster, whose runtime is not in the bundle):
# only what every compute has.
UNKNOWN_COMPUTE_PACKAGES = _SPARK_CONNECT_CLIENT + _PLATFORM_CORE


def compute_packages(kind: str, version: str | None) -> tuple[str, ...]:
    """The package names compute ``kind`` (``serverless`` / ``cluster``) at ``version``
    (environment version, or a cluster's ``spark_version``) provides, local engine first."""
    if kind == "serverless" and version is not None:
        provided = SERVERLESS_ENVIRONMENT_PACKAGES.get(str(version), UNKNOWN_COMPUTE_PACKAGES)
    elif kind == "cluster" and version is not None:
        major_minor = ".".join(str(version).split(".")[:2])
        provided = RUNTIME_PACKAGES.get(major_minor, UNKNOWN_COMPUTE_PACKAGES)
    else:
        provided = UNKNOWN_COMPUTE_PACKAGES
    return LOCAL_ENGINE + provided


def pinned(names: tuple[str, ...]) -> tuple[str, ...]:
    """``name==version`` for each name installed in this environment (others left out)."""
    requirements = []
    for name in names:
        try:
            requirements.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return tuple(requirements)
