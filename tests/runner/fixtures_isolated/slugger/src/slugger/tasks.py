"""Task entry points; text_unidecode is imported where it is used, as a task would."""

from __future__ import annotations

import argparse
import sys
import time


def slug() -> None:
    from text_unidecode import unidecode  # not declared by this package: the bundle must

    parser = argparse.ArgumentParser()
    parser.add_argument("--text", required=True)
    text = parser.parse_args().text
    print("slug:", "-".join(unidecode(text).lower().split()))
    print("python:", sys.executable)


def notes() -> None:
    from slugger.local_notes import NOTES  # in the checkout, left out of the wheel

    print("notes:", NOTES, sys.argv)


def sleep() -> None:
    print("sleeping", flush=True)
    time.sleep(120)


def spark_mode() -> None:
    """The session kind the local runtime would give this task (MLOPS_SPARK_CONNECT)."""
    import os

    print("spark connect:", os.environ.get("MLOPS_SPARK_CONNECT"))
