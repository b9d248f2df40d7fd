"""The logged model: raw feature columns in, predictions out.

The fitted feature state (JSON) and the estimator (skops) are artifacts of one
``mlflow.pyfunc.PythonModel``, so a model loaded from the registry applies exactly the
transforms the features were built with (``FeatureTransformer.from_state(...)``'s pandas
backend, value-for-value the Spark one) and then the estimator.

Output: a DataFrame with ``prediction`` (the class, or the value for regression) and,
for a classifier with ``predict_proba``, ``probability``: the positive (larger) class's
probability for a binary target, the predicted class's for more classes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from mlflow.pyfunc.model import PythonModel

from databricks_mlops.model_training.serialization import load_estimator

FEATURE_STATE_ARTIFACT = "feature_state"


def predict_frame(
    estimator: Any,
    features: pd.DataFrame,
    *,
    classification: bool,
) -> pd.DataFrame:
    """``prediction`` (and ``probability``) for the estimator's input ``features``."""
    import numpy as np

    result = pd.DataFrame({"prediction": estimator.predict(features)}, index=features.index)
    if classification and hasattr(estimator, "predict_proba"):
        probabilities = np.asarray(estimator.predict_proba(features), dtype=float)
        if probabilities.shape[1] == 2:
            result["probability"] = probabilities[:, 1]
        else:
            result["probability"] = probabilities.max(axis=1)
    return result


class FeaturePipelineModel(PythonModel):
    """Feature state + estimator. Constructed with the estimator's input columns only;
    the estimator and state are artifacts, loaded in :meth:`load_context`.

    ``custom_transforms`` (name -> ``module:QualName``) are imported and registered on
    load: the model's ``code/`` directory is on ``sys.path`` there, but it is no installed
    distribution, so the ``databricks_mlops.transforms`` entry points are not visible.
    """

    def __init__(
        self,
        feature_columns: list[str],
        classification: bool,
        custom_transforms: dict[str, str] | None = None,
    ) -> None:
        self.feature_columns = list(feature_columns)
        self.classification = classification
        self.custom_transforms = dict(custom_transforms or {})
        self._estimator: Any = None
        self._transformer: Any = None

    def load_context(self, context: Any) -> None:
        from databricks_mlops.feature_engineering import FeatureTransformer, get_transform
        from databricks_mlops.model_training.model_code import import_custom_transforms

        # Models pickled before custom_transforms existed have no such attribute.
        import_custom_transforms(getattr(self, "custom_transforms", {}))
        artifacts = context.artifacts
        self._estimator = load_estimator(artifacts["estimator"], artifacts["estimator_types"])
        state_path = artifacts.get(FEATURE_STATE_ARTIFACT)
        if state_path:
            text = Path(state_path).read_text(encoding="utf-8")
            self._transformer = FeatureTransformer.from_state(text)
            # A transform that cannot be found fails the load (the server never answers
            # /ping), not the first request.
            for spec in self._transformer.state.transforms.values():
                if spec.type == "custom":
                    get_transform(spec.name)

    @property
    def estimator(self) -> Any:
        return self._estimator

    # model_input is left unannotated on purpose: MLflow reads predict's type hints as a
    # schema, and the logged signature (raw columns, inferred from rows) is the schema.
    def predict(  # type: ignore[no-untyped-def]
        self, context: Any, model_input, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        if self._transformer is not None:
            frame = self._transformer.transform(frame)
        return self.predict_features(frame)

    def predict_features(self, features: pd.DataFrame) -> pd.DataFrame:
        """Predict from already-transformed rows (a feature table), skipping the state."""
        return predict_frame(
            self._estimator, features[self.feature_columns], classification=self.classification
        )
