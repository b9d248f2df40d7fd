"""From a DataFrame to train / validation / test sets, checked before anything is logged.

Training a single-node estimator is the one place the framework collects data to the
driver: a Spark input larger than ``max_training_rows`` is sampled (seeded) first, and
the sampling is reported so that it is logged with the run.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from databricks_mlops.config.training import ModelType, TrainingConfig
from databricks_mlops.errors import did_you_mean
from databricks_mlops.model_training.errors import TrainingError

if TYPE_CHECKING:
    import pandas as pd

    from databricks_mlops.feature_engineering import FittedFeatureState

logger = logging.getLogger(__name__)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class CollectedData:
    """The rows trained on, and how they were obtained from the input."""

    frame: pd.DataFrame
    input_rows: int
    sampled: bool


@dataclass(frozen=True)
class DataSplit:
    """One split: the rows as given (``raw``, what the logged model receives), the
    estimator's input ``features``, the ``target`` and optional sample ``weights``."""

    raw: pd.DataFrame
    features: pd.DataFrame
    target: pd.Series
    weights: pd.Series | None

    def __len__(self) -> int:
        return len(self.target)


@dataclass(frozen=True)
class DataSplits:
    train: DataSplit
    validation: DataSplit | None
    test: DataSplit
    input_rows: int
    sampled: bool

    def row_counts(self) -> dict[str, int]:
        counts = {"input_rows": self.input_rows, "train_rows": len(self.train)}
        if self.validation is not None:
            counts["validation_rows"] = len(self.validation)
        counts["test_rows"] = len(self.test)
        return counts


