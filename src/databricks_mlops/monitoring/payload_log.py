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
    from pyspark.sql import DataFrame

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
    """The inference log view of a payload table and what it had to leave out."""

    frame: DataFrame
    notes: list[str]


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

    request = F.from_json(F.col("request"), _REQUEST_SCHEMA)
    split = request["dataframe_split"]
    names = split["columns"]
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
        split_records, request["dataframe_records"], request["instances"], request["inputs"]
    )
    predictions = F.from_json(F.col("response"), _RESPONSE_SCHEMA)["predictions"]
    entity = (
        F.col("served_entity_id").cast("string")
        if "served_entity_id" in payload.columns
        else F.lit(None).cast("string")
    )
    parsed = payload.select(
        F.col("request_time").alias(timestamp_column),
        entity.alias(model_version_column),
        (F.col("status_code") == 200).alias("ok"),
        records.alias("records"),
        predictions.alias("predictions"),
    )
    usable = (
        F.col("ok") & F.col("records").isNotNull() & (F.size("predictions") == F.size("records"))
    )
    counts = parsed.agg(
        F.count(F.lit(1)).alias("requests"),
        F.sum(F.when(~F.col("ok"), 1).otherwise(0)).alias("failed"),
        F.sum(F.when(F.col("ok") & ~usable, 1).otherwise(0)).alias("unreadable"),
    ).first()
    assert counts is not None  # a global aggregation always returns one row
    notes = [
        f"read {counts['requests']} requests from the serving inference table; left out: "
        f"{counts['failed'] or 0} failed (HTTP status other than 200), "
        f"{counts['unreadable'] or 0} unreadable (a body in no known shape, or not one "
        "prediction per input)"
    ]
    rows = parsed.where(usable).select(
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
    return UnpackedPayload(frame, notes)


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
