"""The framework's own wheel, vendored into generated projects (``vendor/``).

databricks-mlops is not on a package index the workspace or a CI runner can reach, so a
generated project carries a wheel of the exact framework version that generated it: the
bundle installs it next to the project's wheel and ``[tool.uv.sources]`` points uv at it.
Where the wheel comes from depends on how this framework is installed, which the
distribution's ``direct_url.json`` (PEP 610) records:

- from a source checkout (editable, or a local directory): ``uv build --wheel`` of it;
- from a wheel file that still exists: a copy of that file;
- anything else (an index, a deleted file): the caller must pass ``--framework-wheel``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from databricks_mlops.project.generation import ProjectError

DISTRIBUTION = "databricks-mlops"
VENDOR_DIR = "vendor"
# A pure-Python wheel of this distribution; the version segment is what uv/pip read.
WHEEL_NAME = re.compile(r"^databricks_mlops-(?P<version>[A-Za-z0-9_.+!]+)-py3-none-any\.whl$")
_HOW_TO_FIX = (
    "pass --framework-wheel PATH (a databricks_mlops-<version>-py3-none-any.whl, e.g. from "
    "`uv build --wheel` in a databricks-mlops checkout), or answer framework_source=pypi "
    "if databricks-mlops is on your package index"
)


def wheel_name(version: str) -> str:
    return f"databricks_mlops-{version}-py3-none-any.whl"


def running_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError as exc:
        raise ProjectError(
            f"{DISTRIBUTION} is not installed as a distribution (no metadata), so its wheel "
            f"cannot be found: {_HOW_TO_FIX}"
        ) from exc


def install_origin() -> tuple[str, Path] | None:
    """``("checkout", dir)`` or ``("wheel", file)`` from ``direct_url.json``, or ``None``
    when the framework came from an index (no direct URL) or from somewhere not local."""
    try:
        text = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not text:
        return None
    try:
        direct = json.loads(text)
    except ValueError:
        return None
    url = urlparse(str(direct.get("url", "")))
    if url.scheme != "file":
        return None
    path = Path(unquote(url.path))
    if "dir_info" in direct:
        return "checkout", path
    if "archive_info" in direct and path.suffix == ".whl":
        return "wheel", path
    return None


def _checked(wheel: Path, version: str, where: str) -> Path:
    match = WHEEL_NAME.match(wheel.name)
    if not wheel.is_file() or match is None:
        raise ProjectError(
            f"{where} {wheel} is not a databricks-mlops wheel (a file named "
            f"databricks_mlops-<version>-py3-none-any.whl): {_HOW_TO_FIX}"
        )
    if wheel.name != wheel_name(version):
        raise ProjectError(
            f"{where} {wheel} is databricks-mlops {match['version']}, but the running "
            f"framework (whose template generates the project) is {version}: give the wheel "
            f"of version {version}, or reinstall the framework from that wheel's source"
        )
    return wheel


def build_from_checkout(checkout: Path, out_dir: Path) -> Path:
    if not (checkout / "pyproject.toml").is_file():
        raise ProjectError(
            f"databricks-mlops is installed from the directory {checkout}, which has no "
            f"pyproject.toml any more, so its wheel cannot be built: {_HOW_TO_FIX}"
        )
    uv = shutil.which("uv")
    if uv is None:
        raise ProjectError(
            f"building the databricks-mlops wheel from {checkout} needs uv on PATH "
            f"(https://docs.astral.sh/uv/): install it, or {_HOW_TO_FIX}"
        )
    built = out_dir / "build"
    try:
        subprocess.run(
            [uv, "build", "--wheel", "--quiet", str(checkout), "--out-dir", str(built)],
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or exc.stdout or "").strip().splitlines()
        raise ProjectError(
            f"Failed to build the databricks-mlops wheel from {checkout} (uv build --wheel): "
            f"{detail[-1] if detail else f'exit status {exc.returncode}'}; fix the build, or "
            f"{_HOW_TO_FIX}"
        ) from exc
    except (OSError, subprocess.SubprocessError) as exc:
        raise ProjectError(
            f"Failed to build the databricks-mlops wheel from {checkout}: {exc}"
        ) from exc
    wheels = sorted(built.glob("*.whl"))
    if len(wheels) != 1:
        raise ProjectError(
            f"uv build --wheel {checkout} made {len(wheels)} wheels, expected one: {_HOW_TO_FIX}"
        )
    return wheels[0]


def framework_wheel(explicit: Path | None, work_dir: Path) -> Path:
    """A wheel of the running framework version: ``explicit`` if given, else built from
    the source checkout or the installed wheel file. ``work_dir`` holds a built wheel."""
    version = running_version()
    if explicit is not None:
        return _checked(Path(explicit).expanduser().resolve(), version, "--framework-wheel")
    origin = install_origin()
    if origin is None:
        raise ProjectError(
            f"cannot find a wheel of the running databricks-mlops {version}: it was not "
            f"installed from a source checkout or a local wheel file; {_HOW_TO_FIX}"
        )
    kind, path = origin
    if kind == "wheel":
        if not path.is_file():
            raise ProjectError(
                f"databricks-mlops was installed from the wheel {path}, which no longer "
                f"exists: {_HOW_TO_FIX}"
            )
        return _checked(path, version, "the installed wheel")
    return _checked(build_from_checkout(path, work_dir), version, f"the wheel built from {path}")


def vendor_wheel(wheel: Path, project: Path) -> Path:
    """Copy ``wheel`` into ``project/vendor/``, removing any other framework wheel there
    (an update replaces the version; a stale one would be uploaded with the bundle)."""
    vendor = project / VENDOR_DIR
    try:
        vendor.mkdir(exist_ok=True)
        for old in vendor.glob("databricks_mlops-*.whl"):
            if old.name != wheel.name:
                old.unlink()
        target = vendor / wheel.name
        shutil.copyfile(wheel, target)
    except OSError as exc:
        raise ProjectError(
            f"Failed to copy the framework wheel {wheel} into {vendor}: {exc}"
        ) from exc
    return target
