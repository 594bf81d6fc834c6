"""Trained weights as safetensors: the bytes depend only on the tensors and the metadata.

torch's zip format writes a random serialization id into every file, so two identical
trainings would give two different files (and DVC two different hashes). A safetensors
file holds named arrays plus one JSON metadata entry (sorted keys), written atomically.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from gifworthy.core.fsutil import atomic_path

__all__ = ["load_tensors", "save_tensors"]

_META = "gifworthy"


def save_tensors(path: str | os.PathLike[str], tensors: dict[str, Any],
                 meta: dict[str, Any]) -> None:
    """Write ``tensors`` (numpy arrays or torch tensors, by name) and ``meta`` (anything
    JSON can hold) to ``path``."""
    from safetensors.numpy import save

    arrays = {name: np.ascontiguousarray(
        value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value))
        for name, value in tensors.items()}
    blob = save(arrays, metadata={_META: json.dumps(meta, sort_keys=True)})
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(blob)


def load_tensors(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays and the metadata of a file :func:`save_tensors` wrote; a clear error for
    anything else."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata() or {}
            arrays = {name: f.get_tensor(name) for name in f.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a gifworthy weights file ({exc})") from exc
    if _META not in meta:
        raise ValueError(f"{path}: not a gifworthy weights file (no metadata)")
    return arrays, json.loads(meta[_META])
