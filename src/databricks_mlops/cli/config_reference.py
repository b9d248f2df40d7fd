"""The configuration reference, generated from the pydantic models themselves.

``python -m databricks_mlops.cli.config_reference docs/reference/configuration.md`` rewrites
the committed reference; ``--check`` exits 1 with a diff summary when it is stale, so a
changed field (name, alias, type, default, description) cannot ship undocumented.

Every model reachable from a stage config is documented once, in the first section that
reaches it, followed by any other model defined in the ``models`` package so a new one
shows up without touching this file.
"""

from __future__ import annotations

import argparse
import difflib
import enum
import importlib
import inspect
import json
import pkgutil
import sys
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, AliasPath, BaseModel, SecretStr
from pydantic.fields import FieldInfo

from databricks_mlops.errors import MLOpsError

DEFAULT_OUTPUT = Path("docs/reference/configuration.md")
REGENERATE = "python -m databricks_mlops.cli.config_reference docs/reference/configuration.md"


class ReferenceDocError(MLOpsError):
    """The configuration reference could not be built, read or written."""


@dataclass(frozen=True)
class Section:
    """One heading of the reference: the root models it starts from."""

    title: str
    intro: str
    roots: tuple[type[BaseModel], ...]


def default_sections() -> list[Section]:
    """The stage configs (``CONFIG_KINDS``), the serving client and the workspace."""
    from databricks_mlops.config.kinds import CONFIG_KINDS
    from databricks_mlops.config.serving import ClientConfig
    from databricks_mlops.config.workspace import WorkspaceConfig

    titles = {
        "data": (
            "Data ingestion",
            "The `data_ingestion` job: source, transformation steps, rules.",
        ),
        "feature": ("Feature engineering", "The `feature_engineering` job: the feature table."),
        "training": ("Model training", "The `model_training` job: estimator, split, gates."),
        "deployment": ("Model deployment", "The `model_deployment` job: promotion, endpoint."),
        "inference": ("Batch inference", "The `batch_inference` job: scoring into a log table."),
        "monitoring": ("Model monitoring", "Drift, performance and alerts."),
        "pipeline": ("Pipeline orchestration", "Schedule, ownership and notifications."),
    }
    sections = []
    for kind, model in CONFIG_KINDS.items():
        title, intro = titles.get(kind, (kind.replace("_", " ").capitalize(), ""))
        check = f"`databricks-mlops validate-config FILE --kind {kind}`"
        sections.append(Section(title, f"{intro} Checked by {check}.".strip(), (model,)))
    sections.append(
        Section(
            "Serving client", "`ModelServingClient` settings: URL, auth, retries.", (ClientConfig,)
        )
    )
    sections.append(
        Section(
            "Workspace",
            "Which workspace to talk to (`databricks_mlops.utils.auth`); no host means local.",
            (WorkspaceConfig,),
        )
    )
    return sections


def package_models() -> list[type[BaseModel]]:
    """Every public model class defined in a module of ``databricks_mlops.config``."""
    import databricks_mlops.config as package

    found: list[type[BaseModel]] = []
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module_info.name == "reference":
            continue
        module_name = f"{package.__name__}.{module_info.name}"
        module = importlib.import_module(module_name)
        for name, value in sorted(vars(module).items()):
            if (
                inspect.isclass(value)
                and issubclass(value, BaseModel)
                and value.__module__ == module_name
                and not name.startswith("_")
                and value.model_fields
            ):
                found.append(value)
    return found


# -- walking the models ------------------------------------------------------------------


def _union_args(annotation: Any) -> tuple[Any, ...] | None:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return typing.get_args(annotation)
    return None


def _nested_models(annotation: Any) -> Iterator[type[BaseModel]]:
    """Model classes mentioned anywhere inside a field's annotation, in order."""
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        if not isinstance(arg, FieldInfo):
            yield from _nested_models(arg)


def _collect(root: type[BaseModel], seen: set[type[BaseModel]]) -> list[type[BaseModel]]:
    """``root`` and the models it reaches, depth first in field order, each once."""
    ordered: list[type[BaseModel]] = []
    stack = [root]
    while stack:
        model = stack.pop()
        if model in seen:
            continue
        seen.add(model)
        ordered.append(model)
        children = [
            nested
            for info in model.model_fields.values()
            for nested in _nested_models(info.annotation)
        ]
        stack.extend(reversed(children))
    return ordered


# -- rendering ----------------------------------------------------------------------------


def anchor(model: type[BaseModel]) -> str:
    return model.__name__.lower()


def _link(model: type[BaseModel]) -> str:
    return f"[{model.__name__}](#{anchor(model)})"


