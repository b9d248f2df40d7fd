"""Great Expectations 1.x as a second validation backend, for its Data Docs HTML.

The rules are the same as for the native validator and so are the counts: each rule
becomes one expectation that fails on exactly the rows where the rule is not TRUE (how
each rule maps to GX is in ``gx_checks``). GX runs in an *ephemeral* context (nothing
is written unless Data Docs are asked for), with one data source, one whole-dataframe
batch, one suite and one validation definition, built afresh on every call.

``great_expectations`` takes seconds to import, so it is imported inside the functions.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from databricks_mlops.config.validation import GxExpectation, ValidationRule
from databricks_mlops.errors import MLOpsError
from databricks_mlops.validation import gx_checks
from databricks_mlops.validation.gx_checks import META_KEY, PlannedCheck
from databricks_mlops.validation.results import (
    RuleOutcome,
    RuleResult,
    ValidationResult,
    rule_outcome,
)

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations.data_context.data_context.abstract_data_context import (
        AbstractDataContext,
    )

    from databricks_mlops.validation.rules import PreparedRule

DOCS_SITE = "databricks_mlops"
_ROW_COUNT_PROBE = "probe:row_count"
# BASIC carries the counts we need and a short list of unexpected values for Data Docs.
_RESULT_FORMAT: Final = "BASIC"


class GreatExpectationsError(MLOpsError):
    """Great Expectations could not set up or run a validation."""


@dataclass(frozen=True)
class GxOutcome:
    """What a GX run found, in our terms and in GX's."""

    # engine="great_expectations"; one RuleResult per rule, then one per native expectation.
    result: ValidationResult
    # GX's own verdict: every expectation met, whatever its severity (``result.passed``
    # only fails on ERROR rules).
    success: bool
    # ``index.html`` of the Data Docs site, when ``data_docs_dir`` was given.
    data_docs_index: Path | None
    # The rules as parsed and type-checked for this run (quarantine compiles them from here).
    rules: list[PreparedRule]
    # GX's validation result, JSON-ready (``ExpectationSuiteValidationResult.to_json_dict``).
    gx_result: dict[str, Any] = field(repr=False)


def validate_with_gx(
    df: Any,
    rules: Sequence[ValidationRule],
    expectations: Sequence[GxExpectation] = (),
    *,
    data_docs_dir: Path | None = None,
    suite_name: str = "databricks_mlops",
    quarantine: bool = False,
) -> GxOutcome:
    """Validate a Spark or pandas DataFrame with Great Expectations.

    Rules are type-checked against the schema before GX is touched, so a typo in a rule
    is an ``ExpressionError`` and an unknown expectation name a ``ConfigError``, as with
    the native validator; anything GX itself fails on is a ``GreatExpectationsError``.
    With ``quarantine`` the caller holds back the failing rows of ``quarantine: true``
    rules, which then report "quarantined".
    """
    started = time.perf_counter()
    is_pandas = type(df).__module__.startswith("pandas.")
    prepared, checks, batch = _plan(df, rules, expectations, is_pandas=is_pandas)
    try:
        context = _ephemeral_context(data_docs_dir)
        raw = _run_suite(context, batch, checks, suite_name=suite_name, is_pandas=is_pandas)
    except MLOpsError:
        raise
    except Exception as exc:  # GX raises many unrelated types; all are failures of this run
        raise GreatExpectationsError(
            f"Failed to run the Great Expectations suite {suite_name!r}: {exc}"
        ) from exc

    results_by_key = _results_by_key(raw)
    total_rows = (
        len(df) if is_pandas else int(results_by_key[_ROW_COUNT_PROBE].result["observed_value"])
    )
    rule_results = [
        _rule_result(check, results_by_key[check.key], total_rows, quarantine=quarantine)
        for check in checks
    ]
    docs_index = _build_data_docs(context, data_docs_dir) if data_docs_dir is not None else None
    return GxOutcome(
        result=ValidationResult(
            total_rows=total_rows,
            rule_results=rule_results,
            engine="great_expectations",
            duration_seconds=time.perf_counter() - started,
        ),
        success=bool(raw.success),
        data_docs_index=docs_index,
        rules=prepared,
        gx_result=raw.to_json_dict(),
    )


