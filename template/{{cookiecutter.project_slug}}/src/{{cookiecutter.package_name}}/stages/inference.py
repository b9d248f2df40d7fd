"""The batch_inference job: ``score`` (configs/inference.yml)."""

from __future__ import annotations

from collections.abc import Sequence

from databricks_mlops.tasks.arguments import parse_task_arguments, run_task


def score(argv: Sequence[str] | None = None) -> None:
    """``{{ cookiecutter.project_slug }}-score``: score the input table with ``@champion`` on Spark and
    append the predictions to the inference log (what monitoring reads)."""

    def body() -> None:
        from databricks_mlops.deployment.batch import score_table
        from databricks_mlops.models.deployment import BatchInferenceConfig
        from databricks_mlops.runtime import get_runtime

        args = parse_task_arguments("{{ cookiecutter.project_slug }}-score", argv)
        config = BatchInferenceConfig.from_yaml(args.config, args.variables)
        scoring = score_table(get_runtime(), config)
        print(
            f"score: {scoring.rows_scored} rows of {config.input_table} scored with "
            f"{scoring.model_uri} into {scoring.log_table}"
        )

    run_task(body)