def _cell(text: str) -> str:
    """Text safe inside one Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def discriminator_values(model: type[BaseModel]) -> list[str]:
    """The ``type`` values a union variant is chosen by (``Literal`` choices)."""
    field = model.model_fields.get("type")
    if field is None or typing.get_origin(field.annotation) is not typing.Literal:
        return []
    return [str(value) for value in typing.get_args(field.annotation)]


def render_type(annotation: Any) -> str:
    """A readable type: ``list[str]``, ``Literal["a", "b"]``, model links, ``X \\| null``."""
    if annotation is type(None):
        return "null"
    if annotation is Any:
        return "any"
    if annotation is SecretStr:
        return "secret str"
    if inspect.isclass(annotation):
        if issubclass(annotation, BaseModel):
            return _link(annotation)
        if issubclass(annotation, enum.Enum):
            values = ", ".join(json.dumps(member.value) for member in annotation)
            return f"{annotation.__name__}: Literal[{values}]"
        return annotation.__name__
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        discriminator = next(
            (meta.discriminator for meta in args[1:] if isinstance(meta, FieldInfo)), None
        )
        variants = _union_args(args[0])
        if isinstance(discriminator, str) and variants:
            choices = []
            for variant in variants:
                values = "/".join(f"`{v}`" for v in discriminator_values(variant))
                choices.append(f"[{values or variant.__name__}](#{anchor(variant)})")
            return f"one of, by `{discriminator}`: {', '.join(choices)}"
        return render_type(args[0])
    if origin is typing.Literal:
        return f"Literal[{', '.join(json.dumps(_plain(value)) for value in args)}]"
    union = _union_args(annotation)
    if union is not None:
        return " \\| ".join(render_type(arg) for arg in union)
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{', '.join(render_type(arg) for arg in args)}]"
    return str(annotation).replace("typing.", "")


def _plain(value: Any) -> Any:
    """A default as YAML/JSON would show it."""
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    return value


def render_default(info: FieldInfo) -> str:
    if info.is_required():
        return "—"
    factory = info.default_factory
    if inspect.isclass(factory) and issubclass(factory, BaseModel):
        return f"{_link(factory)} defaults"
    try:
        value = info.get_default(call_default_factory=True, validated_data={})
    except Exception as exc:  # a factory needing other fields: say so instead of failing
        raise ReferenceDocError(
            f"Failed to compute a default for the reference: {exc}; give the field a "
            "plain default or a factory without arguments"
        ) from exc
    text = json.dumps(_plain(value), ensure_ascii=False, default=str)
    return f"`{_cell(text)}`"


def _constraints(info: FieldInfo) -> list[str]:
    words = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
    unit = "characters" if info.annotation is str else "items"
    notes: list[str] = []
    for meta in info.metadata:
        for attribute, symbol in words.items():
            value = getattr(meta, attribute, None)
            if value is not None:
                notes.append(f"{symbol} {value}")
        if getattr(meta, "min_length", None) is not None:
            notes.append(f"at least {meta.min_length} {unit}")
        if getattr(meta, "max_length", None) is not None:
            notes.append(f"at most {meta.max_length} {unit}")
        if getattr(meta, "pattern", None) is not None:
            notes.append(f"matches `{meta.pattern}`")
        func = getattr(getattr(meta, "func", None), "__name__", "")
        if func == "as_list":
            notes.append("a single value stands for a one-element list")
    return notes


def _expands_variables(info: FieldInfo) -> bool:
    def mentions(annotation: Any) -> bool:
        if typing.get_origin(annotation) is typing.Annotated:
            metas = typing.get_args(annotation)[1:]
            if any(
                getattr(getattr(m, "func", None), "__name__", "") == "_expand_variables"
                for m in metas
            ):
                return True
        return any(mentions(arg) for arg in typing.get_args(annotation))

    direct = any(
        getattr(getattr(meta, "func", None), "__name__", "") == "_expand_variables"
        for meta in info.metadata
    )
    return direct or mentions(info.annotation)


def _contains_secret(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    return any(_contains_secret(arg) for arg in typing.get_args(annotation))


def render_description(info: FieldInfo) -> str:
    parts = [info.description or ""]
    notes = _constraints(info)
    if notes:
        parts.append(f"Constraints: {'; '.join(notes)}.")
    if _expands_variables(info):
        parts.append("`${VAR}` is expanded in Python too.")
    if _contains_secret(info.annotation):
        parts.append("Secret: never printed.")
    return _cell(" ".join(part for part in parts if part))


def _aliases(name: str, info: FieldInfo) -> list[str]:
    alias = info.validation_alias
    choices: list[Any] = []
    if isinstance(alias, AliasChoices):
        choices = list(alias.choices)
    elif isinstance(alias, str | AliasPath):
        choices = [alias]
    if info.alias and info.alias != name:
        choices.append(info.alias)
    return [
        str(choice)
        for choice in dict.fromkeys(choices)
        if isinstance(choice, str) and choice != name
    ]


def render_model(model: type[BaseModel]) -> list[str]:
    values = discriminator_values(model)
    heading = f"### {model.__name__}"
    if values and "type" in model.model_fields:
        heading += f" (`type: {'` / `type: '.join(values)}`)"
    lines = [f'<a id="{anchor(model)}"></a>', "", heading, ""]
    doc = model.__dict__.get("__doc__")
    if doc:
        lines += [inspect.cleandoc(doc), ""]
    lines += [
        f"`{model.__module__}.{model.__name__}`",
        "",
        "| field | type | default | required | description |",
        "|---|---|---|---|---|",
    ]
    for name, info in model.model_fields.items():
        field = f"`{name}`"
        aliases = _aliases(name, info)
        if aliases:
            field += " (alias " + ", ".join(f"`{alias}`" for alias in aliases) + ")"
        lines.append(
            f"| {field} | {render_type(info.annotation)} | {render_default(info)} | "
            f"{'yes' if info.is_required() else 'no'} | {render_description(info)} |"
        )
    lines.append("")
    return lines


HEADER = f"""# Configuration reference

