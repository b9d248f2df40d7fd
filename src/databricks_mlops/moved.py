"""Old import paths of moved packages keep working, as the same module objects.

``databricks_mlops.model_serving`` became ``databricks_mlops.serving_client`` (and so on,
see CHANGELOG.md); the documented API, its examples and users' code import the old paths.
Each old package is a small ``__init__`` that re-exports the new one and calls
:func:`keep_old_path`, so ``import databricks_mlops.model_serving.client`` returns the
module ``databricks_mlops.serving_client.client`` itself: one module, one set of classes
(``isinstance`` and pickles by reference agree whichever path imported them).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Mapping, Sequence
from types import ModuleType


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target
        self._spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.target)
        self._spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system stamped the alias spec on the real module: give its own back.
        module.__spec__ = self._spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    def __init__(self, old: str, new: str, renamed: Mapping[str, str]) -> None:
        self.old = old
        self.new = new
        self.renamed = renamed

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(self.old + "."):
            return None
        first, dot, rest = fullname[len(self.old) + 1 :].partition(".")
        real = f"{self.new}.{self.renamed.get(first, first)}{dot}{rest}"
        return importlib.util.spec_from_loader(fullname, _AliasLoader(real))


def keep_old_path(old: str, new: str, renamed: Mapping[str, str] | None = None) -> None:
    """Make ``old.<submodule>`` import ``new.<submodule>`` (idempotent); ``renamed`` maps a
    submodule that also changed its name (``{"config": "kinds"}``)."""
    if not any(isinstance(f, _AliasFinder) and f.old == old for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder(old, new, dict(renamed or {})))
