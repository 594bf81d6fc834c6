"""Where benchmarks keep their figures: ``--json PATH`` writes them as indented JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def save(path: Path | None, results: Any) -> None:
    """Write ``results`` to ``path`` (nothing when no path was asked for)."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")


def timed_run(cmd: list[str], cwd: Path) -> float:
    """Wall seconds of one command; its output is shown only if it fails."""
    import subprocess
    import time

    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{proc.stdout[-2000:]}"
                         f"{proc.stderr[-3000:]}")
    return time.perf_counter() - t0