def collect(data: Any, max_rows: int, seed: int) -> CollectedData:
    """A pandas frame of at most ``max_rows`` rows from a pandas or Spark DataFrame."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        rows = len(data)
        if rows <= max_rows:
            return CollectedData(data.reset_index(drop=True), rows, sampled=False)
        sample = data.sample(n=max_rows, random_state=seed).reset_index(drop=True)
        logger.info("training on a sample of %d of %d rows", max_rows, rows)
        return CollectedData(sample, rows, sampled=True)
    if not hasattr(data, "toPandas"):
        raise TrainingError(
            f"training data must be a pandas or Spark DataFrame, got {type(data).__name__}"
        )
    rows = int(data.count())
    if rows > max_rows:
        # Oversample slightly so the seeded Bernoulli sample rarely falls short of the limit.
        fraction = min(1.0, 1.1 * max_rows / rows)
        data = data.sample(fraction=fraction, seed=seed).limit(max_rows)
        logger.info("training on a sample of at most %d of %d rows", max_rows, rows)
    frame = data.toPandas()
    # Spark Connect (serverless) attaches its plan metrics to `attrs`; pandas writes attrs
    # into Parquet metadata as JSON, so saving the test set would fail on serverless only.
    frame.attrs.clear()
    return CollectedData(frame, rows, sampled=rows > max_rows)


def check_target(frame: pd.DataFrame, config: TrainingConfig) -> None:
    """The target exists, has no missing values and (classification) two or more classes."""
    target = config.target_column
    if target not in frame.columns:
        raise TrainingError(
            f"target column {target!r} is not in the training data"
            f"{did_you_mean(target, map(str, frame.columns))}; columns: "
            f"{', '.join(map(str, frame.columns))}"
        )
    if frame.empty:
        raise TrainingError("the training data has no rows")
    missing = int(frame[target].isna().sum())
    if missing:
        raise TrainingError(
            f"target column {target!r} is missing in {missing} of {len(frame)} rows; "
            f"filter them out (or fix the label join) before training"
        )
    if config.model_type is ModelType.CLASSIFICATION:
        classes = frame[target].nunique()
        if classes < 2:
            only = frame[target].iloc[0]
            only = only.item() if hasattr(only, "item") else only
            raise TrainingError(
                f"target column {target!r} has a single class ({only!r}) in {len(frame)} rows; "
                f"a classifier needs at least two"
            )
    weight = config.sample_weight_column
    if weight and weight not in frame.columns:
        raise TrainingError(
            f"sample_weight_column {weight!r} is not in the training data"
            f"{did_you_mean(weight, map(str, frame.columns))}"
        )


def raw_input_columns(
    frame: pd.DataFrame, config: TrainingConfig, state: FittedFeatureState | None
) -> list[str]:
    """The columns the logged model reads: what the feature state's transforms and
    derived expressions read, plus model inputs the state does not produce."""
    if state is None:
        return config.model_input_columns
    produced = set(state.output_columns) | set(state.derived)
    needed: list[str] = []
    for output, spec in state.transforms.items():
        needed.append(spec.source_for(output))
    for expression in state.derived.values():
        needed.extend(_IDENTIFIER.findall(expression))
    needed.extend(config.model_input_columns)
    sources = {spec.source_for(output) for output, spec in state.transforms.items()}
    available = set(map(str, frame.columns))
    # A transform that writes in place (``total_charges: numeric_fillna``) reads its output
    # column raw; any other output is computed by the model, not sent to it.
    return [
        column
        for column in dict.fromkeys(needed)
        if column in available
        and column not in state.derived
        and (column not in produced or column in sources)
    ]


def model_features(
    raw: pd.DataFrame,
    config: TrainingConfig,
    state: FittedFeatureState | None,
    *,
    features_applied: bool,
) -> pd.DataFrame:
    """The estimator's input: the state applied to ``raw`` (unless it already was), then
    ``feature_columns`` + ``categorical_columns`` in that order."""
    frame = raw
    if state is not None and not features_applied:
        from databricks_mlops.feature_engineering import FeatureTransformer

        frame = FeatureTransformer.from_state(state).transform(raw)
    wanted = config.model_input_columns
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        name = missing[0]
        where = "the training data after the feature transforms" if state else "the training data"
        raise TrainingError(
            f"feature column {name!r} is not in {where}"
            f"{did_you_mean(name, map(str, frame.columns))}; missing: {', '.join(missing)}"
        )
    return frame[wanted]


def split(
    frame: pd.DataFrame,
    features: pd.DataFrame,
    config: TrainingConfig,
    *,
    input_rows: int,
    sampled: bool,
) -> DataSplits:
    """Seeded train / validation / test split (stratified on the target when configured)."""
    from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]

    ratios = config.split_ratios
    test_share = ratios[-1]
    validation_share = ratios[1] if len(ratios) == 3 else 0.0
    target = frame[config.target_column]
    positions = list(range(len(frame)))

    def _split(items: list[int], share: float) -> tuple[list[int], list[int]]:
        labels = target.take(items) if config.stratify else None
        try:
            kept, held_out = train_test_split(
                items, test_size=share, random_state=config.seed, stratify=labels
            )
        except ValueError as exc:
            raise TrainingError(
                f"Failed to split {len(items)} rows by split_ratios {ratios}: {exc}"
            ) from exc
        return list(kept), list(held_out)

    rest, test = _split(positions, test_share)
    validation: list[int] | None = None
    if validation_share:
        train, validation = _split(rest, validation_share / (1 - test_share))
    else:
        train = rest

    def _take(rows: list[int]) -> DataSplit:
        weights = (
            frame[config.sample_weight_column].take(rows).reset_index(drop=True)
            if config.sample_weight_column
            else None
        )
        return DataSplit(
            raw=frame.iloc[rows].reset_index(drop=True),
            features=features.iloc[rows].reset_index(drop=True),
            target=target.take(rows).reset_index(drop=True),
            weights=weights,
        )

    return DataSplits(
        train=_take(train),
        validation=_take(validation) if validation is not None else None,
        test=_take(test),
        input_rows=input_rows,
        sampled=sampled,
    )
