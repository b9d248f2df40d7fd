"""Saving the fitted estimator inside the logged model: skops, with its types recorded.

skops refuses to load types it was not told to trust. The types the file needs are
recorded next to it when it is written (by us, from an estimator we just fitted), and
at load time exactly those are trusted: a file that needs anything else is refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from databricks_mlops.model_training.errors import TrackingError

ESTIMATOR_FILE = "estimator.skops"
TRUSTED_TYPES_FILE = "estimator_types.json"


def save_estimator(estimator: Any, directory: Path) -> dict[str, str]:
    """Write the estimator and its type list to ``directory``; returns pyfunc artifacts."""
    import skops.io  # type: ignore[import-untyped]

    directory.mkdir(parents=True, exist_ok=True)
    model_file = directory / ESTIMATOR_FILE
    types_file = directory / TRUSTED_TYPES_FILE
    try:
        skops.io.dump(estimator, model_file)
        types = skops.io.get_untrusted_types(file=model_file)
    except (TypeError, ValueError, NotImplementedError) as exc:
        raise TrackingError(
            f"Failed to save estimator {type(estimator).__name__} with skops: {exc}"
        ) from exc
    types_file.write_text(json.dumps(sorted(types), indent=1), encoding="utf-8")
    return {"estimator": str(model_file), "estimator_types": str(types_file)}


def recorded_types(types_file: str | Path) -> list[str]:
    """The dotted type names :func:`save_estimator` recorded for the estimator file."""
    return [str(name) for name in json.loads(Path(types_file).read_text(encoding="utf-8"))]


def load_estimator(model_file: str | Path, types_file: str | Path) -> Any:
    """Load an estimator written by :func:`save_estimator`, trusting only its recorded types."""
    import skops.io

    recorded = set(json.loads(Path(types_file).read_text(encoding="utf-8")))
    needed = set(skops.io.get_untrusted_types(file=model_file))
    unexpected = sorted(needed - recorded)
    if unexpected:
        raise TrackingError(
            f"estimator file {model_file} needs types that were not recorded when it was "
            f"saved, refusing to load it: {', '.join(unexpected)}"
        )
    return skops.io.load(model_file, trusted=sorted(needed))
