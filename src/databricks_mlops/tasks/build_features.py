"""``mlops-build-features``: validated table -> fitted transforms -> feature table (MERGE)."""

from __future__ import annotations

from collections.abc import Sequence

from databricks_mlops.tasks.arguments import parse_task_arguments, run_task


def main(argv: Sequence[str] | None = None) -> None:
    def body() -> None:
        from databricks_mlops.errors import ConfigError
        from databricks_mlops.feature_engineering import FeatureTransformer
        from databricks_mlops.feature_engineering.feature_table import write_feature_table
        from databricks_mlops.feature_engineering.storage import save_state, select_feature_columns
        from databricks_mlops.models.features import FeatureConfig
        from databricks_mlops.runtime import get_runtime
        from databricks_mlops.runtime.task_values import set_task_value

        args = parse_task_arguments("mlops-build-features", argv)
        config = FeatureConfig.from_yaml(args.config, args.variables)
        if config.source_table is None:
            raise ConfigError(f"{args.config}: source_table is required by the feature job")
        runtime = get_runtime()
        source = runtime.read_delta(config.source_table)
        transformer = FeatureTransformer(config)
        state = transformer.fit(source)
        features = select_feature_columns(transformer.transform(source), state, config.features)
        written = write_feature_table(runtime, features, config, config.feature_table_name)
        state_changed = save_state(runtime, config.feature_table_name, state)
        set_task_value("feature_table", written.name)
        set_task_value("feature_table_version", written.version)
        print(
            f"build_features: {written.operation} {written.name} -> {written.row_count} rows "
            f"({written.rows_inserted} inserted, {written.rows_updated} updated), "
            f"{len(features.columns)} columns; fitted state {'updated' if state_changed else 'unchanged'}"
        )

    run_task(body)
