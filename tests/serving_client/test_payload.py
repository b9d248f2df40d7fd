"""The dataframe_split body is valid JSON for every common dtype; answers become columns."""

from __future__ import annotations

import json
import math
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from databricks_mlops.serving_client import ServingInputError, ServingResponseError
from databricks_mlops.serving_client.payload import (
    SMALL_FRAME_ROWS,
    decode_predictions,
    encode_frame,
)
from databricks_mlops.serving_client.transport import retry_after_delay


def body(frame: pd.DataFrame, start: int = 0, stop: int | None = None) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(encode_frame(frame, start, stop))["dataframe_split"]
    return decoded


def test_values_become_json_safe() -> None:
    frame = pd.DataFrame(
        {
            "tenure": np.array([1, 2], dtype="int32"),
            "charges": [1.5, np.nan],
            "ratio": [np.inf, 0.25],
            "when": pd.to_datetime(["2024-01-02 03:04:05", None]),
            "when_tz": pd.to_datetime(["2024-01-02", "2024-06-30"]).tz_localize("UTC"),
            "maybe": pd.array([1, None], dtype="Int64"),
            "label": pd.Categorical(["a", None]),
            "flag": [True, False],
            "mixed": [np.int64(5), Decimal("2.5")],
            "day": [date(2024, 1, 2), None],
            "text": pd.array(["x", None], dtype="string"),
        }
    )
    split = body(frame)
    assert split["columns"] == list(frame.columns)
    assert split["data"] == [
        [1, 1.5, None, "2024-01-02T03:04:05", "2024-01-02T00:00:00+00:00", 1, "a", True, 5,
         "2024-01-02", "x"],
        [2, None, 0.25, None, "2024-06-30T00:00:00+00:00", None, None, False, 2.5, None, None],
    ]  # fmt: skip


def test_small_frames_encode_like_large_ones() -> None:
    # Up to SMALL_FRAME_ROWS rows are converted cell by cell, more column by column.
    frame = pd.DataFrame(
        {
            "i": np.arange(100),
            "f": np.where(np.arange(100) % 7 == 0, np.nan, np.arange(100) / 3),
            "t": pd.date_range("2024-01-01", periods=100, freq="h").where(np.arange(100) % 5 > 0),
            "n": pd.array([None if i % 3 == 0 else i for i in range(100)], dtype="Int64"),
            "c": pd.Categorical([None if i % 4 == 0 else "ab"[i % 2] for i in range(100)]),
            "o": [np.float32(0.5) if i % 2 else None for i in range(100)],
            "b": np.arange(100) % 2 == 0,
        }
    )
    assert len(frame) > SMALL_FRAME_ROWS
    whole = body(frame)["data"]
    pieces = [row for start in range(0, 100, 10) for row in body(frame, start, start + 10)["data"]]
    assert pieces == whole
    assert whole[0][:5] == [0, None, None, None, None]


def test_a_row_range_is_encoded_alone() -> None:
    frame = pd.DataFrame({"id": range(10)})
    assert body(frame, 3, 6)["data"] == [[3], [4], [5]]


def test_an_unserialisable_value_is_an_input_error_naming_columns() -> None:
    frame = pd.DataFrame({"obj": [object()]})
    with pytest.raises(ServingInputError, match=r"Failed to encode features as JSON .*'obj'"):
        encode_frame(frame)


@given(
    st.lists(
        st.tuples(
            st.integers(-(2**53), 2**53),
            st.floats(allow_nan=True, allow_infinity=True),
            st.one_of(st.none(), st.text(max_size=5)),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_any_numbers_and_text_round_trip_through_strict_json(
    rows: list[tuple[int, float, str | None]],
) -> None:
    frame = pd.DataFrame(rows, columns=["i", "f", "s"])
    decoded = body(frame)["data"]

    def not_json(constant: str) -> None:  # json.loads accepts NaN / Infinity by default
        raise AssertionError(f"non-standard JSON constant {constant} in the payload")

    json.loads(encode_frame(frame), parse_constant=not_json)
    for (i, f, s), (ji, jf, js) in zip(rows, decoded, strict=True):
        assert ji == i
        assert jf == (f if math.isfinite(f) else None)
        assert js == s


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"predictions": [{"a": 1, "b": 0.5}, {"a": 0, "b": 0.1}]}, {"a": [1, 0], "b": [0.5, 0.1]}),
        ({"predictions": [1, 0]}, {"prediction": [1, 0]}),
        ({"predictions": {"a": [1, 0], "b": [2, 3]}}, {"a": [1, 0], "b": [2, 3]}),
        ([[0.1, 0.9], [0.8, 0.2]], {"prediction": [[0.1, 0.9], [0.8, 0.2]]}),
        ({"predictions": [{"a": 1}, {"b": 2}]}, {"a": [1, None], "b": [None, 2]}),
    ],
)
def test_prediction_shapes_become_columns(answer: Any, expected: dict[str, list[Any]]) -> None:
    assert decode_predictions(answer, 2) == expected


def test_an_answer_without_predictions_names_what_it_got() -> None:
    with pytest.raises(ServingResponseError, match=r"no 'predictions' \(got \['outputs'\]\)"):
        decode_predictions({"outputs": [1]}, 1)


def test_retry_after_accepts_seconds_and_http_dates_and_is_capped() -> None:
    assert retry_after_delay("2", cap=10) == 2
    assert retry_after_delay("120", cap=10) == 10
    assert retry_after_delay("Wed, 21 Oct 2015 07:28:00 GMT", cap=10) == 0  # in the past
    future = (pd.Timestamp.now(tz="UTC") + pd.Timedelta(seconds=30)).strftime(
        "%a, %d %b %Y %H:%M:%S GMT"
    )
    assert 25 <= (retry_after_delay(future, cap=60) or 0) <= 30
    assert retry_after_delay("soon", cap=10) is None
    assert retry_after_delay(None, cap=10) is None
