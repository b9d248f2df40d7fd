"""pandas backend: resolved AST -> a nullable Series (row-level) or a scalar (dataset-level).

Values are normalised to pandas' nullable dtypes (``Float64``, ``string``, ``boolean``)
with ``pd.NA`` as SQL NULL, and each operator applies the SQL rule explicitly rather than
trusting numpy: NULL in -> NULL out, ``x / 0`` -> NULL, ``%`` truncates like Spark/Java
(``np.fmod``), ``in`` with a NULL in the list is NULL when nothing matched.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from databricks_mlops.errors import MLOpsError
from databricks_mlops.expressions.nodes import (
    Binary,
    ColumnRef,
    DatasetMetric,
    Expression,
    FunctionCall,
    InList,
    IsNull,
    Literal,
    LiteralValue,
    StringMethod,
    Unary,
    is_dataset_level,
    string_argument,
)
from databricks_mlops.expressions.schemas import type_of_object_series
from databricks_mlops.expressions.types import ExprType

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

_DTYPES = {
    ExprType.NUMBER: "Float64",
    # Arrow-backed strings: .str.contains & co. run in C (the Python-object string dtype
    # loops per value, ~0.5 s per method on a million rows).
    ExprType.STRING: "string[pyarrow]",
    ExprType.BOOLEAN: "boolean",
    ExprType.DATE: "datetime64[ns]",
    ExprType.TIMESTAMP: "datetime64[ns]",
    ExprType.NULL: "Float64",
}

# The language's comparison operators as Python callables (also used by the GX engine).
COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


def evaluate_pandas(
    expr: Expression,
    df: pd.DataFrame,
    *,
    column_cache: FrameCache | None = None,
    column_types: Mapping[str, ExprType] | None = None,
) -> pd.Series | object:
    """Row-level: a Series on ``df.index``; dataset-level: bool / float / int / None.

    ``column_cache`` (one per DataFrame) lets many expressions over the same frame convert
    each column to its nullable dtype, and find its NULLs, once instead of per reference;
    ``column_types`` (the schema the rule was checked against) saves typing object
    columns a second time.
    """
    import pandas as pd

    cache = column_cache if column_cache is not None else FrameCache()
    types = column_types or {}
    if not is_dataset_level(expr):
        return _PandasEvaluator(df, df.index, cache, types).evaluate(expr)
    # Aggregates are one value: evaluate the same tree over a one-row index.
    result = _PandasEvaluator(df, pd.RangeIndex(1), cache, types).evaluate(expr).iloc[0]
    return _python_scalar(result)


def _arrow_strings(series: pd.Series) -> pd.Series | None:
    """An object column of strings (or NULL) as Arrow strings, converted by pyarrow in C
    (pandas' own astype re-checks every value in Python first); ``None`` when it holds
    anything else (numbers, bytes, mixed values) or only NULLs. ``from_pandas``: None,
    NaN, pd.NA and NaT are all NULL, as in pandas."""
    import pandas as pd
    import pyarrow as pa  # type: ignore[import-untyped]

    try:
        array = pa.array(series.to_numpy(dtype=object), from_pandas=True)
    except (TypeError, ValueError):  # ArrowTypeError, ArrowInvalid, bad UTF-8
        return None
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return None
    return pd.Series(pd.arrays.ArrowStringArray(array), index=series.index, name=series.name)


def cache_object_strings(df: pd.DataFrame, names: Collection[str], cache: FrameCache) -> set[str]:
    """Convert the object columns among ``names`` whose values are all strings (or NULL)
    to Arrow strings in ``cache``, and return their names: they are typed STRING.

    One pass of pyarrow's conversion both types the column and gives it a null bitmap,
    and Arrow compute then compares, ``in``-tests and searches it in C. On object strings
    the same rules cost a typing scan, a null scan and per-value Python comparisons:
    together more than the conversion. Columns only null-checked are not worth it (a
    null scan is cheaper than converting), so ``names`` should be the typed references.
    A column holding anything else is left for the general path, which types it by
    inference.
    """
    converted: set[str] = set()
    for name in names:
        if name not in df.columns or name in cache.columns or df[name].dtype != object:
            continue
        strings = _arrow_strings(df[name])
        if strings is not None:
            cache.columns[name] = strings
            converted.add(name)
    return converted


def _from_arrow_dtype(series: pd.Series) -> pd.Series | None:
    """Arrow-backed columns (``dtype_backend="pyarrow"``, Parquet read by pyarrow) in the
    nullable dtypes, converted in C by pyarrow: ``astype`` would re-check every value in
    Python (~0.1 s per million rows and column). ``None`` for the other Arrow types
    (dates, timestamps, ...), which take the general path."""
    import numpy as np
    import pandas as pd
    import pyarrow.types as pat  # type: ignore[import-untyped]

    dtype = series.dtype
    assert isinstance(dtype, pd.ArrowDtype)
    arrow_type = dtype.pyarrow_dtype
    if pat.is_string(arrow_type) or pat.is_large_string(arrow_type):
        chunked = series.array.__arrow_array__()  # the ChunkedArray itself: zero copy
        return pd.Series(pd.arrays.ArrowStringArray(chunked), index=series.index)
    if pat.is_boolean(arrow_type):
        mask = series.isna().to_numpy(dtype=bool)
        values = series.to_numpy(dtype=bool, na_value=False)
        return pd.Series(pd.arrays.BooleanArray(values, mask), index=series.index)
    if pat.is_integer(arrow_type) or pat.is_floating(arrow_type) or pat.is_decimal(arrow_type):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        mask = np.isnan(values)  # Arrow nulls and NaN values: both are NULL here
        return pd.Series(pd.arrays.FloatingArray(values, mask), index=series.index)
    return None


def _is_arrow_string(series: pd.Series) -> bool:
    import pandas as pd

    dtype = series.dtype
    return isinstance(dtype, pd.StringDtype) and str(dtype.storage).startswith("pyarrow")


def _python_scalar(value: object) -> object:
    import pandas as pd

    if value is pd.NA or value is pd.NaT or value is None:
        return None
    if hasattr(value, "item"):  # numpy scalar -> Python scalar
        return value.item()
    return value


def _constant(value: LiteralValue, expr_type: ExprType, index: pd.Index) -> pd.Series:
    """``value`` on every row of ``index``, in the nullable dtype of its type."""
    import pandas as pd

    dtype = _DTYPES[expr_type]
    if value is None:
        return pd.Series(pd.NA if "64[ns]" not in dtype else pd.NaT, index=index, dtype=dtype)
    if isinstance(value, dt.date):
        return pd.Series(pd.Timestamp(value), index=index, dtype=dtype)
    # A scalar broadcast by pandas (no Python list of a million copies).
    return pd.Series(value, index=index, dtype=dtype)


@dataclass
class FrameCache:
    """Work shared by every expression evaluated over one DataFrame: each column in its
    nullable dtype, and the null masks of those columns."""

    columns: dict[str, pd.Series] = field(default_factory=dict)
    # id(Series) -> (the Series, its mask); holding the Series pins the id.
    null_masks: dict[int, tuple[pd.Series, npt.NDArray[np.bool_]]] = field(default_factory=dict)


class _PandasEvaluator:
    def __init__(
        self,
        df: pd.DataFrame,
        index: pd.Index,
        cache: FrameCache,
        types: Mapping[str, ExprType],
    ) -> None:
        self.df = df
        self.index = index
        self.cache = cache.columns
        self.null_masks = cache.null_masks
        self.types = types

    def evaluate(self, node: Expression) -> pd.Series:
        import pandas as pd

        if isinstance(node, Literal):
            return self.constant(node.value, node.type)
        if isinstance(node, ColumnRef):
            return self.column(node.name)
        if isinstance(node, Unary):
            operand = self.evaluate(node.operand)
            if node.op == "not":
                return ~operand.astype("boolean")
            return -operand.astype("Float64")
        if isinstance(node, Binary) and node.op in COMPARISONS:
            left, right = self.comparand(node.left), self.comparand(node.right)
            if not isinstance(left, pd.Series) and not isinstance(right, pd.Series):
                left = self.evaluate(node.left)  # `1 < 2`: a Series, so the answer is one
            return self.compare(COMPARISONS[node.op], left, right)
        if isinstance(node, Binary):
            return self.binary(node.op, self.evaluate(node.left), self.evaluate(node.right))
        if isinstance(node, IsNull):
            import numpy as np

            missing = self.missing(self.evaluate(node.operand))
            values = ~missing if node.negated else missing
            return pd.Series(
                pd.arrays.BooleanArray(values, np.zeros_like(values)), index=self.index
            )
        if isinstance(node, InList):
            return self.in_list(node)
        if isinstance(node, StringMethod):
            return self.string_method(node)
        if isinstance(node, FunctionCall):
            return self.aggregate(node)
        if isinstance(node, DatasetMetric):
            if node.name == "row_count":
                return self.constant(len(self.df), ExprType.NUMBER)
            return self.constant(len(self.df.columns), ExprType.NUMBER)
        raise MLOpsError(f"the pandas backend cannot evaluate {type(node).__name__}")

    def constant(self, value: LiteralValue, expr_type: ExprType) -> pd.Series:
        return _constant(value, expr_type, self.index)

    def column(self, name: str) -> pd.Series:
        if name not in self.df.columns:
            raise MLOpsError(f"column '{name}' is not in the DataFrame")
        if name not in self.cache:
            self.cache[name] = self.canonical(self.df[name], self.types.get(name))
        return self.cache[name]

    def missing(self, series: pd.Series) -> npt.NDArray[np.bool_]:
        """``series.isna()`` as numpy, computed once per cached column: on object strings
        it scans every value (~40 ms per million rows) and rules test the same columns."""
        cached = self.null_masks.get(id(series))
        if cached is not None and cached[0] is series:
            return cached[1]
        mask: npt.NDArray[np.bool_] = series.isna().to_numpy(dtype=bool)
        if any(column is series for column in self.cache.values()):
            # Keeping the Series in the entry pins its id for the cache's lifetime.
            self.null_masks[id(series)] = (series, mask)
        return mask

    def canonical(self, series: pd.Series, known: ExprType | None = None) -> pd.Series:
        """The column in the nullable dtype of its expression type."""
        import numpy as np
        import pandas as pd

        kinds = pd.api.types
        if isinstance(series.dtype, pd.ArrowDtype):
            converted = _from_arrow_dtype(series)
            if converted is not None:
                return converted
        if kinds.is_bool_dtype(series.dtype):
            return series.astype("boolean")
        if kinds.is_numeric_dtype(series.dtype) and isinstance(series.dtype, np.dtype):
            # numpy int/float -> Float64 directly (NaN is NULL): astype("Float64") re-checks
            # every value in Python-level loops, ~40 ms per million rows.
            values = series.to_numpy(dtype="float64", copy=True)
            mask = np.isnan(values)
            return pd.Series(pd.arrays.FloatingArray(values, mask), index=series.index)
        if kinds.is_numeric_dtype(series.dtype):
            return series.astype("Float64")
        if kinds.is_datetime64_any_dtype(series.dtype):
            return series
        expr_type = known or type_of_object_series(series)
        if expr_type in (ExprType.DATE, ExprType.TIMESTAMP):
            return pd.to_datetime(series)
        if expr_type is ExprType.BOOLEAN:
            return series.astype("boolean")
        if expr_type in (ExprType.NUMBER, ExprType.NULL):
            return series.astype("Float64")
        if expr_type is ExprType.STRING and series.dtype == object:
            # Null checks, comparisons with a literal and `in` are as fast on object
            # strings as converting them to Arrow (~0.1 s per million distinct strings);
            # only the .str methods convert (string_method), so unused columns never pay.
            return series
        return series.astype("string[pyarrow]")

    def comparand(self, node: Expression) -> pd.Series | str | float:
        """A side of a comparison: a non-NULL string or number literal stays the scalar
        (a Series of a million copies of it costs ~15 ms to build, in Arrow strings);
        anything else is evaluated."""
        if (
            isinstance(node, Literal)
            and isinstance(node.value, (str, int, float))
            and not isinstance(node.value, bool)
        ):
            return node.value
        return self.evaluate(node)

    def binary(self, op: str, left: pd.Series, right: pd.Series) -> pd.Series:
        if op == "and":
            return left.astype("boolean") & right.astype("boolean")
        if op == "or":
            return left.astype("boolean") | right.astype("boolean")
        return self.arithmetic(op, left, right)

    def compare(
        self,
        compare: Callable[[Any, Any], Any],
        left: pd.Series | str | float,
        right: pd.Series | str | float,
    ) -> pd.Series:
        """SQL comparison: NULL when either side is NULL. At least one side is a Series;
        the other may be a literal's scalar. Arrow strings are compared by Arrow compute
        in C (~20 ms per million rows; through numpy every string would first become a
        Python object, ~100 ms)."""
        import numpy as np
        import pandas as pd

        sides = [
            (side, None) if isinstance(side, pd.Series) else (None, side) for side in (left, right)
        ]
        columns = [side for side, _ in sides if side is not None]
        missing = np.zeros(len(self.index), dtype=bool)
        for column in columns:
            missing = missing | self.missing(column)
        present = ~missing
        arrow = all(_is_arrow_string(column) for column in columns)
        a, b = (
            literal if side is None else side.array if arrow else self.raw(side)
            for side, literal in sides
        )
        if arrow:
            answer = compare(a, b).to_numpy(dtype=bool, na_value=False)
            values = np.asarray(answer, dtype=bool) & present
        elif all(x.dtype.kind == "f" for x in (a, b) if isinstance(x, np.ndarray)):
            # NULL slots hold NaN, which compares False: no need to pick the rows first.
            values = np.asarray(compare(a, b), dtype=bool) & present
        else:
            # Object arrays: NULL slots (None) must not reach the comparison.
            values = np.zeros(len(self.index), dtype=bool)
            if present.any():
                pick = [x[present] if isinstance(x, np.ndarray) else x for x in (a, b)]
                values[present] = np.asarray(compare(*pick), dtype=bool)
        return pd.Series(pd.arrays.BooleanArray(values, missing), index=self.index)

    def raw(self, series: pd.Series) -> Any:
        """A numpy array of the values (NULL slots hold filler and are masked by callers)."""
        if str(series.dtype) == "Float64":
            return series.to_numpy(dtype="float64", na_value=float("nan"))
        if str(series.dtype) == "boolean":
            return series.to_numpy(dtype=bool, na_value=False)
        return series.to_numpy()

    def arithmetic(self, op: str, left: pd.Series, right: pd.Series) -> pd.Series:
        import numpy as np
        import pandas as pd

        left, right = left.astype("Float64"), right.astype("Float64")
        a, b = self.raw(left), self.raw(right)
        missing = self.missing(left) | self.missing(right)
        if op in ("/", "%"):
            missing = missing | (b == 0)
        functions = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "%": np.fmod}
        with np.errstate(all="ignore"):
            values = functions[op](a, b)
        values = np.where(missing, 0.0, values)
        return pd.Series(pd.arrays.FloatingArray(values, missing), index=self.index)

    def in_list(self, node: InList) -> pd.Series:
        import numpy as np
        import pandas as pd

        operand = self.evaluate(node.operand)
        wanted = [item for item in node.items if item.value is not None]
        has_null = len(wanted) < len(node.items)
        if wanted:
            # Each value in its column dtype (dates as Timestamps, numbers as floats), built
            # as one-row Series: a full-length constant per item cost ~15 ms in strings.
            one_row = pd.RangeIndex(1)
            candidates = pd.concat([_constant(item.value, item.type, one_row) for item in wanted])
            found = operand.isin(candidates.tolist()).to_numpy(dtype=bool, na_value=False)
        else:
            found = np.zeros(len(self.index), dtype=bool)
        # SQL: NULL in (...) is NULL; no match with a NULL in the list is NULL too.
        missing = self.missing(operand) | (~found & has_null)
        values = ~found if node.negated else found
        return pd.Series(pd.arrays.BooleanArray(values, missing), index=self.index)

    def string_method(self, node: StringMethod) -> pd.Series:
        receiver = self.evaluate(node.receiver)
        converted = _arrow_strings(receiver) if receiver.dtype == object else None
        if converted is not None:
            if (
                isinstance(node.receiver, ColumnRef)
                and self.cache.get(node.receiver.name) is receiver
            ):
                # Later references to the column (a null check, another method) use the
                # Arrow copy: its nulls are a bitmap, not a scan of a million objects.
                self.cache[node.receiver.name] = converted
            receiver = converted
        text = receiver.astype("string[pyarrow]").str
        argument = string_argument(node)
        match node.method:
            case "contains":
                result = text.contains(argument, regex=False)
            case "startswith":
                result = text.startswith(argument)
            case "endswith":
                result = text.endswith(argument)
            case "matches":
                result = text.contains(argument, regex=True)
            case "len":
                return text.len().astype("Float64")
            case _:
                raise MLOpsError(f"the pandas backend has no string method {node.method!r}")
        return result.astype("boolean")

    def aggregate(self, node: FunctionCall) -> pd.Series:
        column = node.args[0]
        assert isinstance(column, ColumnRef)
        values = self.column(column.name)
        if node.name == "unique":
            return self.constant(not values.dropna().duplicated().any(), ExprType.BOOLEAN)
        if node.name == "null_fraction":
            rows = len(values)
            fraction = float(values.isna().sum()) / rows if rows else None
            return self.constant(fraction, ExprType.NUMBER)
        raise MLOpsError(f"the pandas backend has no function {node.name!r}")
