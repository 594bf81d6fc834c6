"""Habits that keep the house in order: every ``__all__`` names what its module defines, every
package and module says what it is for, and no comment points at a file that is not in
this repository."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import gifworthy

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(m.name for m in pkgutil.walk_packages(gifworthy.__path__, "gifworthy.")
                 if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_all_is_true_and_every_module_has_a_docstring(name):
    module = importlib.import_module(name)
    assert (module.__doc__ or "").strip(), f"{name} has no docstring"
    names = getattr(module, "__all__", [])
    missing = [n for n in names if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it does not define: {missing}"
    assert len(names) == len(set(names)), f"{name}.__all__ repeats a name"


def test_public_functions_and_classes_are_exported():
    """A module with ``__all__`` lists every public top-level function and class it defines."""
    unlisted = []
    for name in MODULES:
        module = importlib.import_module(name)
        if not hasattr(module, "__all__"):
            continue
        tree = ast.parse(Path(module.__file__ or "").read_text())
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith(
                    "_") and node.name not in module.__all__:
                unlisted.append(f"{name}.{node.name}")
    assert not unlisted, unlisted


def test_comments_point_only_at_files_in_this_repository():
    """``see foo/bar.py`` in a comment must name a file that exists here."""
    bad = []
    for path in sorted((ROOT / "src").rglob("*.py")):
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            for ref in re.findall(r"\b((?:src|tests|benchmarks|rules|profiles)/[\w./-]+\.\w+)",
                                  line):
                if not (ROOT / ref).exists():
                    bad.append(f"{path.relative_to(ROOT)}:{lineno}: {ref}")
    assert not bad, bad
