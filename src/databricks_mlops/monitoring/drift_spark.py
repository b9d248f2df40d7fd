"""The Spark side of drift: input checks and the two aggregations (see ``drift``).

Everything here works on DataFrames and returns small Python objects (quantiles, value
sets, histogram counts); the statistics are computed from those in ``drift``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any, Literal

from databricks_mlops.config.monitoring import DriftConfig
from databricks_mlops.errors import did_you_mean
from databricks_mlops.monitoring.errors import DriftError as DriftError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from pyspark.sql import Column, DataFrame

    Edges = NDArray[np.float64]

__all__ = [
    "GRID_BINS",
    "MAX_CATEGORIES",
    "MIN_QUANTILE_SAMPLE",
    "QUANTILE_ACCURACY",
    "QUANTILE_BINS",
    "QUANTILE_SAMPLE_FRACTION",
    "DriftError",
    "FeatureKind",
    "edges_from_summary",
    "has_atoms",
    "histogram_counts",
    "require_spark_frames",
    "resolve_features",
    "summarise",
    "union_sides",
]

FeatureKind = Literal["numeric", "categorical"]

QUANTILE_BINS = 1000
GRID_BINS = 1000
# percentile_approx's accuracy: its rank error is 1/accuracy, half a quantile bin.
QUANTILE_ACCURACY = 2 * QUANTILE_BINS
# The quantiles only place the bucket edges: the counting pass counts every row, and the
# error bounds come from those counts. So they are taken from a Bernoulli sample, which
# makes percentile_approx (inserting each value into its summary) ~2.5x cheaper at 2e6
# rows (2.47 s -> 0.98 s for 4 features here). With fewer than MIN_QUANTILE_SAMPLE sampled values the quantiles are
# taken again, over up to 2 * MIN_QUANTILE_SAMPLE rows (all rows below that size): with
# >= 100 sampled values per 0.1% bin, a bucket rarely holds more than ~0.15% of a side.
QUANTILE_SAMPLE_FRACTION = 0.1
MIN_QUANTILE_SAMPLE = 100_000
_SAMPLE_SEED = 20_260_101
MAX_CATEGORIES = 1000
_SIDE = "__drift_side"
_KEY = "__drift_key"


# ---------------------------------------------------------------------------- inputs


def require_spark_frames(reference: object, current: object) -> None:
    """Both sides must be Spark DataFrames (classic or Connect): say so, and how to get one,
    rather than fail later on a missing attribute."""
    from pyspark.sql import DataFrame

    for side, frame in (("reference", reference), ("current", current)):
        if isinstance(frame, DataFrame):
            continue
        kind = type(frame)
        if kind.__module__.startswith("pyspark.pandas"):
            what, fix = "a pandas-on-Spark DataFrame", f"convert it with {side}.to_spark()"
        elif kind.__module__.split(".")[0] == "pandas" and kind.__name__ == "DataFrame":
            what, fix = "a pandas DataFrame", f"convert it with spark.createDataFrame({side}_pdf)"
        else:
            what = f"a {kind.__module__}.{kind.__qualname__}"
            fix = "read a table with spark.table(name), or local data with spark.createDataFrame"
        raise DriftError(f"compute_drift takes Spark DataFrames: the {side} is {what}; {fix}")


def resolve_features(
    reference: DataFrame,
    current: DataFrame,
    config: DriftConfig,
    features: Sequence[str] | None,
    categorical: Collection[str] | None,
) -> list[tuple[str, FeatureKind]]:
    from pyspark.sql.types import BooleanType, NullType, NumericType, StringType

    names = list(dict.fromkeys(features if features is not None else config.features))
    if not names:
        raise DriftError(
            "No features to compare for drift: set data_drift_detection.features in the "
            "monitoring config or pass features=[...] to compute_drift"
        )
    for side, frame in (("reference", reference), ("current", current)):
        columns = frame.columns
        for name in [*names, *(categorical or ())]:
            if name not in columns:
                raise DriftError(
                    f"Drift feature {name!r} is not a column of the {side} data"
                    f"{did_you_mean(name, columns)}; columns: {', '.join(columns)}"
                )
    forced = set(categorical or ())
    ref_types = {field.name: field.dataType for field in reference.schema.fields}
    cur_types = {field.name: field.dataType for field in current.schema.fields}
    resolved: list[tuple[str, FeatureKind]] = []
    for name in names:
        kinds: list[FeatureKind] = []
        dtypes = [ref_types[name], cur_types[name]]
        # A column of only nulls built without a schema is typed void: it takes the other
        # side's type (and is numeric when both are void).
        known = [d for d in dtypes if not isinstance(d, NullType)]
        dtypes = [d if not isinstance(d, NullType) else (known or [d])[0] for d in dtypes]
        for dtype in dtypes:
            if isinstance(dtype, NullType):
                kinds.append("categorical" if name in forced else "numeric")
            elif name in forced or isinstance(dtype, StringType | BooleanType):
                kinds.append("categorical")
            elif isinstance(dtype, NumericType):
                kinds.append("numeric")
            else:
                raise DriftError(
                    f"Drift feature {name!r} has type {dtype.simpleString()}, neither numeric "
                    "nor string/boolean: cast it, or pass it in categorical=[...] to compare "
                    "its values as categories"
                )
        if kinds[0] != kinds[1]:
            raise DriftError(
                f"Drift feature {name!r} is {ref_types[name].simpleString()} in the reference "
                f"but {cur_types[name].simpleString()} in the current data: cast one side"
            )
        resolved.append((name, kinds[0]))
    return resolved


def union_sides(
    reference: DataFrame, current: DataFrame, resolved: list[tuple[str, FeatureKind]]
) -> DataFrame:
    """Both sides as one frame of positional columns ``f0, f1, ...`` plus the side (0/1).

    Positional names keep odd column names (dots, spaces) out of every expression; numeric
    values become doubles with NaN and infinities turned into nulls (not comparable), and
    -0.0 turned into 0.0: it equals 0.0, but Bucketizer's binary search (and a -0.0 edge
    taken from min or the quantiles) orders it below 0.0, which put those rows inside
    the bucket before 0 and made whole-number data inexact.
    """

    # SQL text: one Py4J call per side instead of several per column.
    def columns(side: int) -> list[str]:
        out = [f"{side} AS {_SIDE}"]
        for index, (name, kind) in enumerate(resolved):
            column = "`" + name.replace("`", "``") + "`"
            if kind == "categorical":
                out.append(f"CAST({column} AS STRING) AS f{index}")
            else:
                value = f"CAST({column} AS DOUBLE)"
                finite = f"NOT isnan({value}) AND abs({value}) != CAST('Infinity' AS DOUBLE)"
                # `= 0` is true for -0.0 too.
                cases = f"WHEN {value} = 0 THEN 0D WHEN {finite} THEN {value}"
                out.append(f"CASE {cases} END AS f{index}")
        return out

    return reference.selectExpr(*columns(0)).unionByName(current.selectExpr(*columns(1)))


# ------------------------------------------------------------------------ Spark passes


def summarise(frame: DataFrame, resolved: list[tuple[str, FeatureKind]]) -> dict[str, Any]:
    """Pass 1: the number of rows; per numeric feature min, max, reference std and pooled
    quantiles ``q{i}`` (of a sample, see QUANTILE_SAMPLE_FRACTION); per categorical
    feature its value set. Small inputs get one more, quantile-only, aggregation."""
    from pyspark.sql import functions as F

    numeric = [index for index, (_, kind) in enumerate(resolved) if kind == "numeric"]
    exprs: list[Column] = [F.count(F.lit(1)).alias("rows")]
    for index, (_, kind) in enumerate(resolved):
        value = F.col(f"f{index}")
        if kind == "numeric":
            reference = F.when(F.col(_SIDE) == 0, value)
            exprs += [
                F.min(value).alias(f"min{index}"),
                F.max(value).alias(f"max{index}"),
                F.stddev_pop(reference).alias(f"std{index}"),
                # Edges, so that values outside the reference's range get bins of their own.
                F.min(reference).alias(f"refmin{index}"),
                F.max(reference).alias(f"refmax{index}"),
                F.bool_and(value == F.floor(value)).alias(f"integral{index}"),
            ]
        else:
            # Only the first MAX_CATEGORIES + 1 values reach the driver: enough to know
            # the column has too many to be a category.
            values = F.collect_set(value)
            exprs += [
                F.slice(F.array_sort(values), 1, MAX_CATEGORIES + 1).alias(f"cats{index}"),
                F.size(values).alias(f"ncats{index}"),
            ]
    sampled, quantiles = _sampled_quantiles(frame, numeric, QUANTILE_SAMPLE_FRACTION)
    summary: dict[str, Any] = sampled.agg(*exprs, *quantiles).collect()[0].asDict()
    rows = int(summary["rows"])
    if numeric and 0 < rows * QUANTILE_SAMPLE_FRACTION < MIN_QUANTILE_SAMPLE:
        fraction = min(1.0, 2 * MIN_QUANTILE_SAMPLE / rows)
        resampled, quantiles = _sampled_quantiles(frame, numeric, fraction)
        summary.update(resampled.agg(*quantiles).collect()[0].asDict())
    return summary


def _sampled_quantiles(
    frame: DataFrame, numeric: list[int], fraction: float
) -> tuple[DataFrame, list[Column]]:
    """``frame`` with a sampled copy ``s{i}`` of each numeric ``f{i}`` (null when not
    drawn; percentile_approx skips nulls), and the quantile expressions over them.

    Spark refuses a non-deterministic expression inside an aggregate, hence the extra
    columns. The seed is fixed, so the same input gives the same edges."""
    from pyspark.sql import functions as F

    probabilities = _sql_doubles([i / QUANTILE_BINS for i in range(QUANTILE_BINS + 1)])
    columns = [
        (
            F.col(f"f{i}")
            if fraction >= 1
            else F.when(F.rand(_SAMPLE_SEED + i) < fraction, F.col(f"f{i}"))
        ).alias(f"s{i}")
        for i in numeric
    ]
    quantiles = [
        F.expr(f"percentile_approx(s{i}, {probabilities}, {QUANTILE_ACCURACY})").alias(f"q{i}")
        for i in numeric
    ]
    return frame.select("*", *columns), quantiles


def edges_from_summary(summary: dict[str, Any], index: int) -> Edges | None:
    import numpy as np

    low, high = summary[f"min{index}"], summary[f"max{index}"]
    if low is None:
        return None  # no non-null value on either side
    quantiles = np.asarray(summary[f"q{index}"] or [], dtype=np.float64)
    grid = np.linspace(low, high, GRID_BINS + 1)
    # The reference's minimum, and the float just above its maximum, bound the buckets
    # holding reference rows: PSI, chi-squared and Jensen-Shannon give the buckets
    # outside them bins of their own (statistics.reference_decile_groups).
    reference_range: list[float] = []
    ref_low, ref_high = summary.get(f"refmin{index}"), summary.get(f"refmax{index}")
    if ref_low is not None and ref_high is not None:
        reference_range.append(ref_low)
        if ref_high < high:
            reference_range.append(float(np.nextafter(ref_high, math.inf)))
    # Small integer ranges (counts, codes, ratings): every integer becomes an edge, so
    # integer data has no value inside a bucket and its statistics are exact.
    integers: list[float] | Edges = []
    if high - low <= GRID_BINS:
        integers = np.arange(math.ceil(low), math.floor(high) + 1, dtype=np.float64)
    return np.unique(np.concatenate([[low, high], reference_range, quantiles, grid, integers]))


def has_atoms(summary: dict[str, Any], index: int) -> bool:
    """Whether rows on an edge are worth counting apart from the rest of their bucket:
    integers whose every value is an edge, or a value repeated among the sampled
    quantiles (certain for one holding more than ~0.2% of the rows, i.e. two quantile
    bins). Then the statistics are exact.

    Elsewhere (continuous data) a row exactly on an edge is counted inside its bucket,
    which the error bounds already cover, and pass 2 skips the second Bucketizer (~40% of
    its time)."""
    import numpy as np

    low, high = summary[f"min{index}"], summary[f"max{index}"]
    if low is None:
        return False
    if summary[f"integral{index}"] and high - low <= GRID_BINS:
        return True
    quantiles = np.asarray(summary[f"q{index}"] or [], dtype=np.float64)
    return bool(np.any(np.diff(quantiles) == 0))


def histogram_counts(
    frame: DataFrame,
    resolved: list[tuple[str, FeatureKind]],
    edges: dict[int, Edges],
    categories: dict[int, list[str]],
    atoms: Collection[int],
) -> tuple[dict[int, int], int]:
    """Pass 2: one groupBy count over a long key ``(feature * 2 + side) * stride + slot``.

    Slot 0 counts nulls; a numeric bucket ``b`` is slots ``1 + 2b`` (inside) and
    ``2 + 2b`` (on its left edge; only for the features in ``atoms``, else counted
    inside); category ``c`` (1-based) is slot ``c``. The extra feature ``len(resolved)``
    counts rows.
    """
    from pyspark.sql import functions as F

    stride = 2 + max(
        [1, *(2 * (len(e) + 2) for e in edges.values()), *(len(c) + 1 for c in categories.values())]
    )
    bucketed = _bucketize(frame, edges, atoms) if edges else frame

    side = F.col(_SIDE).cast("long")
    keys: list[Column] = []
    for index, (_, kind) in enumerate(resolved):
        base = (F.lit(index * 2).cast("long") + side) * stride
        value = F.col(f"f{index}")
        if kind == "numeric" and index in edges:
            bucket = F.col(f"b{index}").cast("long")
            if index in atoms:
                # b{i} counts the edges <= x, r{i} the edges < x: they differ by one
                # exactly when x is an edge (the left edge of its bucket).
                slot = bucket * 2 + 1 + (bucket - F.col(f"r{index}").cast("long"))
            else:
                slot = bucket * 2 + 1
            slot = F.when(value.isNull(), 0).otherwise(slot)
        elif kind == "categorical" and categories.get(index):
            position = F.array_position(F.expr(_sql_strings(categories[index])), value)
            slot = F.when(value.isNull(), 0).otherwise(position)
        else:
            slot = F.lit(0)  # the feature has no non-null value anywhere: all nulls
        keys.append(base + slot)
    keys.append((F.lit(len(resolved) * 2).cast("long") + side) * stride)
    rows = bucketed.select(F.explode(F.array(*keys)).alias(_KEY)).groupBy(_KEY).count().collect()
    return {int(row[_KEY]): int(row["count"]) for row in rows}, stride


# Literal arrays are written as SQL text: one parse on the JVM instead of one Py4J call
# per element (thousands of edges per feature cost seconds through F.lit / F.array).
def _sql_doubles(values: Sequence[float] | Edges) -> str:
    # repr() round-trips a float exactly; the D suffix makes Spark read a DOUBLE, not a
    # DECIMAL.
    return "array(" + ", ".join(f"{float(v)!r}D" for v in values) + ")"


def _sql_strings(values: Sequence[str]) -> str:
    quoted = (v.replace("\\", "\\\\").replace("'", "\\'") for v in values)
    return "array(" + ", ".join(f"'{v}'" for v in quoted) + ")"


def _bucketize(frame: DataFrame, edges: dict[int, Edges], atoms: Collection[int]) -> DataFrame:
    """Add ``b{i}``, the bucket of ``f{i}`` among ``[-inf, *edges, inf]`` (buckets closed on
    the left), and for the features in ``atoms`` ``r{i}``, the same with every edge moved
    up to the next float (so buckets closed on the right). NaN gets the bucket after the
    last; NULL stays NULL (``pyspark.ml.feature.Bucketizer`` with ``handleInvalid="keep"``).

    A classic session runs the JVM's Bucketizer directly. A Spark Connect session (serverless
    compute, ``MLOPS_SPARK_CONNECT=1``) has no JVM handle: it uses ``pyspark.ml``'s
    Bucketizer over Connect where the client has it, else the same binary search in SQL."""
    import numpy as np

    ordered = sorted(edges)
    nudged = sorted(i for i in edges if i in atoms)
    inputs = [f"f{i}" for i in [*ordered, *nudged]]
    outputs = [f"b{i}" for i in ordered] + [f"r{i}" for i in nudged]
    all_edges = [edges[i] for i in ordered] + [np.nextafter(edges[i], math.inf) for i in nudged]
    if type(frame).__module__.startswith("pyspark.sql.classic"):
        return _bucketize_on_jvm(frame, inputs, outputs, all_edges)
    if _connect_ml_available():
        from pyspark.ml.feature import Bucketizer

        splits_array = [[-math.inf, *map(float, e), math.inf] for e in all_edges]
        bucketizer = Bucketizer(
            splitsArray=splits_array, inputCols=inputs, outputCols=outputs, handleInvalid="keep"
        )
        return bucketizer.transform(frame)
    return bucketize_sql(frame, inputs, outputs, all_edges)


def _connect_ml_available() -> bool:
    """``pyspark.ml`` runs over Spark Connect from pyspark 4.0 on; older clients (the
    serverless environment versions on 3.5) lack it or reach for ``_jdf``."""
    from pyspark import __version__ as pyspark_version

    if int(pyspark_version.split(".")[0]) < 4:
        return False
    try:
        import pyspark.ml.feature  # noqa: F401
    except ImportError:
        return False
    return True


def bucketize_sql(
    frame: DataFrame, inputs: list[str], outputs: list[str], all_edges: Sequence[Edges]
) -> DataFrame:
    """Bucketizer's ``handleInvalid="keep"`` result as plain SQL: works on any session,
    with neither a JVM handle nor ``pyspark.ml``."""
    from pyspark.sql import functions as F

    buckets = [
        F.expr(_bucket_sql(column, values)).alias(output)
        for column, output, values in zip(inputs, outputs, all_edges, strict=True)
    ]
    return frame.select("*", *buckets)


def _bucket_sql(column: str, values: Edges) -> str:
    """The number of edges ``<= column``, by binary search over the sorted literal array:
    ``lo``/``hi`` bracket the answer and halve ``bit_length(len)`` times (Spark SQL has no
    binary search function; a linear count would cost ~2k comparisons per value)."""
    size = len(values)
    middle = "CAST((acc.lo + acc.hi) div 2 AS INT)"
    step = (
        f"IF(acc.lo < acc.hi, IF(element_at({_sql_doubles(values)}, {middle} + 1) <= `{column}`, "
        f"named_struct('lo', {middle} + 1, 'hi', acc.hi), named_struct('lo', acc.lo, 'hi', {middle})), acc)"
    )  # fmt: skip
    search = (
        f"aggregate(sequence(1, {max(size.bit_length(), 1)}), named_struct('lo', 0, 'hi', {size}), "
        f"(acc, _) -> {step}, acc -> acc.lo)"
    )  # fmt: skip
    return (
        f"CASE WHEN `{column}` IS NULL THEN NULL WHEN isnan(`{column}`) THEN {size + 1} "
        f"ELSE {search} END"
    )


def _bucketize_on_jvm(
    frame: DataFrame, inputs: list[str], outputs: list[str], all_edges: list[Edges]
) -> DataFrame:
    """Classic Spark only: handing the splits to the JVM as one JSON string takes ~30 ms;
    the Python wrapper converts them element by element over Py4J (~1 s / 8k edges)."""
    import json

    from pyspark.sql.classic.dataframe import DataFrame as ClassicDataFrame

    jvm: Any = frame.sparkSession._jvm
    java = jvm.org.apache.spark.ml.feature.Bucketizer()
    splits = [["-Inf", *(float(v) for v in e), "Inf"] for e in all_edges]
    for param, value in (
        (java.splitsArray(), splits),
        (java.inputCols(), inputs),
        (java.outputCols(), outputs),
    ):
        java.set(param, param.jsonDecode(json.dumps(value)))
    java.setHandleInvalid("keep")
    return ClassicDataFrame(java.transform(frame._jdf), frame.sparkSession)
