"""A serving endpoint's AI Gateway inference table, read as an inference log.

Model Serving logs each request to ``<catalog>.<schema>.<prefix>_payload``: one row per
HTTP request, its body in ``request`` and the answer in ``response`` (JSON text), when
in ``request_time``, which served entity in ``served_entity_id``, the HTTP status in
``status_code``. Monitoring wants one row per scored input, with the features as
columns, like the batch inference log. ``unpack_payload`` turns one into the other in
Spark (``from_json``, one ``posexplode``): no row reaches the driver.

Request bodies may be ``dataframe_split``, ``dataframe_records`` or ``instances`` /
``inputs`` given as a list of records; the n-th prediction of ``response.predictions``
belongs to the n-th input. Failed requests (status other than 200), bodies in another
shape and answers with a different number of predictions are left out, and counted.
Values come out as strings (a JSON body has no schema); ``align_types`` casts them to
the reference's column types once the reference is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

# Columns every AI Gateway (and legacy auto-capture) inference table has.
PAYLOAD_COLUMNS = frozenset({"request", "response", "request_time", "status_code"})

# Every scalar parses as a string, so one schema serves numbers, text and booleans; a
# nested value (a dict-shaped prediction) comes out as its JSON text.
_REQUEST_SCHEMA = (
    "struct<dataframe_split: struct<columns: array<string>, data: array<array<string>>>,"
    " dataframe_records: array<map<string, string>>,"
    " instances: array<map<string, string>>,"
    " inputs: array<map<string, string>>>"
)
_RESPONSE_SCHEMA = "struct<predictions: array<string>>"


@dataclass(frozen=True)
class UnpackedPayload:
    """The inference log view of a payload table (``frame``), and its requests parsed,
    one row each, to count what had to be left out (``requests``)."""

    frame: DataFrame
    requests: DataFrame


def is_payload_table(frame: DataFrame) -> bool:
    return set(frame.columns) >= PAYLOAD_COLUMNS


def unpack_payload(
    payload: DataFrame,
    columns: Iterable[str],
    *,
    timestamp_column: str,
    prediction_column: str,
    model_version_column: str,
) -> UnpackedPayload:
    """One row per scored input: ``columns`` read from each input record (NULL where a
    record lacks one), the matching prediction, the request's time and served entity."""
    from pyspark.sql import functions as F

    entity = (
        F.col("served_entity_id").cast("string")
        if "served_entity_id" in payload.columns
        else F.lit(None).cast("string")
    )
    # The bodies are parsed once, in a projection of their own: the expressions below
    # use them many times, and Spark does not inline an expensive one into each use.
    bodies = payload.select(
        F.col("request_time").alias(timestamp_column),
        entity.alias(model_version_column),
        F.coalesce(F.col("status_code") == 200, F.lit(False)).alias("ok"),
        F.from_json(F.col("request"), _REQUEST_SCHEMA).alias("body"),
        F.from_json(F.col("response"), _RESPONSE_SCHEMA)["predictions"].alias("predictions"),
    )
    split, names = F.col("body.dataframe_split"), F.col("body.dataframe_split.columns")
    # dataframe_split's rows as records: one map per row, keyed by the column names. A
    # row of another length or a repeated name would make map_from_arrays fail the whole
    # job, so such a request is unreadable (NULL) instead.
    well_formed = (F.size(F.array_distinct(names)) == F.size(names)) & F.forall(
        split["data"], lambda row: F.size(row) == F.size(names)
    )
    split_records = F.when(
        well_formed, F.transform(split["data"], lambda row: F.map_from_arrays(names, row))
    )
    records = F.coalesce(
        split_records,
        F.col("body.dataframe_records"),
        F.col("body.instances"),
        F.col("body.inputs"),
    )
    parsed = bodies.select(
        timestamp_column, model_version_column, "ok", "predictions", records.alias("records")
    )
    # Readable: a body in a known shape, and one prediction per input (NULL sizes: no).
    readable = F.coalesce(
        F.col("records").isNotNull() & (F.size("predictions") == F.size("records")),
        F.lit(False),
    )
    parsed = parsed.withColumn("readable", readable)
    rows = parsed.where(F.col("ok") & F.col("readable")).select(
        timestamp_column,
        model_version_column,
        F.posexplode("records").alias("position", "record"),
        "predictions",
    )
    wanted = [name for name in dict.fromkeys(columns) if name != prediction_column]
    frame = rows.select(
        timestamp_column,
        model_version_column,
        *[F.col("record").getItem(name).alias(name) for name in wanted],
        F.element_at("predictions", F.col("position") + 1).alias(prediction_column),
    )
    return UnpackedPayload(frame, parsed)


def request_counts(unpacked: UnpackedPayload, window: Column | None) -> str:
    """A note on the requests of the window: how many, and how many were left out. One
    aggregation over the window's requests only (the table holds every request ever)."""
    from pyspark.sql import functions as F

    requests = unpacked.requests if window is None else unpacked.requests.where(window)
    counts = requests.agg(
        F.count(F.lit(1)).alias("requests"),
        F.sum(F.when(~F.col("ok"), 1).otherwise(0)).alias("failed"),
        F.sum(F.when(F.col("ok") & ~F.col("readable"), 1).otherwise(0)).alias("unreadable"),
    ).first()
    assert counts is not None  # a global aggregation always returns one row
    return (
        f"read {counts['requests']} requests from the serving inference table; left out: "
        f"{counts['failed'] or 0} failed (HTTP status other than 200), "
        f"{counts['unreadable'] or 0} unreadable (a body in no known shape, or not one "
        "prediction per input)"
    )


def align_types(frame: DataFrame, reference: DataFrame, columns: Iterable[str]) -> DataFrame:
    """Cast the unpacked (string) ``columns`` to the reference's types, so drift compares
    numbers with numbers; a value that does not parse becomes NULL."""
    from pyspark.sql import functions as F

    types = {field.name: field.dataType for field in reference.schema.fields}
    casts = {
        name: F.expr(f"try_cast(`{name}` AS {types[name].simpleString()})")
        for name in columns
        if name in types and name in frame.columns
    }
    return frame.withColumns(casts) if casts else frame
