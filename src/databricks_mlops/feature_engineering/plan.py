"""Check a transform config against the columns it will read, before any Spark job runs.

Pure logic, shared by the Spark and pandas backends: which column each transform
reads, whether that column's kind suits the transform, what each transform writes, and
how the statistics a fit aggregated become a :class:`TransformState`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from databricks_mlops.config.features import (
    Binning,
    BooleanEncode,
    Clip,
    CustomTransform,
    DateParts,
    Log1p,
    NumericFillna,
    OneHotEncode,
    Scaling,
    TransformSpec,
)
from databricks_mlops.errors import did_you_mean
from databricks_mlops.feature_engineering.errors import FeatureEngineeringError
from databricks_mlops.feature_engineering.state import ColumnKind, TransformState
from databricks_mlops.feature_engineering.user_transforms import get_transform

NUMERIC_KINDS: frozenset[ColumnKind] = frozenset({"integer", "float", "decimal"})
# Learning more categories than this is almost always an id column by mistake.
MAX_LEARNED_CATEGORIES = 1000

# Kinds each built-in accepts; "null" (a column with no values, e.g. in a serving
# request) is accepted everywhere and gives NULL / zero outputs.
_ACCEPTED_KINDS: dict[type[Any], frozenset[ColumnKind]] = {
    NumericFillna: NUMERIC_KINDS,
    Scaling: NUMERIC_KINDS,
    Log1p: NUMERIC_KINDS,
    Clip: NUMERIC_KINDS,
    Binning: NUMERIC_KINDS,
    BooleanEncode: frozenset({"string", "boolean", "integer"}),
    OneHotEncode: frozenset({"string"}),
    DateParts: frozenset({"timestamp", "date"}),
}

_HINTS: dict[type[Any], str] = {
    OneHotEncode: "one-hot encode a string column, or bin the numbers first",
    BooleanEncode: "boolean_encode reads strings, booleans or integers",
    DateParts: "parse the column to a date or timestamp first",
}


@dataclass(frozen=True)
class PlannedTransform:
    """One configured transform resolved against the input's columns."""

    output: str
    spec: TransformSpec
    source: str
    source_kind: ColumnKind


def plan_transforms(
    transforms: Mapping[str, TransformSpec], kinds: Mapping[str, ColumnKind]
) -> list[PlannedTransform]:
    """Resolve every transform or raise one error listing every problem found."""
    problems: list[str] = []
    planned: list[PlannedTransform] = []
    for output, spec in transforms.items():
        source = spec.source_for(output)
        label = f"transform '{output}' ({spec.type})"
        if source not in kinds:
            problems.append(
                f"{label} reads column '{source}', which is not in the input"
                f"{did_you_mean(source, kinds)}"
            )
            continue
        kind = kinds[source]
        accepted = _ACCEPTED_KINDS.get(type(spec))
        if accepted is not None and kind != "null" and kind not in accepted:
            wanted = " or ".join(sorted(accepted))
            hint = _HINTS.get(type(spec), "cast the column first")
            problems.append(f"{label} needs a {wanted} column, but '{source}' is {kind}; {hint}")
            continue
        if isinstance(spec, CustomTransform):
            try:
                get_transform(spec.name)
            except FeatureEngineeringError as exc:
                problems.append(f"{label}: {exc}")
                continue
        planned.append(PlannedTransform(output, spec, source, kind))
    if problems:
        raise _problems_error(problems)
    return planned


def _problems_error(problems: list[str]) -> FeatureEngineeringError:
    if len(problems) == 1:
        return FeatureEngineeringError(problems[0])
    listing = "\n".join(f"  - {problem}" for problem in problems)
    return FeatureEngineeringError(
        f"{len(problems)} problems in the feature transforms:\n{listing}"
    )


def sanitise(category: str) -> str:
    """A column-name-safe form of a category: ``"Month-to-month"`` -> ``month_to_month``."""
    return re.sub(r"[^0-9a-zA-Z_]+", "_", category).strip("_").lower() or "blank"


def output_columns(plan: PlannedTransform, categories: list[str] | None = None) -> list[str]:
    """The columns ``plan`` writes (one-hot needs its categories)."""
    spec = plan.spec
    if isinstance(spec, OneHotEncode):
        if spec.output_columns:
            return list(spec.output_columns)
        assert categories is not None
        return [f"{plan.output}_{sanitise(category)}" for category in categories]
    if isinstance(spec, DateParts):
        return [f"{plan.output}_{part}" for part in spec.parts]
    return [plan.output]


