"""Writing sample datasets (CSV / parquet, atomically) and looking them up by name."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from databricks_mlops.datasets import (
    SAMPLE_DATASETS,
    generate_churn,
    get_dataset,
    write_dataset,
)
from databricks_mlops.errors import DatasetError

BOOLEAN_COLUMNS = (
    "senior_citizen",
    "partner",
    "dependents",
    "phone_service",
    "tech_support",
    "paperless_billing",
)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return generate_churn(500, seed=3)


# --- CSV -----------------------------------------------------------------------------


def test_csv_round_trip_keeps_rows_and_columns(frame: pd.DataFrame, tmp_path: Path) -> None:
    written = write_dataset(frame, tmp_path / "churn.csv")
    assert written == tmp_path / "churn.csv"
    back = pd.read_csv(written)
    assert len(back) == len(frame)
    assert list(back.columns) == list(frame.columns)
    pd.testing.assert_series_equal(back["customer_id"], frame["customer_id"])
    pd.testing.assert_series_equal(back["total_charges"], frame["total_charges"])
    assert back["email"].isna().sum() == frame["email"].isna().sum()


def test_csv_spells_booleans_in_lower_case(frame: pd.DataFrame, tmp_path: Path) -> None:
    written = write_dataset(frame, tmp_path / "churn.csv")
    raw = pd.read_csv(written, dtype=str, keep_default_na=False)
    for name in BOOLEAN_COLUMNS:
        assert set(raw[name]) <= {"true", "false"}, name
    back = pd.read_csv(written)
    for name in BOOLEAN_COLUMNS:
        assert back[name].dtype == bool, name
        pd.testing.assert_series_equal(back[name], frame[name])


def test_csv_writes_iso_timestamps_and_dates(frame: pd.DataFrame, tmp_path: Path) -> None:
    raw = pd.read_csv(write_dataset(frame, tmp_path / "churn.csv"), dtype=str)
    assert raw["last_update_time"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d").all()
    assert raw["event_date"].str.fullmatch(r"\d{4}-\d\d-\d\d").all()
    parsed = pd.to_datetime(raw["last_update_time"])
    assert (parsed == frame["last_update_time"]).all()


def test_csv_keeps_sub_seconds_null_times_and_time_zones(tmp_path: Path) -> None:
    times = pd.DataFrame(
        {
            "naive": pd.to_datetime(["2024-01-02 03:04:05.250", None]),
            "aware": pd.to_datetime(["2024-01-02 03:04:05", None]).tz_localize("Europe/Berlin"),
            "flag": pd.array([True, None], dtype="boolean"),
        }
    )
    raw = pd.read_csv(write_dataset(times, tmp_path / "times.csv"), dtype=str)
    assert raw["naive"].tolist()[0] == "2024-01-02T03:04:05.250000"
    assert raw["aware"].tolist()[0] == "2024-01-02T02:04:05Z"
    assert raw["flag"].tolist()[0] == "true"
    assert raw.iloc[1].isna().all()


# --- parquet -------------------------------------------------------------------------


def test_parquet_round_trip_keeps_rows_columns_and_types(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    back = pd.read_parquet(write_dataset(frame, tmp_path / "churn.parquet"))
    assert len(back) == len(frame)
    assert list(back.columns) == list(frame.columns)
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    for name in BOOLEAN_COLUMNS:
        assert back[name].dtype == bool, name
    assert isinstance(back["event_date"].iloc[0], dt.date)


# --- choosing the format, directories, atomicity ------------------------------------


def test_explicit_format_wins_over_the_suffix(frame: pd.DataFrame, tmp_path: Path) -> None:
    written = write_dataset(frame, tmp_path / "churn.data", fmt="parquet")
    assert len(pd.read_parquet(written)) == len(frame)


def test_suffix_is_case_insensitive(frame: pd.DataFrame, tmp_path: Path) -> None:
    assert len(pd.read_csv(write_dataset(frame, tmp_path / "CHURN.CSV"))) == len(frame)


def test_missing_parent_directories_are_created(frame: pd.DataFrame, tmp_path: Path) -> None:
    written = write_dataset(frame, tmp_path / "a" / "b" / "churn.csv")
    assert written.is_file()


def test_unknown_suffix_names_it_and_the_accepted_ones(frame: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"suffix '\.xlsx'.*one of \.csv, \.parquet"):
        write_dataset(frame, tmp_path / "churn.xlsx")
    assert not list(tmp_path.iterdir())


def test_misspelled_suffix_gets_a_suggestion(frame: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"suffix '\.parqet' \(did you mean '\.parquet'\?\)"):
        write_dataset(frame, tmp_path / "churn.parqet")


def test_missing_suffix_is_refused(frame: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(
        DatasetError,
        match=r"from its name, which has no suffix: name it with one of \.csv, \.parquet",
    ):
        write_dataset(frame, tmp_path / "churn")


def test_unknown_format_is_refused(frame: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(
        DatasetError, match=r"Unknown dataset format 'json'; use one of csv, parquet"
    ):
        write_dataset(frame, tmp_path / "churn.csv", fmt="json")  # type: ignore[arg-type]


def test_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    out = tmp_path / "churn.parquet"
    out.write_bytes(b"previous contents")
    unwritable = pd.DataFrame({"mixed": [1, "two", 3.0]})
    with pytest.raises(DatasetError, match=r"Failed to write parquet dataset to .*churn\.parquet"):
        write_dataset(unwritable, out)
    assert out.read_bytes() == b"previous contents"
    assert [path.name for path in tmp_path.iterdir()] == ["churn.parquet"]


def test_overwrites_an_existing_file(frame: pd.DataFrame, tmp_path: Path) -> None:
    out = tmp_path / "churn.csv"
    write_dataset(frame, out)
    write_dataset(frame.head(10), out)
    assert len(pd.read_csv(out)) == 10
    assert [path.name for path in tmp_path.iterdir()] == ["churn.csv"]


def test_a_directory_in_the_way_is_reported(frame: pd.DataFrame, tmp_path: Path) -> None:
    (tmp_path / "churn.csv").mkdir()
    with pytest.raises(DatasetError, match=r"Failed to write csv dataset to .*churn\.csv"):
        write_dataset(frame, tmp_path / "churn.csv")


# --- registry ------------------------------------------------------------------------


def test_churn_is_registered() -> None:
    assert get_dataset("churn") is generate_churn
    assert SAMPLE_DATASETS["churn"] is generate_churn
    assert len(get_dataset("churn")(rows=20, seed=1, variant="current")) == 20


def test_unknown_dataset_gets_a_suggestion() -> None:
    with pytest.raises(
        DatasetError,
        match=r"Unknown sample dataset 'chrun' \(did you mean 'churn'\?\); available: churn",
    ):
        get_dataset("chrun")
