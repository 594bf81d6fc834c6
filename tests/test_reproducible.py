"""Bytes that reproduce: two cold runs of the small pipeline in two fresh repositories give
byte-identical outputs, except the per-item run records whose purpose is to say when and how
long (download, trim and GIF status records, download stats), the step timings beside
outputs (``*.seconds.json``, kept out of DVC), and the job keys (``*.key``), which name the
upstream run records they were made from by version (a download's version includes when it
finished). The second build uses another shard size. Slow: one more pipeline build."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import pytest
import yaml

from support import init_project, run, small_params

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

# Run records: their purpose is the time a job finished and how long it took.
RUN_RECORDS = ("/status/", "data/download/stats.csv", "data/download/time_share.csv")


def _outputs(repo: Path) -> dict[str, str]:
    """sha256 of every file of every cached output in dvc.yaml, by path."""
    stages = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"]
    outs: set[Path] = set()
    for stage in stages.values():
        for out in stage.get("outs", []):
            name = next(iter(out)) if isinstance(out, dict) else out
            cached = not (isinstance(out, dict) and out[name].get("cache") is False)
            if cached and "${" not in name:
                outs.add(repo / name)
    outs.add(repo / "data/ablation")  # the matrix stage's outputs, one folder
    hashes = {}

    def add(rel: str, data: bytes) -> None:
        if not (rel.endswith((".seconds.json", ".key")) or any(r in rel for r in RUN_RECORDS)):
            hashes[rel] = hashlib.sha256(data).hexdigest()

    for root in outs:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            rel = str(path.relative_to(repo))
            if path.parent.name == "packs" and path.suffix == ".tar":
                # A pack holds run records and keys too: its members are compared by the
                # same rules (the pack's bytes are a function of its members:
                # tests/test_packs.py).
                with tarfile.open(path) as tar:
                    for member in tar.getmembers():
                        data = tar.extractfile(member)
                        assert data is not None
                        add(f"{rel}/{member.name}", data.read())
            else:
                add(rel, path.read_bytes())
    return hashes


def _lock_hashes(repo: Path) -> dict[str, str]:
    """Each cached output's hash as dvc.lock records it, for the outputs with no run record
    or record-naming key inside (what a fresh clone's `dvc repro` must reproduce)."""
    lock = yaml.safe_load((repo / "dvc.lock").read_text())["stages"]
    return {f"{stage}:{out['path']}": out["md5"] for stage, entry in lock.items()
            for out in entry.get("outs", [])
            if not out["path"].startswith(("metrics/", "data/download", "data/clips",
                                           "data/gifs", "data/align", "data/shots",
                                           "data/features"))}


def test_two_cold_runs_give_byte_identical_outputs(built_pipeline, tmp_path):
    # The second run cuts every stage into shards of two items (the first: one shard each):
    # the shard size is an execution setting and must change no byte.
    again = init_project(tmp_path / "again", small_params(**{"execution.shard_size": 2}))
    run(["dvc", "repro"], again, timeout=1800)
    first, second = _outputs(built_pipeline), _outputs(again)
    assert len(first) > 100 and sorted(first) == sorted(second)
    differ = sorted(k for k in first if first[k] != second[k])
    assert not differ, f"{len(differ)} files differ between two cold runs: {differ[:20]}"
    # So dvc.lock, too, is the same: a fresh clone's `dvc repro` reproduces it.
    assert _lock_hashes(built_pipeline) == _lock_hashes(again)
    # The timings still exist, outside the cached outputs.
    assert list((again / "data/shots").rglob("*.seconds.json"))
    assert (again / "metrics/timings/train.json").is_file()
