"""Identities for deciding whether a persisted output is still valid: a file's content and a
stage's code."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from gifworthy.core.config import read_yaml

__all__ = ["TIMING_FIELDS", "code_fingerprint", "content_digest"]

# Arrays that record how long a step took: they differ on every run without the content
# differing, so they do not count towards an input's identity.
TIMING_FIELDS = frozenset({"seconds"})


def content_digest(path: Path) -> str:
    """A file's content identity: its bytes, or for an ``.npz`` its arrays without timing
    fields; ``missing`` when there is no such file."""
    if not path.is_file():
        return "missing"
    if path.suffix != ".npz":
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    import numpy as np

    h = hashlib.sha256()
    try:
        with np.load(path, allow_pickle=False) as z:
            for name in sorted(z.files):
                if name in TIMING_FIELDS:
                    continue
                arr = z[name]
                h.update(f"{name}:{arr.dtype.str}:{arr.shape}:".encode())
                h.update(np.ascontiguousarray(arr).tobytes())
    except (OSError, ValueError) as exc:  # unreadable: a digest no valid file has
        return f"unreadable:{type(exc).__name__}"
    return h.hexdigest()


def _source_files(folder: Path) -> list[Path]:
    """Every file of a source folder but byte-code caches (which .dvcignore hides from DVC
    too: they differ between Python builds)."""
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def code_fingerprint(stage: str, dvc_yaml: str | os.PathLike[str] = "dvc.yaml") -> str:
    """Hash of the stage's code: the ``src/`` dependencies dvc.yaml lists for it (what DVC
    itself reruns the stage for). Outside a DVC project: the whole installed package."""
    dvc_yaml = Path(dvc_yaml)
    files: list[Path] = []
    if dvc_yaml.is_file():
        stages = (read_yaml(dvc_yaml.read_text(encoding="utf-8")) or {}).get("stages", {})
        if stage not in stages:
            raise ValueError(f"{dvc_yaml}: no stage {stage!r}")
        for dep in stages[stage].get("deps", []):
            dep = next(iter(dep)) if isinstance(dep, dict) else dep
            path = dvc_yaml.parent / dep
            if dep.startswith("src/"):
                files += _source_files(path) if path.is_dir() else [path]
        base = dvc_yaml.parent
    else:
        base = Path(__file__).parents[1]
        files = _source_files(base)
    h = hashlib.sha256()
    for path in files:
        h.update(f"{path.relative_to(base).as_posix()}:{content_digest(path)}\n".encode())
    return h.hexdigest()
