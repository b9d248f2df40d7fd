"""Where are we running? Decided once, here, and nowhere else.

Order of precedence:
1. ``MLOPS_RUNTIME`` = ``local`` | ``connect`` | ``databricks`` forces a choice;
2. ``DATABRICKS_RUNTIME_VERSION`` is set on every Databricks cluster and serverless
   compute: use the cluster's own Spark session and the workspace's MLflow;
3. ``databricks-connect`` importable *and* a workspace configured (``DATABRICKS_HOST``
   or ``DATABRICKS_CONFIG_PROFILE``): a remote Spark session from this machine;
4. otherwise the embedded local default (local Spark + Delta, sqlite MLflow).
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from databricks_mlops.errors import RuntimeSetupError

RuntimeKind = Literal["databricks", "connect", "local"]
_KINDS: tuple[RuntimeKind, ...] = ("databricks", "connect", "local")


@dataclass(frozen=True)
class Environment:
    kind: RuntimeKind
    reason: str

    @property
    def is_local(self) -> bool:
        return self.kind == "local"


def _connect_installed() -> bool:
    try:
        return importlib.util.find_spec("databricks.connect") is not None
    except ModuleNotFoundError:  # the `databricks` namespace itself is absent
        return False


@lru_cache(maxsize=1)
def detect_environment() -> Environment:
    """Decide the runtime from the process environment (cached for the process)."""
    forced = os.environ.get("MLOPS_RUNTIME", "").strip().lower()
    if forced:
        if forced not in _KINDS:
            raise RuntimeSetupError(f"MLOPS_RUNTIME={forced!r} is not one of {', '.join(_KINDS)}")
        kind = next(k for k in _KINDS if k == forced)  # narrows str to RuntimeKind
        return Environment(kind, f"MLOPS_RUNTIME={forced}")
    if os.environ.get("DATABRICKS_RUNTIME_VERSION"):
        version = os.environ["DATABRICKS_RUNTIME_VERSION"]
        return Environment("databricks", f"on Databricks compute (runtime {version})")
    configured = os.environ.get("DATABRICKS_HOST") or os.environ.get("DATABRICKS_CONFIG_PROFILE")
    if configured and _connect_installed():
        return Environment("connect", f"databricks-connect installed and workspace {configured}")
    return Environment("local", "no Databricks compute or Databricks Connect configuration found")


def is_serverless_runtime_version(version: str) -> bool:
    """Serverless compute reports ``DATABRICKS_RUNTIME_VERSION`` as ``client.<env>.<n>``
    (the Spark Connect client it runs), classic clusters as ``17.3`` and the like."""
    return version.strip().lower().startswith("client.")
