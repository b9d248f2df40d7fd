"""Check a data config without Spark: what the ingest and validate tasks would reject.

Every rule is parsed (syntax, and constructs the language forbids such as
``__import__(...)``). When the source's columns can be read cheaply here (a local CSV
header, a Parquet footer, a Delta log), the transformation steps are replayed on them and
each rule's columns are looked up, as are the columns steps, partitioning and keys name;
a rule whose columns all have a known type (Parquet and Delta types, ``cast_columns``,
``add_ingestion_timestamp``, CSV with ``inferSchema: false``) is type-checked exactly as
the validate task does it. A CSV's inferred types are Spark's to decide, so those rules
are checked for names only. ``filter_rows`` conditions are Spark SQL, checked by Spark.
"""

from __future__ import annotations

import csv
import glob
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from databricks_mlops.config.data import (
    AddIngestionTimestamp,
    CastColumns,
    DataConfig,
    Deduplicate,
    DropColumns,
    RenameColumns,
)
from databricks_mlops.config.features import FeatureConfig
from databricks_mlops.errors import ConfigError, ExpressionError, MLOpsError, did_you_mean
from databricks_mlops.expressions import ColumnSchema, ExprType, parse
from databricks_mlops.expressions.nodes import (
    ColumnRef,
    DatasetMetric,
    Expression,
    FunctionCall,
    children,
)
from databricks_mlops.validation.rules import prepare_rules

Loc = tuple[str | int, ...]

_SPARK_TYPES: dict[str, ExprType] = {
    **dict.fromkeys(
        ("int", "integer", "bigint", "long", "smallint", "short", "tinyint", "byte"),
        ExprType.NUMBER,
    ),
    **dict.fromkeys(("double", "float", "real"), ExprType.NUMBER),
    "string": ExprType.STRING,
    "boolean": ExprType.BOOLEAN,
    "bool": ExprType.BOOLEAN,
    "date": ExprType.DATE,
    "timestamp": ExprType.TIMESTAMP,
    "timestamp_ntz": ExprType.TIMESTAMP,
}


@dataclass(frozen=True)
class Problem:
    """One thing the task would reject; ``loc`` is its field path in the config file."""

    loc: Loc
    message: str


@dataclass
class SourceColumns:
    """The columns a source is known to have; ``types`` only where they are certain."""

    names: list[str]
    origin: str
    types: dict[str, ExprType] = field(default_factory=dict)
    unsupported: dict[str, str] = field(default_factory=dict)


@dataclass
class DataConfigCheck:
    problems: list[Problem]
    rules: int
    # What the columns were checked against, or why they were not.
    columns_note: str


def check_data_config(config: DataConfig, source: SourceColumns | None) -> DataConfigCheck:
    """Everything about ``config`` that can be decided before reading any data."""
    problems: list[Problem] = []
    after = _replay_steps(config, source, problems) if source is not None else None
    for index, rule in enumerate(config.validation_rules):
        loc: Loc = ("validation_rules", index, "condition")
        try:
            tree = parse(rule.condition)
            if after is not None:
                _check_names(tree, rule.condition, after.names)
            if after is not None and _all_typed(tree, after):
                # The validate task's own check, on the types the task will see.
                prepare_rules([rule], ColumnSchema(after.types, after.unsupported))
            else:
                _check_quarantine_without_types(tree, rule.name, rule.quarantine)
        except ExpressionError as exc:
            # prepare_rules names the rule itself; parse and the name check do not.
            named = exc.message.startswith(f"rule {rule.name!r}: ")
            message = exc.message if named else f"rule {rule.name!r}: {exc.message}"
            problems.append(Problem(loc, str(ExpressionError(message, *_span(exc)))))
        except ConfigError as exc:
            problems.append(Problem(loc, str(exc)))
    if after is not None:
        _check_output_columns(config, after.names, problems)
        note = f"columns checked against {after.origin}"
    else:
        note = "columns not checked"
    return DataConfigCheck(problems, len(config.validation_rules), note)


