"""Hostile YAML gets one located ConfigError, fast, from every config class.

Each hostile input used to end differently and badly: an alias bomb never answered, bytes
that are not UTF-8 raised a bare UnicodeDecodeError, a 5000-digit integer a bare
ValueError and nesting 5000 deep a RecursionError.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from databricks_mlops.config.kinds import CONFIG_KINDS, TrainingConfig
from databricks_mlops.config.yaml_source import MAX_DEPTH, LimitedSafeLoader
from databricks_mlops.errors import ConfigError

# Guards against a hang, not a benchmark: each load answers in milliseconds, and an
# unbounded one never would (the alias bomb below expands to 9**9 strings).
HANG_GUARD_SECONDS = 5.0


def alias_bomb() -> bytes:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 9)}]")
    return ("\n".join(lines) + "\n").encode()


# name -> (file content, the line the error must name, words the message must contain)
HOSTILE: dict[str, tuple[bytes, int, str]] = {
    "alias_bomb": (alias_bomb(), 6, "expands to more than 100000 values"),
    "not_utf8": (
        b"name: ok\ndescription: caf\xe9\n",
        2,
        r"file is not UTF-8 text \(invalid byte 0xe9 at line 2, column 17\)",
    ),
    "huge_integer": (
        b"name: ok\nsize: " + b"9" * 5000 + b"\n",
        2,
        "integer too large: written with 5000 characters, it has more than 4300 decimal digits",
    ),
    # Converted without a decimal step, so they used to fail later, where first printed
    # (here: as an explicit `? key`, in the field path of the error).
    "huge_hex_integer": (b"name: ok\n? 0x" + b"f" * 5000 + b"\n: 1\n", 2, "integer too large"),
    "huge_base60_integer": (
        b"name: ok\n? 1" + b":59" * 3000 + b"\n: 1\n",
        2,
        "integer too large",
    ),
    "deep_nesting": (
        b"name: ok\nvalues: " + b"[" * 5000 + b"]" * 5000 + b"\n",
        2,
        f"nesting deeper than {MAX_DEPTH} levels",
    ),
    "deep_block_nesting": (
        b"name: ok\nvalues:\n" + b"".join(b" " * (i + 1) + b"k:\n" for i in range(3000)),
        # Line n holds a mapping n - 1 levels deep, its key one level deeper.
        MAX_DEPTH + 1,
        f"nesting deeper than {MAX_DEPTH} levels",
    ),
    "recursive_alias": (b"name: ok\nvalues: &v [1, *v]\n", 2, r"alias \*v refers to a collection"),
    "control_character": (b"name: ok\nvalue: '\x07'\n", 2, "control character U\\+0007"),
}


def finishes(call: Callable[[], object]) -> BaseException | None:
    """Run ``call`` in a daemon thread (a hang must fail the test, not the suite) and
    return what it raised."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            call()
        except BaseException as exc:  # the test inspects whatever it was
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(HANG_GUARD_SECONDS)
    assert outcome, f"no answer within {HANG_GUARD_SECONDS} s (hang)"
    return outcome[0]


@pytest.mark.parametrize("kind", sorted(CONFIG_KINDS))
@pytest.mark.parametrize("hostile", sorted(HOSTILE))
def test_hostile_yaml_is_one_located_config_error(tmp_path: Path, kind: str, hostile: str) -> None:
    content, line, words = HOSTILE[hostile]
    path = tmp_path / f"{kind}.yml"
    path.write_bytes(content)
    raised = finishes(lambda: CONFIG_KINDS[kind].from_yaml(path))
    assert isinstance(raised, ConfigError), f"{type(raised).__name__}: {raised}"
    with pytest.raises(ConfigError, match=rf"^{path}:{line}: .*{words}"):
        raise raised


def test_nesting_up_to_the_limit_still_loads(tmp_path: Path) -> None:
    # The mapping at the top is level 1, `hyperparameters` level 2, its value level 3.
    inner = MAX_DEPTH - 3
    path = tmp_path / "training.yml"
    path.write_text(
        "model_type: classification\ntarget_column: y\nfeature_columns: [a]\n"
        "experiment_name: e\nregistry_model_name: m\n"
        f"hyperparameters:\n  grid: {'[' * inner}1{']' * inner}\n"
    )
    value = TrainingConfig.from_yaml(path).hyperparameters["grid"]
    for _ in range(inner):
        value = value[0]
    assert value == 1
    path.write_text(path.read_text().replace("grid: [", "grid: [["))
    with pytest.raises(ConfigError, match=rf"training\.yml:7: nesting deeper than {MAX_DEPTH}"):
        TrainingConfig.from_yaml(path)


def test_ordinary_anchors_aliases_and_merge_keys_still_load(tmp_path: Path) -> None:
    path = tmp_path / "training.yml"
    path.write_text(
        "model_type: classification\ntarget_column: y\nfeature_columns: &cols [a, b]\n"
        "experiment_name: e\nregistry_model_name: m\n"
        "hyperparameters:\n  base: &base {depth: 3, rate: 0.1}\n"
        "  tuned:\n    <<: *base\n    depth: 5\n  columns: *cols\n"
    )
    params = TrainingConfig.from_yaml(path).hyperparameters
    assert params["tuned"] == {"depth": 5, "rate": 0.1}
    assert params["columns"] == ["a", "b"]


def test_an_alias_that_nests_past_the_limit_is_caught_where_it_is_used() -> None:
    # Each level alone is shallow; only the expansion is deep.
    half = MAX_DEPTH // 2
    text = f"a: &a {'[' * half}1{']' * half}\nb: &b {'[' * half}*a{']' * half}\n"
    with pytest.raises(yaml.MarkedYAMLError, match=f"nesting deeper than {MAX_DEPTH}") as info:
        yaml.load(text, Loader=LimitedSafeLoader)
    assert info.value.problem_mark is not None
    assert info.value.problem_mark.line == 1