<!-- Generated from the pydantic models by `{REGENERATE}`.
     Do not edit by hand: change the model (its Field descriptions) and regenerate;
     tests/docs/test_configuration_reference.py fails when this file is stale. -->

Every config is a strict pydantic model: an unknown key is an error (with a "did you
mean" suggestion), a field may be written by its name or any alias listed, and a YAML
file may use `${{VAR}}` / `${{VAR:-default}}` anywhere (from explicit variables, the
environment, then the file's own `environment_vars`). A variant chosen by `type` is
listed under the type value that selects it. `—` in *default* means the field is required.
Cross-field rules (for example `write_mode: merge` needs `merge_keys`) are checked after
the fields and reported with the field path.
"""


def build_reference(
    sections: Sequence[Section] | None = None,
    extra_models: Sequence[type[BaseModel]] | None = None,
) -> str:
    """The whole reference as Markdown (deterministic: same models, same text)."""
    chosen = list(sections) if sections is not None else default_sections()
    extras = list(extra_models) if extra_models is not None else package_models()
    seen: set[type[BaseModel]] = set()
    body: list[str] = []
    contents: list[str] = []
    for section in chosen:
        models = [model for root in section.roots for model in _collect(root, seen)]
        if not models:
            continue
        contents.append(f"- {section.title}: " + ", ".join(_link(model) for model in section.roots))
        body += [f"## {section.title}", ""]
        if section.intro:
            body += [section.intro, ""]
        for model in models:
            body += render_model(model)
    others = [model for model in extras if model not in seen]
    if others:
        contents.append("- Other models: " + ", ".join(_link(model) for model in others))
        body += [
            "## Other models",
            "",
            "Models of the package not reached from a stage config.",
            "",
        ]
        for model in others:
            for nested in _collect(model, seen):
                body += render_model(nested)
    text = "\n".join([HEADER, "## Contents", "", *contents, "", *body])
    return text.rstrip("\n") + "\n"


def stale_summary(committed: str, generated: str, path: str, limit: int = 40) -> list[str]:
    """Empty when ``committed`` is up to date; else a short unified diff and counts."""
    if committed == generated:
        return []
    diff = list(
        difflib.unified_diff(
            committed.splitlines(),
            generated.splitlines(),
            fromfile=f"{path} (committed)",
            tofile=f"{path} (from the models)",
            lineterm="",
        )
    )
    added = sum(1 for line in diff if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in diff if line.startswith("-") and not line.startswith("---"))
    shown = diff[:limit]
    if len(diff) > limit:
        shown.append(f"... ({len(diff) - limit} more diff lines)")
    return [
        f"{path} is stale: {added} line(s) to add, {removed} to remove; run `{REGENERATE}`",
        *shown,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m databricks_mlops.cli.config_reference",
        description="Write (or --check) the Markdown configuration reference.",
        allow_abbrev=False,
    )
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--check", action="store_true", help="Exit 1 when the file differs from the models."
    )
    args = parser.parse_args(argv)
    output: Path = args.output
    generated = build_reference()
    if args.check:
        try:
            committed = output.read_text(encoding="utf-8")
        except OSError as exc:
            print(f"cannot read {output}: {exc}; run `{REGENERATE}`", file=sys.stderr)
            return 1
        problems = stale_summary(committed, generated, str(output))
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return 1
        print(f"{output} is up to date")
        return 0
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(generated, encoding="utf-8")
    except OSError as exc:
        raise ReferenceDocError(f"Failed to write the reference to {output}: {exc}") from exc
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