def check_feature_config(config: FeatureConfig) -> list[Problem]:
    """Derived-column expressions parse and give one value per row (their columns are the
    feature source's, known only when the job runs)."""
    problems: list[Problem] = []
    for name, text in config.derived.items():
        try:
            tree = parse(text)
        except ExpressionError as exc:
            problems.append(Problem(("derived", name), f"derived column '{name}': {exc}"))
            continue
        call = next((node for node in _walk(tree) if isinstance(node, FunctionCall)), None)
        if call is not None:
            problems.append(
                Problem(
                    ("derived", name),
                    f"derived column '{name}' must have one value per row, but '{text}' "
                    "describes the whole dataset",
                )
            )
    return problems


# -- rules ------------------------------------------------------------------------------


def _span(exc: ExpressionError) -> tuple[str, int, int]:
    return exc.expression, exc.start, exc.end


def _walk(tree: Expression) -> Iterator[Expression]:
    pending = [tree]
    while pending:
        node = pending.pop()
        yield node
        pending.extend(children(node))


def _candidates(ref: ColumnRef) -> list[str]:
    # The checker's lookup: "customers.id" as written, then with qualifiers dropped.
    parts = (*ref.qualifier, ref.name)
    return [".".join(parts[index:]) for index in range(len(parts))]


def _check_names(tree: Expression, text: str, names: list[str]) -> None:
    known = set(names)
    refs = sorted(
        (node for node in _walk(tree) if isinstance(node, ColumnRef)), key=lambda n: n.span
    )
    for ref in refs:
        if not any(candidate in known for candidate in _candidates(ref)):
            hint = did_you_mean(ref.written, names) or did_you_mean(ref.name, names)
            if not hint and len(names) <= 12:
                hint = f"; columns: {', '.join(sorted(names)) or '(none)'}"
            raise ExpressionError(f"unknown column '{ref.written}'{hint}", text, *ref.span)


def _all_typed(tree: Expression, columns: SourceColumns) -> bool:
    typed = set(columns.types) | set(columns.unsupported)
    for node in _walk(tree):
        if isinstance(node, ColumnRef):
            found = next((c for c in _candidates(node) if c in columns.names), None)
            if found not in typed:
                return False
        # A column named like a metric (row_count) wins over the metric.
        elif (
            isinstance(node, DatasetMetric)
            and node.name in columns.names
            and node.name not in typed
        ):
            return False
    return True


def _check_quarantine_without_types(tree: Expression, name: str, quarantine: bool) -> None:
    # unique() and null_fraction() describe the dataset whatever the columns are.
    if quarantine and any(isinstance(node, FunctionCall) for node in _walk(tree)):
        raise ConfigError(
            f"rule {name!r}: quarantine moves failing rows, so it needs a row-level rule; "
            f"this one checks the whole dataset"
        )


# -- transformation steps ------------------------------------------------------------------


