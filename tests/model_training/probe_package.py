"""A throwaway project package with a custom transform, and models logged with it.

Stands in for a generated project's ``features.py``: a package on disk (under a test's
temporary directory) that registers a ``UserTransform`` on import, optionally with a
``.dist-info`` beside it (an editable install: ``direct_url.json`` and the
``databricks_mlops.transforms`` entry point, as ``uv sync`` installs the project).
"""

from __future__ import annotations

import importlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd
from pyspark.sql import SparkSession
from sklearn.linear_model import LogisticRegression

from databricks_mlops.config.features import FeatureConfig
from databricks_mlops.datasets import generate_churn
from databricks_mlops.feature_engineering import FeatureTransformer, FittedFeatureState
from databricks_mlops.model_training import tracking
from databricks_mlops.model_training.pyfunc_model import (
    FEATURE_STATE_ARTIFACT,
    FeaturePipelineModel,
)
from databricks_mlops.model_training.serialization import save_estimator
from databricks_mlops.runtime import get_runtime

RAW = ["tenure", "monthly_charges"]
FEATURES = ["tenure", "monthly_charges", "tenure_ratio"]

_SOURCE = '''"""Probe transform: value / mean(value)."""
from databricks_mlops.feature_engineering import UserTransform, register_transform
{module_imports}

@register_transform("{name}")
class ProbeRatio(UserTransform):
    def aggregates(self, source, options):
        from pyspark.sql import functions as F

        return {{"mean": F.avg(source)}}

    def apply_spark(self, source, state, options):
        from pyspark.sql import functions as F

        return source.cast("double") / F.lit(float(state["mean"]))

    def apply_pandas(self, source, state, options):
        {lazy_imports}
        return source.astype("float64") / float(state["mean"])
'''


@dataclass(frozen=True)
class ProbeModel:
    name: str
    version: str
    uri: str
    rows: pd.DataFrame
    expected: pd.DataFrame  # what the model answers for ``rows``, computed in-process


def write_probe_package(
    root: Path,
    package: str,
    *,
    module_imports: str = "",
    lazy_imports: str = "pass",
    dist_info: bool = False,
) -> str:
    """Write ``root/package`` (registering transform ``<package>_ratio``); returns its name."""
    name = f"{package}_ratio"
    (root / package).mkdir(parents=True)
    (root / package / "__init__.py").write_text(
        _SOURCE.format(name=name, module_imports=module_imports, lazy_imports=lazy_imports)
    )
    if dist_info:
        info = root / f"{package}-0.1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.1.0\n")
        (info / "top_level.txt").write_text(f"{package}\n")
        (info / "RECORD").write_text(f"{package}/__init__.py,,\n")
        (info / "entry_points.txt").write_text(
            f"[databricks_mlops.transforms]\n{name} = {package}:ProbeRatio\n"
        )
        (info / "direct_url.json").write_text(
            json.dumps({"url": (root / package).as_uri(), "dir_info": {"editable": True}})
        )
    return name


def fit_probe_state(
    spark: SparkSession, transform: str, rows: int = 400
) -> tuple[FittedFeatureState, pd.DataFrame]:
    frame = generate_churn(rows, 3)[["customer_id", *RAW, "churn"]].copy()
    config = FeatureConfig.model_validate(
        {
            "feature_table_name": "main.probe.features",
            "primary_keys": ["customer_id"],
            "feature_transformations": {
                "tenure_ratio": {"type": "custom", "name": transform, "source_column": "tenure"}
            },
        }
    )
    state = FeatureTransformer(config).fit(spark.createDataFrame(frame))
    return state, frame


def log_probe_model(
    spark: SparkSession,
    package: str,
    transform: str,
    model_name: str,
    workdir: Path,
    *,
    ship_code: bool = True,
    extra_requirements: list[str] | None = None,
    transform_in_process: bool = True,
) -> ProbeModel:
    """Fit, log and register a classifier over the probe transform's output.

    ``ship_code=True`` logs it the framework's way (``log_feature_pipeline_model``);
    ``False`` logs it as before models carried their code: the framework's package and
    requirements, the transform's import path, but not the transform's package.
    ``transform_in_process=False`` is for a transform that cannot run in this process
    (it imports a package only the model's requirements provide): no signature then.
    """
    importlib.import_module(package)
    state, frame = fit_probe_state(spark, transform)
    transformer = FeatureTransformer.from_state(state)
    if transform_in_process:
        features = transformer.transform(frame[["customer_id", *RAW]])
    else:
        features = frame[RAW].assign(tenure_ratio=frame["tenure"] / frame["tenure"].mean())
    estimator = LogisticRegression(max_iter=500).fit(features[FEATURES], frame["churn"])
    rows = frame[RAW].head(8).reset_index(drop=True)
    mean = float(str(state.fitted["tenure_ratio"].custom_state["mean"]))
    scored = rows.assign(tenure_ratio=rows["tenure"] / mean)[FEATURES]
    expected = pd.DataFrame({"prediction": estimator.predict(scored)})
    # With the runtime's artifact location (a bare set_experiment writes ./mlruns).
    tracking.ensure_experiment(get_runtime(), f"/tests/{model_name}")
    with mlflow.start_run():
        if ship_code:
            uri = tracking.log_feature_pipeline_model(
                estimator=estimator,
                feature_state=state,
                feature_columns=FEATURES,
                classification=True,
                input_example=rows.head(3) if transform_in_process else None,
                workdir=workdir,
                extra_requirements=extra_requirements,
            )
        else:
            uri = _log_without_project_code(estimator, state, transform, package, rows, workdir)
    version = mlflow.register_model(uri, model_name).version
    return ProbeModel(model_name, str(version), f"models:/{model_name}/{version}", rows, expected)


def _log_without_project_code(
    estimator: LogisticRegression,
    state: FittedFeatureState,
    transform: str,
    package: str,
    rows: pd.DataFrame,
    workdir: Path,
) -> str:
    import databricks_mlops

    artifacts = save_estimator(estimator, workdir / "estimator")
    state_file = workdir / "feature_state.json"
    state_file.write_text(state.model_dump_json(), encoding="utf-8")
    artifacts[FEATURE_STATE_ARTIFACT] = str(state_file)
    framework = workdir / "code" / "databricks_mlops"
    shutil.copytree(
        Path(databricks_mlops.__file__).parent,
        framework,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    with tracking._without_uv_project_files():
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=FeaturePipelineModel(FEATURES, True, {transform: f"{package}:ProbeRatio"}),
            artifacts=artifacts,
            pip_requirements=tracking.model_requirements(),
            code_paths=[str(framework)],
            input_example=rows.head(3),
        )
    return str(info.model_uri)
