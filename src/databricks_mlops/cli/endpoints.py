"""``databricks-mlops endpoints``: list, show, roll back and stop serving endpoints.

Without ``--host``/``--profile`` the backend is the one the deploy task would use: the
local scoring servers of ``$MLOPS_HOME/endpoints.json`` when the runtime is local, else
Databricks Model Serving with the SDK's default authentication (``DATABRICKS_HOST`` and
``DATABRICKS_TOKEN``, or a configured profile).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from databricks_mlops.deployment import Endpoint, ModelDeployer

endpoints_app = typer.Typer(
    help="List, show, roll back and stop serving endpoints (local or Databricks).",
    no_args_is_help=True,
)
out = Console()

Host = Annotated[
    str | None,
    typer.Option("--host", help="Databricks workspace URL (https://...); default: local."),
]
Profile = Annotated[
    str | None, typer.Option("--profile", help="Profile in ~/.databrickscfg to use.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Name = Annotated[str, typer.Argument(help="The serving endpoint's name.")]


def _deployer(host: str | None, profile: str | None) -> ModelDeployer:
    from databricks_mlops.config.workspace import WorkspaceConfig
    from databricks_mlops.deployment import ModelDeployer

    if host is None and profile is None:
        return ModelDeployer()
    return ModelDeployer(WorkspaceConfig(host=host, profile=profile))


def _traffic(endpoint: Endpoint) -> str:
    return ", ".join(
        f"{served.model_name} v{served.version}: {served.traffic_percent}%"
        for served in endpoint.served
    )


def _print(endpoints: list[Endpoint], as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps([endpoint.model_dump(mode="json") for endpoint in endpoints]))
        return
    view = Table()
    for header in ("name", "backend", "state", "traffic", "url"):
        view.add_column(header, overflow="fold")
    for endpoint in endpoints:
        view.add_row(
            escape(endpoint.name),
            endpoint.backend,
            endpoint.state,
            escape(_traffic(endpoint)),
            escape(endpoint.url),
        )
    out.print(view)


@endpoints_app.command("list")
def list_endpoints(host: Host = None, profile: Profile = None, as_json: AsJson = False) -> None:
    """Every serving endpoint, with its state and traffic split."""
    found = _deployer(host, profile).list()
    _print(found, as_json)
    if not found and not as_json:
        out.print("no serving endpoints")


@endpoints_app.command()
def show(name: Name, host: Host = None, profile: Profile = None, as_json: AsJson = False) -> None:
    """One endpoint: state, served versions and their traffic, URL."""
    from databricks_mlops.deployment.errors import DeploymentError
    from databricks_mlops.errors import did_you_mean

    deployer = _deployer(host, profile)
    endpoint = deployer.get(name)
    if endpoint is None:
        names = [found.name for found in deployer.list()]
        raise DeploymentError(
            f"No serving endpoint {name!r} ({deployer.kind}){did_you_mean(name, names)}"
        )
    _print([endpoint], as_json)


@endpoints_app.command()
def rollback(name: Name, host: Host = None, profile: Profile = None) -> None:
    """Serve the version the endpoint served before its last rollout again."""
    endpoint = _deployer(host, profile).rollback(name)
    out.print(f"[green]✓[/] {escape(name)} rolled back: {escape(_traffic(endpoint))}")


@endpoints_app.command()
def stop(name: Name, host: Host = None, profile: Profile = None) -> None:
    """Stop the local scoring server, or delete the Databricks serving endpoint."""
    _deployer(host, profile).stop(name)
    out.print(f"[green]✓[/] {escape(name)} stopped")
