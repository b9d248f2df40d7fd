"""``make sample-data``: sample records where the data_ingestion job reads them locally.

Which file, and which records, come from the bundle: the ingest task's named parameters
give configs/data.yml its names (``source_file`` ...), and the bundle variable
``sample_dataset`` picks the records: the name of a databricks-mlops sample dataset
(``churn``: realistic, with a signal the training gates can pass), or empty for rows
synthesised from configs/data.yml's declared types and rules (they exercise the wiring;
their labels are random, so the gates will refuse the model). With your own data, put
your file where configs/data.yml reads it instead (README: "Bring your own data").

``make upload-sample TARGET=...`` (``--upload``) writes the same records to a deployed
target's raw volume, so the first ``data_ingestion`` run on a fresh workspace has its file:
``databricks bundle summary`` gives the deployed names (development mode prefixes them with
your user name) and ``databricks fs cp`` copies the file to ``/Volumes/...``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# `${resources.schemas.<key>.name}`: the CLI leaves resource references for deploy time.
RESOURCE_REFERENCE = re.compile(r"^\$\{resources\.(?P<kind>\w+)\.(?P<key>\w+)\.(?P<field>\w+)\}$")


def ingest_parameters(project: Path, target: str) -> dict[str, str]:
    """The named parameters the bundle gives the ingest task in ``target``."""
    from databricks_mlops.runner import load_bundle

    bundle = load_bundle(project, target, {})
    for task in bundle.jobs["data_ingestion"]["tasks"]:
        wheel = task.get("python_wheel_task", {})
        if wheel.get("entry_point", "").endswith("-ingest"):
            return {k: str(v) for k, v in wheel.get("named_parameters", {}).items()}
    raise SystemExit(f"error: {project}: the data_ingestion job has no ingest task")


def _resolved(summary: Mapping[str, Any], value: object, where: str) -> str:
    text = str(value)
    reference = RESOURCE_REFERENCE.match(text)
    if reference:
        resource = summary.get("resources", {}).get(reference["kind"], {}).get(reference["key"], {})
        text = str(resource.get(reference["field"], text))
    if not text or "${" in text:
        raise SystemExit(
            f"error: the bundle summary leaves {where} unresolved ({value!r}); run "
            "`databricks bundle validate -t <target>` to see why"
        )
    return text


def raw_volume_file(summary: Mapping[str, Any]) -> str:
    """``/Volumes/<catalog>/<schema>/<volume>/<source_file>`` of the deployed target that
    ``databricks bundle summary -o json`` describes: where its ingest task reads."""
    try:
        volume = summary["resources"]["volumes"]["raw"]
        source = summary["variables"]["source_file"]
    except (KeyError, TypeError) as exc:
        raise SystemExit(
            f"error: the bundle summary has no {exc} (the raw volume, resources/ml_artifacts.yml, "
            "and the source_file variable, databricks.yml): is this the project's folder?"
        ) from exc
    source_file = source.get("value", source.get("default")) if isinstance(source, dict) else None
    parts = [
        _resolved(summary, volume.get("catalog_name"), "the raw volume's catalog_name"),
        _resolved(summary, volume.get("schema_name"), "the raw volume's schema_name"),
        _resolved(summary, volume.get("name"), "the raw volume's name"),
        _resolved(summary, source_file, "the source_file variable"),
    ]
    return "/Volumes/" + "/".join(parts)


def _databricks(args: list[str], cli: str, project: Path, what: str) -> str:
    try:
        done = subprocess.run(
            [cli, *args], cwd=project, capture_output=True, text=True, timeout=600
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise SystemExit(f"error: Failed to run `databricks {' '.join(args)}`: {exc}") from exc
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise SystemExit(
            f"error: `databricks {' '.join(args)}` failed ({lines[-1] if lines else done.returncode}): "
            f"{what}"
        )
    return done.stdout


def upload(local: Path, project: Path, target: str, profile: str | None) -> str:
    """Copy ``local`` to the raw volume of the deployed ``target``; return its path there."""
    cli = shutil.which("databricks")
    if cli is None:
        raise SystemExit(
            "error: the Databricks CLI (`databricks`) is not on PATH: install it "
            "(https://docs.databricks.com/dev-tools/cli/install) and log in "
            "(`databricks auth login --host https://<workspace>`)"
        )
    chosen = ["--profile", profile] if profile else []
    text = _databricks(
        ["bundle", "summary", "-t", target, "-o", "json", *chosen],
        cli,
        project,
        "log in (`databricks auth login`) and give PROFILE= if the target's workspace is not "
        "your default profile",
    )
    try:
        summary = json.loads(text)
    except ValueError as exc:
        raise SystemExit(f"error: `databricks bundle summary` printed no JSON: {exc}") from exc
    remote = raw_volume_file(summary)
    _databricks(
        ["fs", "cp", "--overwrite", str(local), f"dbfs:{remote}", *chosen],
        cli,
        project,
        f"deploy the target first (`make deploy TARGET={target}` creates the volume {remote.rsplit('/', 1)[0]})",
    )
    return remote


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m {{ cookiecutter.package_name }}.sample_data")
    parser.add_argument("--project", type=Path, default=Path.cwd(), help="The bundle's folder.")
    parser.add_argument("--target", default="dev", help="Whose names the file gets (dev).")
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--upload",
        action="store_true",
        help="Write to the deployed target's raw volume (databricks CLI) instead of locally.",
    )
    parser.add_argument("--profile", help="Databricks CLI profile of the target's workspace.")
    args = parser.parse_args(argv)

    from databricks_mlops.config.data import DataConfig
    from databricks_mlops.datasets import get_dataset, sample_rows, write_dataset
    from databricks_mlops.runner import load_bundle
    from databricks_mlops.runtime import get_runtime

    parameters = ingest_parameters(args.project, args.target)
    config = DataConfig.from_yaml(parameters.pop("config"), parameters)
    dataset = str(load_bundle(args.project, args.target, {}).variables.get("sample_dataset", ""))
    if dataset:
        frame = get_dataset(dataset)(rows=args.rows, seed=args.seed)
    else:
        frame = sample_rows(config, rows=args.rows, seed=args.seed)
    origin = f"the {dataset!r} sample" if dataset else "configs/data.yml's declared columns"
    if args.upload:
        with tempfile.TemporaryDirectory() as scratch:
            # Named as the ingest task reads it: the file format follows the suffix.
            local = write_dataset(frame, Path(scratch) / Path(config.source_path).name)
            remote = upload(local, args.project, args.target, args.profile)
        print(f"upload-sample: {len(frame)} rows of {origin} in {remote} ({args.target})")
        return
    written = write_dataset(frame, Path(get_runtime().path(config.source_path)))
    print(f"sample-data: {len(frame)} rows of {origin} in {written} ({config.source_path})")


if __name__ == "__main__":
    main()