def _replay_steps(
    config: DataConfig, source: SourceColumns, problems: list[Problem]
) -> SourceColumns:
    names = list(source.names)
    types = dict(source.types)
    unsupported = dict(source.unsupported)

    def require(index: int, step_type: str, columns: Iterable[str]) -> None:
        for column in columns:
            if column not in names:
                problems.append(
                    Problem(
                        ("transformation_steps", index),
                        f"{step_type}: column {column!r} not found"
                        f"{did_you_mean(column, names)}; columns are: {', '.join(names)}",
                    )
                )

    for index, step in enumerate(config.transformation_steps):
        if isinstance(step, DropColumns):
            names = [name for name in names if name not in step.columns]
        elif isinstance(step, RenameColumns):
            require(index, step.type, step.mapping)
            names = [step.mapping.get(name, name) for name in names]
            types = {step.mapping.get(k, k): v for k, v in types.items()}
            unsupported = {step.mapping.get(k, k): v for k, v in unsupported.items()}
        elif isinstance(step, CastColumns):
            require(index, step.type, step.mapping)
            for column, spark_type in step.mapping.items():
                types.pop(column, None)
                unsupported.pop(column, None)
                lowered = spark_type.lower()
                if lowered.startswith("decimal"):
                    types[column] = ExprType.NUMBER
                elif lowered in _SPARK_TYPES:
                    types[column] = _SPARK_TYPES[lowered]
                else:
                    unsupported[column] = lowered
        elif isinstance(step, Deduplicate):
            require(index, step.type, [*step.keys, *([step.order_by] if step.order_by else [])])
        elif isinstance(step, AddIngestionTimestamp):
            if step.column not in names:
                names.append(step.column)
            types[step.column] = ExprType.TIMESTAMP
    kept = set(names)
    origin = f"{source.origin} after the transformation steps"
    return SourceColumns(
        names,
        origin if config.transformation_steps else source.origin,
        {k: v for k, v in types.items() if k in kept},
        {k: v for k, v in unsupported.items() if k in kept},
    )


def _check_output_columns(config: DataConfig, names: list[str], problems: list[Problem]) -> None:
    lists: list[tuple[str, list[str]]] = [
        ("partitioning_columns", config.partitioning_columns),
        ("z_order_by", config.z_order_by),
    ]
    if config.write_mode == "merge":
        lists.append(("merge_keys", config.merge_keys))
    for field_name, columns in lists:
        for index, column in enumerate(columns):
            if column not in names:
                problems.append(
                    Problem(
                        (field_name, index),
                        f"column {column!r} is not in the ingested data"
                        f"{did_you_mean(column, names)}",
                    )
                )


# -- reading a source's columns -----------------------------------------------------------------


def read_source_columns(config: DataConfig) -> tuple[SourceColumns | None, str]:
    """The source's columns when this machine can read them cheaply, else why not."""
    from databricks_mlops.runtime import Runtime, TableName, mlops_home
    from databricks_mlops.runtime.environment import detect_environment
    from databricks_mlops.runtime.locations import looks_like_table_name, table_location

    # Only its path mapping is used: no Spark, and no "runtime: ..." log line for a check.
    runtime = Runtime(environment=detect_environment(), home=mlops_home())
    source = config.source_path
    fmt = config.format
    if fmt == "table" or (fmt == "delta" and looks_like_table_name(source)):
        if not runtime.is_local:
            return None, f"table {source!r} is read by the job"
        try:
            path = table_location(TableName.parse(source), runtime.home)
        except MLOpsError as exc:
            return None, str(exc)
        fmt = "delta"
    else:
        path = Path(runtime.file_path(source))
    try:
        if fmt == "csv":
            return _csv_columns(path, config.read_options), ""
        if fmt == "parquet":
            return _parquet_columns(path), ""
        if fmt == "delta":
            return _delta_columns(path), ""
    except _NotHere as exc:
        return None, str(exc)
    except (OSError, ValueError, KeyError) as exc:
        return None, f"cannot read the columns of {path}: {exc}"
    return None, f"the columns of a {fmt} source are known only when the job reads it"


class _NotHere(Exception):
    pass


def _first_file(path: Path, suffix: str) -> Path:
    """The file Spark takes the header/schema from: the path, a glob's or a directory's
    first data file (Spark skips names starting with ``_`` or ``.``)."""
    if any(ch in str(path) for ch in "*?["):
        matches = sorted(Path(p) for p in glob.glob(str(path)))
    elif path.is_dir():
        matches = sorted(p for p in path.rglob(f"*{suffix}") if p.is_file())
    elif path.is_file():
        return path
    else:
        raise _NotHere(f"{path} is not on this machine")
    for match in matches:
        if match.is_file() and not match.name.startswith(("_", ".")):
            return match
    raise _NotHere(f"no {suffix} file under {path}")


