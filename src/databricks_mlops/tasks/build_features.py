"""``mlops-build-features``: validated table -> fitted transforms -> feature table (MERGE).

``--refit=true`` learns the statistics again; by default the stored fitted state is reused
(and refitted automatically when there is none or the config's transforms changed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from databricks_mlops.tasks.arguments import parse_task_arguments, run_task

if TYPE_CHECKING:
    from databricks_mlops.config.features import FeatureConfig
    from databricks_mlops.feature_engineering.build import FeatureBuild


def run_build_features(config: FeatureConfig, *, refit: bool = False) -> FeatureBuild:
    """The stage itself (also called by ``MLOpsWorkflow``)."""
    from databricks_mlops.feature_engineering.build import build_feature_table
    from databricks_mlops.runtime import get_runtime

    built = build_feature_table(get_runtime(), config, refit=refit)
    return built


def main(argv: Sequence[str] | None = None, *, prog: str = "mlops-build-features") -> None:
    def body() -> None:
        from databricks_mlops.config.features import FeatureConfig

        args = parse_task_arguments(prog, argv, options=("refit",))
        refit = args.options["refit"].strip().lower() in ("true", "1", "yes")
        built = run_build_features(
            FeatureConfig.from_yaml(args.config, args.variables), refit=refit
        )
        written = built.write
        print(
            f"build_features: {written.operation} {written.name} version {written.version} -> "
            f"{written.row_count} rows ({written.rows_inserted} inserted, {written.rows_updated} "
            f"updated), {built.columns} columns; fitted state {built.state_hash} ({built.reason})"
        )

    run_task(body)
