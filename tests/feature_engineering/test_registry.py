"""User transforms: registered by decorator or by entry point, looked up by name."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from pyspark.sql import DataFrame

from databricks_mlops.config.features import FeatureConfig
from databricks_mlops.feature_engineering import (
    ENTRY_POINT_GROUP,
    FeatureEngineeringError,
    FeatureTransformer,
    UserTransform,
    get_transform,
    register_transform,
    registered_names,
    unregister_transform,
)

PLUGIN = """
import pandas as pd
from pyspark.sql import functions as F
from databricks_mlops.feature_engineering import UserTransform

class Doubled(UserTransform):
    def aggregates(self, source, options):
        return {"maximum": F.max(source.cast("double"))}

    def finish(self, aggregated, options):
        return {"cap": aggregated["maximum"] * 2}

    def apply_spark(self, source, state, options):
        # least() skips NULLs: guard so NULL stays NULL, as pandas' clip does.
        return F.when(source.isNotNull(), F.least(source.cast("double") * 2, F.lit(state["cap"])))

    def apply_pandas(self, source, state, options):
        return (pd.to_numeric(source).astype("float64") * 2).clip(upper=state["cap"])
"""


@pytest.fixture
def installed_plugin(tmp_path: Path) -> Iterator[str]:
    """A distribution on sys.path declaring one entry point, as `pip install` would leave it."""
    (tmp_path / "fe_plugin_pkg.py").write_text(textwrap.dedent(PLUGIN))
    dist_info = tmp_path / "fe_plugin_pkg-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fe-plugin-pkg\nVersion: 0.1\n"
    )
    (dist_info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\ndoubled = fe_plugin_pkg:Doubled\nbroken = fe_plugin_missing:Nope\n"
    )
    sys.path.insert(0, str(tmp_path))
    yield "doubled"
    sys.path.remove(str(tmp_path))
    sys.modules.pop("fe_plugin_pkg", None)
    unregister_transform("doubled")


def test_entry_point_is_loaded_only_when_asked_for(installed_plugin: str) -> None:
    assert {"doubled", "broken"} <= set(registered_names())
    assert "fe_plugin_pkg" not in sys.modules
    transform = get_transform(installed_plugin)
    assert type(transform).__name__ == "Doubled"
    assert "fe_plugin_pkg" in sys.modules


def test_entry_point_transform_runs_on_both_backends(
    installed_plugin: str,
    train_spark: DataFrame,
    apply_spark: DataFrame,
    apply_pandas: pd.DataFrame,
) -> None:
    config = FeatureConfig.model_validate(
        {
            "name": "plugin",
            "primary_keys": ["customer_id"],
            "timestamp_column": "signup_time",
            "transforms": {
                "tenure_x2": {"type": "custom", "name": installed_plugin, "source_column": "tenure"}
            },
        }
    )
    transformer = FeatureTransformer(config)
    state = transformer.fit(train_spark)
    assert state.fitted["tenure_x2"].custom_state == {"cap": 144.0}
    from_spark = {
        r["customer_id"]: r["tenure_x2"] for r in transformer.transform(apply_spark).collect()
    }
    from_pandas = transformer.transform(apply_pandas).set_index("customer_id")["tenure_x2"]
    assert from_spark[2] == from_pandas[2] == 68.0
    assert from_spark[10] is None
    assert pd.isna(from_pandas[10])


def test_a_broken_entry_point_says_which(installed_plugin: str) -> None:
    with pytest.raises(
        FeatureEngineeringError,
        match=r"Failed to load custom transform 'broken' from fe_plugin_missing:Nope: No module named",
    ):
        get_transform("broken")


def test_decorator_registers_a_class_or_an_instance() -> None:
    class Identity(UserTransform):
        def apply_spark(self, source, state, options):  # type: ignore[no-untyped-def]
            return source

        def apply_pandas(self, source, state, options):  # type: ignore[no-untyped-def]
            return source

    register_transform("identity_cls")(Identity)
    instance = Identity()
    register_transform("identity_obj")(instance)
    try:
        assert isinstance(get_transform("identity_cls"), Identity)
        assert get_transform("identity_obj") is instance
    finally:
        unregister_transform("identity_cls")
        unregister_transform("identity_obj")


def test_decorator_refuses_something_that_is_not_a_transform() -> None:
    with pytest.raises(TypeError, match=r"@register_transform\('nope'\) needs a UserTransform"):
        register_transform("nope")(object)  # type: ignore[type-var]


def test_unknown_name_lists_what_is_registered(center_on_mean: str) -> None:
    with pytest.raises(
        FeatureEngineeringError,
        match=r"unknown custom transform 'centre_on_mean' \(did you mean 'center_on_mean'\?\); registered: .*center_on_mean",
    ):
        get_transform("centre_on_mean")
