"""``make sample-data``: sample records where the data_ingestion job reads them locally.

Which file, and which records, come from the bundle: the ingest task's named parameters
give configs/data.yml its names (``source_file`` ...), and the bundle variable
``sample_dataset`` picks the records: the name of a databricks-mlops sample dataset
(``churn``: realistic, with a signal the training gates can pass), or empty for rows
synthesised from configs/data.yml's declared types and rules (they exercise the wiring;
their labels are random, so the gates will refuse the model). With your own data, put
your file where configs/data.yml reads it instead (README: "Bring your own data").
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path


def ingest_parameters(project: Path, target: str) -> dict[str, str]:
    """The named parameters the bundle gives the ingest task in ``target``."""
    from databricks_mlops.runner import load_bundle

    bundle = load_bundle(project, target, {})
    for task in bundle.jobs["data_ingestion"]["tasks"]:
        wheel = task.get("python_wheel_task", {})
        if wheel.get("entry_point", "").endswith("-ingest"):
            return {k: str(v) for k, v in wheel.get("named_parameters", {}).items()}
    raise SystemExit(f"error: {project}: the data_ingestion job has no ingest task")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m {{ cookiecutter.package_name }}.sample_data")
    parser.add_argument("--project", type=Path, default=Path.cwd(), help="The bundle's folder.")
    parser.add_argument("--target", default="dev", help="Whose names the file gets (dev).")
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    from databricks_mlops.datasets import get_dataset, sample_rows, write_dataset
    from databricks_mlops.models.data import DataConfig
    from databricks_mlops.runner import load_bundle
    from databricks_mlops.runtime import get_runtime

    parameters = ingest_parameters(args.project, args.target)
    config = DataConfig.from_yaml(parameters.pop("config"), parameters)
    dataset = str(load_bundle(args.project, args.target, {}).variables.get("sample_dataset", ""))
    if dataset:
        frame = get_dataset(dataset)(rows=args.rows, seed=args.seed)
    else:
        frame = sample_rows(config, rows=args.rows, seed=args.seed)
    written = write_dataset(frame, Path(get_runtime().path(config.source_path)))
    origin = f"the {dataset!r} sample" if dataset else "configs/data.yml's declared columns"
    print(f"sample-data: {len(frame)} rows of {origin} in {written} ({config.source_path})")


if __name__ == "__main__":
    main()
