"""One validation run of a stage's table: validate, quarantine, publish, record, report.

A staged batch (``staged``) is validated where it waits and published only when no
ERROR rule failed, without its quarantined rows; on a failure the destination is not
touched. Without one, the destination is validated in place (quarantine then deletes
the held rows from it), which is all that can be done for data already published.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import DataFrame

from databricks_mlops.config.data import AddIngestionTimestamp, DataConfig
from databricks_mlops.errors import ValidationFailedError
from databricks_mlops.runtime import Runtime
from databricks_mlops.runtime.locations import path_segment, volume_root_of
from databricks_mlops.validation.results import ValidationResult
from databricks_mlops.validation.spark_engine import SparkRule, spark_rules
from databricks_mlops.validation.table_outputs import (
    content_hash,
    default_runs_table,
    quarantine_rows,
    record_run,
    write_report,
)


@dataclass(frozen=True)
class StagedInput:
    """A batch waiting in a staging table, and how to publish it once it passes."""

    location: str
    version: int
    # Writes the passing rows to the destination; returns the destination's new version.
    publish: Callable[[DataFrame], int]
    # The destination's version when the batch was staged (None: not created yet): what
    # it stays at when the batch is rejected.
    destination_version: int | None = None


@dataclass(frozen=True)
class ValidationRun:
    result: ValidationResult
    report_path: Path
    quarantined: int
    data_docs: Path | None = None
    # The table and version the rules ran on (the staging table for a staged batch).
    validated: str = ""
    validated_version: int | None = None
    # The destination version this run published; None when it published nothing.
    published_version: int | None = None
    # The destination table, and for a staged batch (``staged``) its version before it.
    destination: str = ""
    staged: bool = False
    destination_version: int | None = None

    def raise_for_errors(self) -> None:
        """Raise :class:`ValidationFailedError` naming the ERROR rules that failed, and for
        a staged batch what was left untouched; WARNING and quarantined rules pass."""
        if self.result.passed:
            return
        errors = self.result.errors
        names = ", ".join(r.name for r in errors)
        unchanged = ""
        if self.staged:
            kept = (
                f"stays at version {self.destination_version}"
                if self.destination_version is not None
                else "was not created"
            )
            unchanged = (
                f"; nothing was published: {self.destination} {kept}, the rejected "
                f"batch stays in {self.validated} version {self.validated_version}"
            )
        raise ValidationFailedError(
            f"{len(errors)} ERROR rule(s) failed on "
            f"{self.destination}: {names}{unchanged} (details: {self.report_path})"
        )


def run_validation(
    runtime: Runtime, config: DataConfig, *, run_id: str, staged: StagedInput | None = None
) -> ValidationRun:
    settings = config.validation
    target = config.destination_path
    source = staged.location if staged is not None else target
    version = (
        staged.version
        if staged is not None
        else int(runtime.delta_history(target, 1).collect()[0]["version"])
    )
    # Pinned to the version recorded below, whatever is committed meanwhile.
    df = runtime.read_delta(source, version=version)
    report_dir = Path(runtime.file_path(default_report_dir(config))) / path_segment(target)
    data_docs: Path | None = None
    # The engine parses, type-checks and compiles each rule once; its result already says
    # "quarantined" for the quarantine rules whose failing rows are held back below, with
    # the Columns the engine counted them with.
    rules: list[SparkRule]
    if settings.engine == "great_expectations":
        from databricks_mlops.validation.gx_engine import validate_with_gx

        gx = validate_with_gx(
            df,
            config.validation_rules,
            settings.expectations,
            data_docs_dir=report_dir / "data_docs",
            quarantine=True,
        )
        result, data_docs = gx.result, gx.data_docs_index
        # GX ran them as SQL; only the quarantine rules need a Column, from GX's parse.
        rules = spark_rules(
            [rule for rule in gx.rules if rule.rule.quarantine], column_count=len(df.columns)
        )
    else:
        from databricks_mlops.validation.spark_engine import check_spark

        checked = check_spark(
            df, config.validation_rules, sample_failures=settings.sample_failures, quarantine=True
        )
        result, rules = checked.result, checked.rules
    quarantined = 0
    passing = df
    held_rules = {r.name for r in result.rule_results if r.outcome == "quarantined"}
    to_hold = [rule for rule in rules if rule.rule.name in held_rules]
    if to_hold:
        held = quarantine_rows(
            runtime,
            target,
            df,
            to_hold,
            run_id,
            input_hash=content_hash(df, exclude=_ingestion_timestamps(config)),
            remove_from=None if staged is not None else target,
        )
        if held is not None:
            quarantined = held.rows
            passing = df.where(~held.failing)
    published: int | None = None
    try:
        if staged is not None and result.passed:
            published = staged.publish(passing)
    finally:
        # Recorded whatever happened: a failed run is quality history too.
        record_run(
            runtime,
            result,
            target=target,
            table_version=published if staged is not None else version,
            run_id=run_id,
            runs_table=settings.results_table or default_runs_table(target),
        )
        report = write_report(
            result,
            report_dir / f"{run_id}.json",
            run_id=run_id,
            target=target,
            extra={
                "validated": {"table": source, "version": version},
                "published_version": published,
            },
        )
    return ValidationRun(
        result,
        report,
        quarantined,
        data_docs,
        validated=source,
        validated_version=version,
        published_version=published,
        destination=target,
        staged=staged is not None,
        destination_version=staged.destination_version if staged is not None else None,
    )


def default_report_dir(config: DataConfig) -> str:
    """``validation.report_dir``, else ``reports/validation`` in the source's volume (the
    job reads from it, so it exists in every target), else the DBFS root, which only
    classic compute can write (serverless refuses it with a ConfigError)."""
    if config.validation.report_dir:
        return config.validation.report_dir
    volume = volume_root_of(config.source_path)
    return f"{volume}/reports/validation" if volume else "dbfs:/mlops/validation"


def _ingestion_timestamps(config: DataConfig) -> set[str]:
    """Columns that differ on every run of the same input (``add_ingestion_timestamp``)."""
    return {
        step.column
        for step in config.transformation_steps
        if isinstance(step, AddIngestionTimestamp)
    }
