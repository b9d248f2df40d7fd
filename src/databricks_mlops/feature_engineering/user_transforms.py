"""User-defined transforms, registered by name so projects extend without editing us.

Two ways to register, both looked up by ``CustomTransform(name=...)``:

* ``@register_transform("winsorize")`` on a :class:`UserTransform` subclass (or an
  instance) in the project's package, imported before the transformer runs;
* an entry point in the group ``databricks_mlops.transforms``
  (``winsorize = "my_project.features:Winsorize"``), loaded only when first asked for,
  so installing a package is enough and nothing is imported up front.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from importlib import metadata
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import JsonValue

from databricks_mlops.errors import did_you_mean
from databricks_mlops.feature_engineering.errors import FeatureEngineeringError

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import Column

ENTRY_POINT_GROUP = "databricks_mlops.transforms"


class UserTransform(ABC):
    """A transform the framework does not know: fit on Spark, apply on Spark and pandas.

    ``aggregates`` are added to the one aggregation job the fit runs for every column, so
    they must be Spark aggregate expressions (``F.avg(source)``...). ``finish`` turns
    their values into the JSON-able state kept in the fitted state; both ``apply_*``
    methods get that state back and must give the same values.
    """

    def aggregates(self, source: Column, options: Mapping[str, Any]) -> dict[str, Column]:
        """Statistic name -> Spark aggregate over ``source``; none by default."""
        return {}

    def finish(
        self, aggregated: Mapping[str, Any], options: Mapping[str, Any]
    ) -> dict[str, JsonValue]:
        """State from the aggregated values; by default the values themselves."""
        return dict(aggregated)

    @abstractmethod
    def apply_spark(
        self, source: Column, state: Mapping[str, JsonValue], options: Mapping[str, Any]
    ) -> Column:
        """The output column computed from ``source``."""

    @abstractmethod
    def apply_pandas(
        self, source: pd.Series, state: Mapping[str, JsonValue], options: Mapping[str, Any]
    ) -> pd.Series:
        """The same output as ``apply_spark``, for pandas (serving)."""


_registered: dict[str, UserTransform] = {}

T = TypeVar("T", bound=UserTransform | type[UserTransform])


def register_transform(name: str) -> Callable[[T], T]:
    """Class decorator: make ``CustomTransform(name=name)`` use this transform."""

    def register(transform: T) -> T:
        instance = transform() if isinstance(transform, type) else transform
        if not isinstance(instance, UserTransform):
            raise TypeError(
                f"@register_transform({name!r}) needs a UserTransform, got {transform!r}"
            )
        _registered[name] = instance
        return transform

    return register


def unregister_transform(name: str) -> None:
    """Forget a decorator registration (tests, notebooks re-running a cell)."""
    _registered.pop(name, None)


def _entry_points() -> dict[str, metadata.EntryPoint]:
    return {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}


def registered_names() -> list[str]:
    """Every name ``CustomTransform`` can use, without importing any entry point."""
    return sorted({*_registered, *_entry_points()})


def get_transform(name: str) -> UserTransform:
    """The transform registered as ``name``; decorator registrations win over entry points."""
    if name in _registered:
        return _registered[name]
    entry_point = _entry_points().get(name)
    if entry_point is None:
        known = registered_names()
        listing = ", ".join(known) if known else "none are registered"
        raise FeatureEngineeringError(
            f"unknown custom transform '{name}'{did_you_mean(name, known)}; registered: "
            f"{listing}. Register one with @register_transform({name!r}) or an entry point "
            f"in the '{ENTRY_POINT_GROUP}' group."
        )
    try:
        loaded = entry_point.load()
    except Exception as exc:  # any import-time failure of the user's package
        raise FeatureEngineeringError(
            f"Failed to load custom transform '{name}' from {entry_point.value}: {exc}"
        ) from exc
    instance = loaded() if isinstance(loaded, type) else loaded
    if not isinstance(instance, UserTransform):
        raise FeatureEngineeringError(
            f"entry point '{name}' ({entry_point.value}) is not a UserTransform"
        )
    _registered[name] = instance
    return instance
