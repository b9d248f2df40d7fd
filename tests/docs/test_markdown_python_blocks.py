"""Every fenced ```python block of the listed Markdown files runs, each in a fresh namespace.

Convention for documentation authors:

* ```python            the block is run by this test, from the repository root, with the
                        local backends (MLOPS_RUNTIME=local, a temporary MLOPS_HOME);
* ```python no-run     shown but never run (needs a workspace, a server, user input...);
  any second word after ``python`` on the fence line skips the block the same way.

Blocks share nothing: each starts from an empty namespace, so every block must do its
own imports. A failure names the file and the line of the block's fence.
To check another file, add it to ``DOCUMENTS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [
    "README.md",
    "docs/expressions.md",
    "docs/usage.md",
    "docs/architecture.md",
    "docs/deployment.md",
    "docs/serving.md",
    "docs/monitoring.md",
    "docs/cicd.md",
]

_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})(?P<info>[^`\n]*)$")


@dataclass(frozen=True)
class FencedBlock:
    path: str
    line: int  # 1-based line of the opening fence
    language: str
    options: tuple[str, ...]  # words after the language on the fence line
    code: str

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"


def fenced_blocks(text: str, path: str = "<markdown>") -> list[FencedBlock]:
    """The fenced code blocks of ``text`` (CommonMark fences at column 0), in order."""
    blocks: list[FencedBlock] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence = opening.group("fence")
        words = opening.group("info").split()
        body: list[str] = []
        end = index + 1
        while end < len(lines) and not (
            lines[end].startswith(fence[0] * len(fence)) and not lines[end].strip(fence[0])
        ):
            body.append(lines[end])
            end += 1
        if end == len(lines):
            raise AssertionError(f"{path}:{index + 1}: code fence {fence} is never closed")
        language = words[0] if words else ""
        blocks.append(
            FencedBlock(path, index + 1, language, tuple(words[1:]), "\n".join(body) + "\n")
        )
        index = end + 1
    return blocks


def runnable_python_blocks(paths: list[str]) -> list[FencedBlock]:
    blocks = []
    for path in paths:
        if not (ROOT / path).is_file():
            continue  # reported by test_the_documents_exist_and_have_runnable_blocks
        text = (ROOT / path).read_text(encoding="utf-8")
        blocks += [
            block
            for block in fenced_blocks(text, path)
            if block.language == "python" and not block.options
        ]
    return blocks


BLOCKS = runnable_python_blocks(DOCUMENTS)


def test_the_documents_exist_and_have_runnable_blocks() -> None:
    missing = [path for path in DOCUMENTS if not (ROOT / path).is_file()]
    assert missing == []
    assert {block.path for block in BLOCKS} >= {"docs/expressions.md", "docs/usage.md"}


def test_fence_parser_reads_language_options_and_lines() -> None:
    text = "intro\n```python no-run\nx = 1\n```\n\n````python\n```\ny = 2\n````\n"
    blocks = fenced_blocks(text)
    assert [(b.line, b.language, b.options, b.code) for b in blocks] == [
        (2, "python", ("no-run",), "x = 1\n"),
        (6, "python", (), "```\ny = 2\n"),
    ]
    with pytest.raises(AssertionError, match="never closed"):
        fenced_blocks("```python\nx = 1\n")


@pytest.mark.parametrize("block", BLOCKS, ids=lambda block: block.id)
def test_python_block_runs(block: FencedBlock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    # Padding with blank lines makes a traceback's line number the Markdown file's line.
    source = "\n" * block.line + block.code + "__block_finished__ = True\n"
    namespace: dict[str, object] = {"__name__": f"markdown_block_{block.line}"}
    exec(compile(source, str(ROOT / block.path), "exec"), namespace)
    assert namespace.get("__block_finished__") is True
