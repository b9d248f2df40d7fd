"""One validation run of a stage's table: validate, quarantine, record, report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from databricks_mlops.expressions import schema_from_spark
from databricks_mlops.models.data import DataConfig
from databricks_mlops.runtime import Runtime
from databricks_mlops.validation.results import ValidationResult
from databricks_mlops.validation.rules import prepare_rules
from databricks_mlops.validation.table_outputs import (
    default_runs_table,
    quarantine_rows,
    record_run,
    write_report,
)


@dataclass(frozen=True)
class ValidationRun:
    result: ValidationResult
    report_path: Path
    quarantined: int
    data_docs: Path | None = None


def run_validation(runtime: Runtime, config: DataConfig, *, run_id: str) -> ValidationRun:
    settings = config.validation
    target = config.destination_path
    version = int(runtime.delta_table(target).history(1).collect()[0]["version"])
    # Pinned to the version recorded below, whatever is committed meanwhile.
    df = runtime.read_delta(target, version=version)
    report_dir = Path(runtime.file_path(settings.report_dir or "dbfs:/mlops/validation")) / _safe(
        target
    )
    data_docs: Path | None = None
    if settings.engine == "great_expectations":
        from databricks_mlops.validation.gx_engine import validate_with_gx

        gx = validate_with_gx(
            df,
            config.validation_rules,
            settings.expectations,
            data_docs_dir=report_dir / "data_docs",
        )
        result, data_docs = gx.result, gx.data_docs_index
    else:
        from databricks_mlops.validation.spark_engine import validate_spark

        result = validate_spark(
            df, config.validation_rules, sample_failures=settings.sample_failures
        )
    quarantined = 0
    to_hold = {r.name for r in config.validation_rules if r.quarantine and _failed(result, r.name)}
    if to_hold:
        prepared = prepare_rules(config.validation_rules, schema_from_spark(df.schema))
        quarantined = quarantine_rows(runtime, target, df, prepared, run_id)
        result = result.model_copy(
            update={
                "rule_results": [
                    r.model_copy(update={"outcome": "quarantined"}) if r.name in to_hold else r
                    for r in result.rule_results
                ]
            }
        )
    record_run(
        runtime,
        result,
        target=target,
        table_version=version,
        run_id=run_id,
        runs_table=settings.results_table or default_runs_table(target),
    )
    report = write_report(result, report_dir / f"{run_id}.json", run_id=run_id, target=target)
    return ValidationRun(result, report, quarantined, data_docs)


def _failed(result: ValidationResult, name: str) -> bool:
    return any(r.name == name and r.outcome == "failed" for r in result.rule_results)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