def _plan(
    df: Any,
    rules: Sequence[ValidationRule],
    expectations: Sequence[GxExpectation],
    *,
    is_pandas: bool,
) -> tuple[list[PreparedRule], list[PlannedCheck], Any]:
    """The prepared rules, the checks to run and the frame GX should see (pandas gets one
    column per rule)."""
    from databricks_mlops.expressions import schema_from_pandas, schema_from_spark
    from databricks_mlops.validation.rules import prepare_rules

    schema = schema_from_pandas(df) if is_pandas else schema_from_spark(df.schema)
    prepared = prepare_rules(rules, schema)
    checks: list[PlannedCheck] = []
    batch = df
    if is_pandas:
        flag_columns: list[pd.Series] = []
        for index, rule in enumerate(prepared):
            check, flags = gx_checks.plan_rule_pandas(index, rule, df)
            checks.append(check)
            if flags is not None:
                flag_columns.append(flags)
        if flag_columns:
            # A new frame: the caller's DataFrame is never modified.
            batch = df.assign(**{str(flags.name): flags for flags in flag_columns})
    else:
        column_count = len(df.columns)
        checks.extend(
            gx_checks.plan_rule_spark(index, rule, column_count)
            for index, rule in enumerate(prepared)
        )
    names = gx_checks.native_names(expectations)
    checks.extend(
        gx_checks.plan_native(index, spec, name)
        for index, (spec, name) in enumerate(zip(expectations, names, strict=True))
    )
    return prepared, checks, batch


def _ephemeral_context(data_docs_dir: Path | None) -> AbstractDataContext:
    """An in-memory GX context: no project directory, no analytics, no progress bars."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites: dict[str, Any] = {}
    if data_docs_dir is not None:
        sites[DOCS_SITE] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(data_docs_dir.resolve()),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites=sites,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _run_suite(
    context: AbstractDataContext,
    batch: Any,
    checks: Sequence[PlannedCheck],
    *,
    suite_name: str,
    is_pandas: bool,
) -> Any:
    import great_expectations as gx

    if is_pandas:
        pandas_asset = context.data_sources.add_pandas(name=f"{suite_name}_pandas")
        batch_definition = pandas_asset.add_dataframe_asset(
            name="dataframe"
        ).add_batch_definition_whole_dataframe("whole_dataframe")
    else:
        spark_source = context.data_sources.add_spark(name=f"{suite_name}_spark")
        batch_definition = spark_source.add_dataframe_asset(
            name="dataframe"
        ).add_batch_definition_whole_dataframe("whole_dataframe")

    suite = context.suites.add(gx.ExpectationSuite(name=suite_name))
    for check in checks:
        suite.add_expectation(check.expectation)
    if not is_pandas:
        # UnexpectedRowsExpectation reports counts, not the batch size; GX shares this
        # table.row_count metric with any other expectation that needs it.
        suite.add_expectation(
            gx_checks.new_expectation(
                "ExpectTableRowCountToBeBetween",
                min_value=0,
                description="rows in the batch (a probe for the totals, always met)",
                meta={META_KEY: _ROW_COUNT_PROBE},
            )
        )
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{suite_name}_validation", data=batch_definition, suite=suite)
    )
    return definition.run(batch_parameters={"dataframe": batch}, result_format=_RESULT_FORMAT)


def _results_by_key(raw: Any) -> dict[str, Any]:
    """GX reorders results; each carries the key we put in its expectation's meta."""
    by_key: dict[str, Any] = {}
    for result in raw.results:
        key = (result.expectation_config.meta or {}).get(META_KEY)
        problem = _raised(result.exception_info)
        if problem is not None:
            what = result.expectation_config.description or result.expectation_config.type
            raise GreatExpectationsError(f"Failed to evaluate the expectation {what!r}: {problem}")
        if key is not None:
            by_key[key] = result
    return by_key


def _raised(exception_info: Mapping[str, Any] | None) -> str | None:
    """GX's exception_info is one record, or one per metric that failed to compute."""
    if not exception_info:
        return None
    records = (
        [exception_info] if "raised_exception" in exception_info else list(exception_info.values())
    )
    for record in records:
        if isinstance(record, Mapping) and record.get("raised_exception"):
            return str(record.get("exception_message") or "unknown error")
    return None


def _rule_result(
    check: PlannedCheck, gx_result: Any, total_rows: int, *, quarantine: bool
) -> RuleResult:
    measured: Mapping[str, Any] = gx_result.result or {}
    success = bool(gx_result.success)
    failed, total = check.read(measured, success, total_rows)
    outcome: RuleOutcome
    if check.verdict_from_gx:
        outcome = "passed" if success else "failed"
        dataset_level = "element_count" not in measured
    else:
        outcome = rule_outcome(failed=failed, quarantined=quarantine and check.quarantine)
        dataset_level = check.dataset_level
    return RuleResult(
        name=check.name,
        severity=check.severity,
        condition=check.condition,
        dataset_level=dataset_level,
        failed_count=failed,
        total_count=total,
        outcome=outcome,
    )


def _build_data_docs(context: AbstractDataContext, data_docs_dir: Path) -> Path:
    try:
        context.build_data_docs(site_names=[DOCS_SITE])
    except Exception as exc:  # rendering and filesystem errors alike
        raise GreatExpectationsError(
            f"Failed to build Great Expectations Data Docs in {data_docs_dir}: {exc}"
        ) from exc
    index = data_docs_dir.resolve() / "index.html"
    if not index.is_file():
        raise GreatExpectationsError(
            f"Failed to build Great Expectations Data Docs: {index} was not written"
        )
    return index