def _csv_columns(path: Path, options: Mapping[str, str]) -> SourceColumns:
    file = _first_file(path, ".csv")
    delimiter = options.get("sep", options.get("delimiter", ","))
    quote = options.get("quote", '"')
    encoding = options.get("encoding", options.get("charset", "utf-8"))
    with file.open(encoding="utf-8-sig" if encoding.lower() == "utf-8" else encoding) as handle:
        first = next(csv.reader(handle, delimiter=delimiter, quotechar=quote or None), None)
    if first is None:
        raise _NotHere(f"{file} is empty")
    header = options.get("header", "true").lower() == "true"
    # Spark's naming: kept as written, an empty name is _c<i>, and names repeated
    # (ignoring case) get their position appended.
    names = [name if header and name else f"_c{index}" for index, name in enumerate(first)]
    lowered = [name.lower() for name in names]
    names = [
        f"{name}{index}" if lowered.count(name.lower()) > 1 else name
        for index, name in enumerate(names)
    ]
    infer = options.get("inferSchema", "true").lower() == "true"
    # Without inference every CSV column is a string, so types are known for certain.
    types = {} if infer else dict.fromkeys(names, ExprType.STRING)
    return SourceColumns(names, f"the header of {file}", types)


def _parquet_columns(path: Path) -> SourceColumns:
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    file = _first_file(path, ".parquet")
    schema = pq.read_schema(file)
    columns = SourceColumns([], f"the schema of {file}")
    for arrow_field in schema:
        columns.names.append(arrow_field.name)
        expr_type = _arrow_type(arrow_field.type)
        if expr_type is None:
            columns.unsupported[arrow_field.name] = str(arrow_field.type)
        else:
            columns.types[arrow_field.name] = expr_type
    return columns


def _arrow_type(arrow_type: object) -> ExprType | None:
    import pyarrow.types as pat  # type: ignore[import-untyped]

    checks = (
        (pat.is_boolean, ExprType.BOOLEAN),
        (pat.is_integer, ExprType.NUMBER),
        (pat.is_floating, ExprType.NUMBER),
        (pat.is_decimal, ExprType.NUMBER),
        (pat.is_string, ExprType.STRING),
        (pat.is_large_string, ExprType.STRING),
        (pat.is_date, ExprType.DATE),
        (pat.is_timestamp, ExprType.TIMESTAMP),
    )
    return next((kind for check, kind in checks if check(arrow_type)), None)


def _delta_columns(path: Path) -> SourceColumns:
    log = path / "_delta_log"
    if not log.is_dir():
        raise _NotHere(f"no Delta table at {path}")
    schema_string = _latest_delta_schema(log)
    columns = SourceColumns([], f"the schema of the Delta table at {path}")
    for delta_field in json.loads(schema_string)["fields"]:
        name, delta_type = delta_field["name"], delta_field["type"]
        columns.names.append(name)
        lowered = delta_type.lower() if isinstance(delta_type, str) else ""
        if lowered.startswith("decimal"):
            columns.types[name] = ExprType.NUMBER
        elif lowered in _SPARK_TYPES:
            columns.types[name] = _SPARK_TYPES[lowered]
        else:
            columns.unsupported[name] = lowered or str(delta_type.get("type", "nested"))
    return columns


def _latest_delta_schema(log: Path) -> str:
    """The newest ``metaData`` action: in the JSON commits, else in the last checkpoint."""
    for commit in sorted(log.glob("*.json"), reverse=True):
        for line in commit.read_text(encoding="utf-8").splitlines():
            action = json.loads(line) if line.strip() else {}
            if "metaData" in action:
                return str(action["metaData"]["schemaString"])
    checkpoints = sorted(log.glob("*.checkpoint*.parquet"), reverse=True)
    if checkpoints:
        import pyarrow.parquet as pq

        for row in pq.read_table(checkpoints[0], columns=["metaData"]).to_pylist():
            if row.get("metaData"):
                return str(row["metaData"]["schemaString"])
    raise _NotHere(f"no schema in the Delta log {log}")
