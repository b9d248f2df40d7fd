"""Estimators named by import path, with their hyperparameters checked before training."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

from databricks_mlops.errors import did_you_mean
from databricks_mlops.model_training.errors import TrainingError


def resolve_import_path(path: str) -> Any:
    """The class or factory at ``package.module.Name``; unknown names get "did you mean"."""
    module_name, _, attribute = path.rpartition(".")
    if not module_name or not attribute:
        raise TrainingError(
            f"estimator {path!r} is not an import path; write it as 'package.module.Name' "
            f"(e.g. 'sklearn.ensemble.RandomForestClassifier')"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise TrainingError(
            f"estimator {path!r}: cannot import module {module_name!r}"
            f"{_module_suggestion(module_name)} ({exc})"
        ) from exc
    if not hasattr(module, attribute):
        public = [name for name in dir(module) if not name.startswith("_")]
        raise TrainingError(
            f"estimator {path!r}: module {module_name!r} has no {attribute!r}"
            f"{did_you_mean(attribute, public)}"
        )
    target = getattr(module, attribute)
    if not callable(target):
        raise TrainingError(f"estimator {path!r} is not a class or a factory function")
    return target


def _module_suggestion(module_name: str) -> str:
    parent, _, leaf = module_name.rpartition(".")
    if not parent:
        return ""
    try:
        package = importlib.import_module(parent)
    except ImportError:
        return ""
    search_path = getattr(package, "__path__", None)
    if search_path is None:
        return ""
    siblings = [info.name for info in pkgutil.iter_modules(search_path)]
    suggestion = did_you_mean(leaf, siblings)
    return suggestion.replace("'", f"'{parent}.", 1) if suggestion else ""


def build_estimator(path: str, hyperparameters: dict[str, Any], seed: int) -> Any:
    """Instantiate the estimator, rejecting a hyperparameter it does not accept.

    A class is built bare and checked against ``get_params()`` (scikit-learn's contract,
    which xgboost and lightgbm follow), then configured with ``set_params``; a factory
    function is checked against its signature. ``random_state`` is set from ``seed``
    when the estimator has one and the config does not give it.
    """
    target = resolve_import_path(path)
    if inspect.isclass(target):
        estimator = _instantiate(path, target, {})
        return configure_estimator(path, estimator, hyperparameters, seed)
    _check_factory_arguments(path, target, hyperparameters)
    estimator = _instantiate(path, target, hyperparameters)
    return configure_estimator(path, estimator, {}, seed)


def configure_estimator(
    label: str, estimator: Any, hyperparameters: dict[str, Any], seed: int
) -> Any:
    """Apply ``hyperparameters`` (checked against ``get_params``) and the seed to ``estimator``."""
    if not hasattr(estimator, "get_params") or not hasattr(estimator, "fit"):
        raise TrainingError(
            f"estimator {label!r} does not follow the scikit-learn API (fit / get_params)"
        )
    accepted = estimator.get_params(deep=False)
    unknown = [name for name in hyperparameters if name not in accepted]
    if unknown:
        name = unknown[0]
        raise TrainingError(
            f"hyperparameter {name!r} is not accepted by {label}{did_you_mean(name, accepted)}; "
            f"accepted: {', '.join(sorted(accepted))}"
        )
    settings = dict(hyperparameters)
    if "random_state" in accepted and "random_state" not in settings:
        settings["random_state"] = seed
    try:
        estimator.set_params(**settings)
    except (TypeError, ValueError) as exc:
        raise TrainingError(f"Failed to set hyperparameters on {label}: {exc}") from exc
    return estimator


def _check_factory_arguments(path: str, factory: Any, hyperparameters: dict[str, Any]) -> None:
    parameters = inspect.signature(factory).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    for name in hyperparameters:
        if name not in parameters:
            raise TrainingError(
                f"hyperparameter {name!r} is not accepted by {path}"
                f"{did_you_mean(name, parameters)}; accepted: {', '.join(parameters)}"
            )


def _instantiate(path: str, target: Any, arguments: dict[str, Any]) -> Any:
    try:
        return target(**arguments)
    except (TypeError, ValueError) as exc:
        raise TrainingError(f"Failed to create estimator {path}: {exc}") from exc


def with_categorical_encoding(estimator: Any, categorical_columns: list[str]) -> Any:
    """One-hot encode raw string ``categorical_columns`` inside the model (unseen
    categories encode as all zeros), other columns passed through unchanged."""
    if not categorical_columns:
        return estimator
    from sklearn.compose import ColumnTransformer  # type: ignore[import-untyped]
    from sklearn.pipeline import Pipeline  # type: ignore[import-untyped]
    from sklearn.preprocessing import OneHotEncoder  # type: ignore[import-untyped]

    encoder = ColumnTransformer(
        [("categorical", OneHotEncoder(handle_unknown="ignore"), list(categorical_columns))],
        remainder="passthrough",
    )
    return Pipeline([("encode", encoder), ("estimator", estimator)])


def fit_estimator(estimator: Any, features: Any, target: Any, weights: Any | None) -> Any:
    """Fit, passing sample weights to the final step of a pipeline."""
    from sklearn.pipeline import Pipeline

    kwargs: dict[str, Any] = {}
    if weights is not None:
        key = "estimator__sample_weight" if isinstance(estimator, Pipeline) else "sample_weight"
        kwargs[key] = weights
    try:
        return estimator.fit(features, target, **kwargs)
    except (TypeError, ValueError) as exc:
        raise TrainingError(f"Failed to fit {type(estimator).__name__}: {exc}") from exc


def set_estimator_params(estimator: Any, params: dict[str, Any]) -> Any:
    """``set_params`` on the estimator, or on the final step of a categorical pipeline."""
    from sklearn.pipeline import Pipeline

    if isinstance(estimator, Pipeline):
        return estimator.set_params(**{f"estimator__{k}": v for k, v in params.items()})
    return estimator.set_params(**params)


def check_parameter_names(label: str, estimator: Any, names: list[str], where: str) -> None:
    """Reject a name the estimator's ``get_params()`` does not know."""
    accepted = estimator.get_params(deep=False)
    for name in names:
        if name not in accepted:
            raise TrainingError(
                f"{where} {name!r} is not accepted by {label}{did_you_mean(name, accepted)}; "
                f"accepted: {', '.join(sorted(accepted))}"
            )
