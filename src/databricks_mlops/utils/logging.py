"""``setup_logger`` (seed API): one consistent format for framework and task logs."""

from __future__ import annotations

import logging

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logger(name: str = "databricks_mlops", level: int | str = logging.INFO) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.setLevel(level)
    if not any(getattr(h, "_mlops", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler._mlops = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    return logger
