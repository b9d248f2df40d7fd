"""``databricks-mlops``: run bundle jobs locally, make sample data, check configs.

Framework errors (``MLOpsError``) print as one red line and exit 1 (2 for usage errors);
only a bug shows a traceback.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape

from databricks_mlops.cli.endpoints import endpoints_app
from databricks_mlops.errors import ConfigError, MLOpsError, did_you_mean

app = typer.Typer(
    name="databricks-mlops",
    help="Typed MLOps for Databricks, runnable locally end to end.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err = Console(stderr=True)
out = Console()
app.add_typer(endpoints_app, name="endpoints")


def _parse_pairs(pairs: list[str], option: str) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"expected name=value, got {pair!r}", param_hint=option)
        parsed[name.strip()] = value
    return parsed


@app.command()
def run(
    job: Annotated[str, typer.Argument(help="Job key under resources.jobs (e.g. data_ingestion).")],
    target: Annotated[str | None, typer.Option("--target", "-t", help="Bundle target.")] = None,
    var: Annotated[
        list[str] | None, typer.Option("--var", help="Bundle variable override name=value.")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Job parameter name=value.")
    ] = None,
    bundle_dir: Annotated[
        Path, typer.Option("--bundle-dir", "-C", help="Directory holding databricks.yml.")
    ] = Path("."),
    in_process: Annotated[
        bool,
        typer.Option(
            "--in-process",
            help="Run wheel tasks in this Python process (fast, but sees this virtualenv) "
            "instead of each in its own environment built from what the bundle declares "
            "(the default; also MLOPS_TASK_ISOLATION=in-process).",
        ),
    ] = False,
) -> None:
    """Run a bundle job locally, tasks in dependency order, like Databricks would: each
    wheel task in a fresh environment of exactly what the bundle declares for it."""
    from databricks_mlops.runner import load_bundle, run_job

    bundle = load_bundle(bundle_dir.resolve(), target, _parse_pairs(var or [], "--var"))
    err.print(f"[bold]bundle[/] {bundle.name}  [bold]target[/] {bundle.target}  [bold]job[/] {job}")
    result = run_job(
        bundle,
        job,
        _parse_pairs(param or [], "--param"),
        console=err,
        isolated=False if in_process else None,
    )
    if not result.succeeded:
        raise typer.Exit(1)


@app.command("sample-data")
def sample_data(
    name: Annotated[str, typer.Argument(help="Dataset name (churn).")],
    out_path: Annotated[
        str,
        typer.Option(
            "--out",
            "-o",
            help="File to write (.csv or .parquet); dbfs:/ and /Volumes/ map locally.",
        ),
    ],
    rows: Annotated[int, typer.Option("--rows", "-n", min=1, help="Number of rows.")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 42,
    variant: Annotated[
        str, typer.Option(help="reference, or current (drifted, for monitoring).")
    ] = "reference",
) -> None:
    """Write a seeded sample dataset with deliberate data-quality problems."""
    from databricks_mlops.datasets import get_dataset, write_dataset
    from databricks_mlops.runtime import get_runtime

    if variant not in ("reference", "current"):
        raise typer.BadParameter("must be reference or current", param_hint="--variant")
    chosen: Literal["reference", "current"] = "current" if variant == "current" else "reference"
    frame = get_dataset(name)(rows=rows, seed=seed, variant=chosen)
    path = Path(get_runtime().path(out_path))
    written = write_dataset(frame, path)
    out.print(f"wrote {len(frame)} rows of {name!r} ({variant}) to {written}")


@app.command("validate-config")
def validate_config(
    file: Annotated[Path, typer.Argument(help="A stage config YAML file.")],
    kind: Annotated[
        str | None,
        typer.Option(
            help="data, feature, training, deployment, monitoring or pipeline; "
            "guessed from the file name when omitted."
        ),
    ] = None,
    var: Annotated[list[str] | None, typer.Option("--var", help="Variable name=value.")] = None,
) -> None:
    """Check a config file as its task will: the schema, then every rule and expression
    (syntax, forbidden constructs, and columns and types where the source's are known
    here). Errors name file, line and field; any problem exits 1."""
    from databricks_mlops.config.kinds import CONFIG_KINDS

    chosen = kind or next((k for k in CONFIG_KINDS if file.stem.startswith(k)), None)
    if chosen is None or chosen not in CONFIG_KINDS:
        hint = did_you_mean(chosen, CONFIG_KINDS) if chosen else ""
        raise ConfigError(
            f"{file}: cannot tell which config this is{hint}; pass --kind "
            f"({', '.join(CONFIG_KINDS)})"
        )
    config = CONFIG_KINDS[chosen].from_yaml(file, _parse_pairs(var or [], "--var"))
    summary = _check_statically(file, config)
    out.print(
        f"[green]✓[/] {escape(str(file))} is a valid {chosen} config{escape(summary)}",
        soft_wrap=True,
    )


def _check_statically(file: Path, config: object) -> str:
    """What the task would reject before reading data; ``ConfigError`` listing each
    problem at its line, else a summary of what was checked."""
    from databricks_mlops.config.kinds import DataConfig, FeatureConfig
    from databricks_mlops.config.yaml_source import dotted_path, read_yaml
    from databricks_mlops.validation.static_check import (
        Problem,
        check_data_config,
        check_feature_config,
        read_source_columns,
    )

    problems: list[Problem] = []
    summary = ""
    if isinstance(config, DataConfig):
        source, why = read_source_columns(config)
        checked = check_data_config(config, source)
        problems = checked.problems
        summary = f": {checked.rules} rules parse; {checked.columns_note}"
        summary += f" ({why})" if why else ""
    elif isinstance(config, FeatureConfig):
        problems = check_feature_config(config)
        summary = f": {len(config.derived)} derived expressions parse" if config.derived else ""
    if problems:
        lines = read_yaml(file)
        raise ConfigError(
            "\n".join(
                f"{file}:{lines.line_of(p.loc)}: {dotted_path(p.loc)}: {p.message}"
                for p in problems
            )
        )
    return summary


@app.command()
def table(
    names: Annotated[
        list[str], typer.Argument(help="Table names (catalog.schema.table) or Delta paths.")
    ],
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 5,
) -> None:
    """Show tables: Delta version, row count, schema and first rows."""
    for name in names:
        _show_table(name, limit)


def _show_table(name: str, limit: int) -> None:
    from rich.table import Table

    from databricks_mlops.runtime import get_runtime

    runtime = get_runtime()
    if not runtime.delta_exists(name):
        raise MLOpsError(f"table {name!r} does not exist (locally: no Delta files for it)")
    df = runtime.read_delta(name)
    version = runtime.delta_history(name, 1).collect()[0]["version"]
    rows = df.count()
    sample = df.limit(limit).collect()
    # One line per column (tables here are wide): name, type, the first rows' values.
    view = Table(title=f"{name}  (Delta version {version}, {rows} rows)")
    for header in ("column", "type", f"first {len(sample)} rows"):
        view.add_column(header, overflow="fold")
    for field in df.schema.fields:
        values = ["NULL" if row[field.name] is None else str(row[field.name]) for row in sample]
        view.add_row(escape(field.name), field.dataType.simpleString(), escape(" | ".join(values)))
    out.print(view)
    out.print(f"{name}: {rows} rows, {len(df.columns)} columns")


@app.command()
def new(
    no_input: Annotated[
        bool,
        typer.Option(
            "--no-input", help="Take the defaults (and the answers file) without prompting."
        ),
    ] = False,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config-file",
            help="YAML answers (name: value), or a cookiecutter config with default_context.",
        ),
    ] = None,
    output_dir: Annotated[
        Path, typer.Option("--output-dir", "-o", help="Where the project directory is created.")
    ] = Path("."),
    template: Annotated[
        Path | None, typer.Option(help="A template directory (default: the shipped template).")
    ] = None,
    answer: Annotated[
        list[str] | None, typer.Option("--answer", "-a", help="An answer name=value.")
    ] = None,
    framework_wheel: Annotated[
        Path | None,
        typer.Option(
            "--framework-wheel",
            help="The databricks-mlops wheel to put in vendor/ (default: built from this "
            "installation's checkout, or the wheel it was installed from).",
        ),
    ] = None,
) -> None:
    """Generate a new project (bundle, jobs, configs, tests, CI/CD) from the template."""
    from databricks_mlops.project import generate_project, load_answers_file

    answers: dict[str, object] = {}
    cookiecutter_config = None
    if config_file is not None:
        answers, cookiecutter_config = load_answers_file(config_file)
    answers.update(_parse_pairs(answer or [], "--answer"))
    project = generate_project(
        answers,
        output_dir,
        no_input=no_input,
        config_file=cookiecutter_config,
        template=template,
        framework_wheel=framework_wheel,
    )
    out.print(f"[green]✓[/] created {project}")
    out.print(f"  cd {project} && make test      # then: make sample-data && make run")


@app.command()
def update(
    path: Annotated[
        Path, typer.Argument(help="The generated project (a clean git repository).")
    ] = Path("."),
    checkout: Annotated[
        str | None, typer.Option(help="Template branch, tag or commit to update to.")
    ] = None,
    framework_wheel: Annotated[
        Path | None,
        typer.Option(
            "--framework-wheel",
            help="The databricks-mlops wheel to put in vendor/ (default: this installation's).",
        ),
    ] = None,
) -> None:
    """Bring later template changes into a generated project, keeping your edits."""
    from databricks_mlops.project import update_project

    result = update_project(path, checkout=checkout, framework_wheel=framework_wheel)
    if result.wheel_replaced:
        out.print(
            f"[green]✓[/] vendor/{result.to_wheel} is the framework version this command runs"
            + (f" (was {result.from_wheel})" if result.from_wheel != result.to_wheel else "")
        )
    if result.from_commit != result.to_commit:
        out.print(
            f"[green]✓[/] {result.project} updated from template commit "
            f"{(result.from_commit or '?')[:12]} to {(result.to_commit or '?')[:12]}; review with `git diff`"
        )
    elif not result.changed:
        out.print(f"[green]✓[/] {result.project} is already up to date with its template")


@app.command()
def version() -> None:
    """Print the framework version."""
    from importlib.metadata import version as installed_version

    out.print(f"databricks-mlops {installed_version('databricks-mlops')}")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("databricks_mlops").setLevel(logging.INFO)
    try:
        app()
    except MLOpsError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(1)