def finish_transform(
    plan: PlannedTransform, values: Mapping[str, Any], custom_state: Mapping[str, Any]
) -> TransformState:
    """Turn aggregated values into the transform's state; data errors are raised here."""
    spec, source = plan.spec, plan.source
    statistics: dict[str, float] = {}
    categories: list[str] | None = None
    if isinstance(spec, NumericFillna):
        fill = spec.value if spec.strategy == "constant" else values["fill_value"]
        if fill is None:
            raise FeatureEngineeringError(
                f"column '{source}' has no non-null values to take the {spec.strategy} of "
                f"(transform '{plan.output}'); use strategy: constant with a value"
            )
        statistics["fill_value"] = float(fill)
    elif isinstance(spec, Scaling):
        statistics = _scaling_statistics(plan, spec, values)
    elif isinstance(spec, OneHotEncode):
        categories = _categories(plan, spec, values)
    return TransformState(
        source_column=source,
        output_columns=output_columns(plan, categories),
        statistics=statistics,
        categories=categories,
        custom_state=dict(custom_state),
    )


def _scaling_statistics(
    plan: PlannedTransform, spec: Scaling, values: Mapping[str, Any]
) -> dict[str, float]:
    source = plan.source
    if values["minimum"] is None:
        raise FeatureEngineeringError(
            f"column '{source}' has no non-null values; {spec.method} scaling "
            f"(transform '{plan.output}') has nothing to learn from"
        )
    statistics = {name: float(value) for name, value in values.items()}
    # min == max is the exact test; a standard deviation can round to a tiny non-zero.
    if statistics["minimum"] == statistics["maximum"]:
        raise FeatureEngineeringError(
            f"column {source} is constant; {spec.method} scaling would divide by zero "
            f"(transform '{plan.output}'); drop the transform or the column"
        )
    if not all(math.isfinite(value) for value in statistics.values()):
        raise FeatureEngineeringError(
            f"column '{source}' has infinite values; {spec.method} scaling "
            f"(transform '{plan.output}') needs finite ones (clip it first)"
        )
    return statistics


def _categories(plan: PlannedTransform, spec: OneHotEncode, values: Mapping[str, Any]) -> list[str]:
    if spec.categories is not None:
        return list(spec.categories)
    learned = sorted(str(value) for value in values["categories"] or [])
    if not learned:
        raise FeatureEngineeringError(
            f"column '{plan.source}' has no non-null values to learn one-hot categories from "
            f"(transform '{plan.output}'); list them in categories"
        )
    if len(learned) > MAX_LEARNED_CATEGORIES:
        raise FeatureEngineeringError(
            f"column '{plan.source}' has {len(learned)} distinct values, more than "
            f"{MAX_LEARNED_CATEGORIES}; one-hot encoding it (transform '{plan.output}') is "
            f"probably a mistake: list the categories to keep"
        )
    if spec.output_columns and len(spec.output_columns) != len(learned):
        raise FeatureEngineeringError(
            f"transform '{plan.output}' names {len(spec.output_columns)} output_columns, but "
            f"column '{plan.source}' has {len(learned)} categories {learned}; give one output "
            f"column per category, or list the categories"
        )
    return learned


def bin_labels(spec: Binning) -> list[str]:
    """The given labels, or the intervals themselves: ``[0.0, 50.0)`` ... ``[150.0, inf]``."""
    if spec.labels is not None:
        return list(spec.labels)
    edges = spec.bins
    return [
        f"[{low}, {high}{']' if i == len(edges) - 2 else ')'}"
        for i, (low, high) in enumerate(pairwise(edges))
    ]


def check_unique_outputs(fitted: Mapping[str, TransformState]) -> None:
    """Two transforms writing one column would silently lose one of them."""
    writer: dict[str, str] = {}
    for key, state in fitted.items():
        for column in state.output_columns:
            if column in writer:
                raise FeatureEngineeringError(
                    f"transforms '{writer[column]}' and '{key}' both write column '{column}'; "
                    f"rename one (or set one-hot output_columns)"
                )
            writer[column] = key
