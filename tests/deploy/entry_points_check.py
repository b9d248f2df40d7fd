"""Run by a fresh venv's python (no project checkout on sys.path): load each
python_wheel_task's entry point the way Databricks resolves it, from the installed
distribution's entry-point metadata, and say where each distribution came from.

argv: JSON [[package_name, entry_point], ...], then the names of distributions whose origin
to report. Prints JSON {"entry_points": {"pkg:entry": "ok" | error}, "origins": {...}}."""

from __future__ import annotations

import json
import sys
from importlib import metadata


def origin(name: str) -> str:
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return "not installed"
    direct = dist.read_text("direct_url.json")
    return str(json.loads(direct)["url"]) if direct else f"an index ({dist.version})"


def load(package: str, entry_point: str) -> str:
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        return f"no distribution {package!r} installed"
    found = [ep for ep in dist.entry_points if ep.name == entry_point]
    if not found:
        return f"{package} has no entry point {entry_point!r}"
    try:
        found[0].load()
    except Exception as exc:  # reported to the test, which fails on it
        return f"{type(exc).__name__}: {exc}"
    return "ok"


def main() -> None:
    wanted = json.loads(sys.argv[1])
    report = {
        "entry_points": {f"{p}:{e}": load(p, e) for p, e in wanted},
        "origins": {name: origin(name) for name in sys.argv[2:]},
        "sys_path": sys.path,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
