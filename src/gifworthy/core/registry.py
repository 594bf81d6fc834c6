"""Loading a plug-in by name from a registry: a table of name -> ``"module:attribute"``.

Every kind of plug-in (corpus readers, download sources, shot detectors, feature extractors,
rankers, persisted stages) keeps such a table as the single source of its names. Naming
modules rather than objects means a command imports only the plug-ins it uses.
"""

from __future__ import annotations

import importlib
from typing import Any, Mapping

__all__ = ["load"]


def load(registry: Mapping[str, str], name: str, kind: str,
         error: type[Exception] = ValueError) -> Any:
    """The attribute ``registry[name]`` names, or ``error`` naming the choices."""
    if name not in registry:
        raise error(f"unknown {kind} {name!r} (one of {', '.join(registry)})")
    module, _, attribute = registry[name].partition(":")
    return getattr(importlib.import_module(module), attribute)
