"""DVC at full size: `dvc status` with nothing to do, and a report gathering every record,
on a simulated Kinetics-700 output (650,000 clips), in two layouts.

* **one file per clip** (the layout the stages write today): per clip a tiny media file,
  its JSON record and its job key, in 256 bucket folders (``<bucket>/<id>.*``), about
  2,000,000 files in one DVC output;
* **one archive per bucket**: the same bytes packed into 256 uncompressed tar files.

For each: generating the files, `dvc add` (hashing every file once), then `dvc status` with
nothing to do (median of ``--repeat``), which is what every `dvc repro` and `dvc status`
pays. Then the trim stage's own report (`gifworthy report trim`) over a 650,000-clip
manifest whose records all exist: the goal is at most 30 s. The reference in the same run is
the file system alone: `os.scandir` of every bucket (what any status must at least stat).

Usage: python benchmarks/bench_dvc_layout.py [--clips 650000] [--repeat 3]
       [--json benchmarks/results/dvc_layout.json]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_plan import make_kinetics, project  # noqa: E402
from gifworthy.pipeline import paths  # noqa: E402
from results_io import save, timed_run  # noqa: E402

MEDIA = b"\x00\x00\x00\x18ftypmp42" + bytes(200)  # a tiny stand-in clip


def record(item: str, folder: str) -> bytes:
    return (json.dumps({"item_id": item, "youtube_id": item[:11], "status": "ok",
                        "mode": "exact", "segment": [0, 10], "file": folder,
                        "duration": 10.0, "duration_error": 0.0, "fps": 30.0,
                        "width": 640, "height": 360, "ffmpeg_seconds": 0.1},
                       indent=2, sort_keys=True) + "\n").encode()


def write_per_file(variant: Path, items: list[str]) -> int:
    """The stages' layout: <variant>/status/<bucket>/<id>.json(.key), clips/<bucket>/<id>.mp4."""
    made: set[Path] = set()
    count = 0
    for item in items:
        b = paths.bucket(item)
        for sub in ("status", "clips"):
            d = variant / sub / b
            if d not in made:
                d.mkdir(parents=True, exist_ok=True)
                made.add(d)
        (variant / "status" / b / f"{item}.json").write_bytes(
            record(item, f"clips/{b}/{item}.mp4"))
        (variant / "status" / b / f"{item}.json.key").write_bytes(b"0" * 64 + b"\n")
        (variant / "clips" / b / f"{item}.mp4").write_bytes(MEDIA)
        count += 3
    return count


def write_archives(folder: Path, items: list[str]) -> int:
    """The same files, one uncompressed tar per bucket."""
    by_bucket: dict[str, list[str]] = {}
    for item in items:
        by_bucket.setdefault(paths.bucket(item), []).append(item)
    folder.mkdir(parents=True, exist_ok=True)
    for b, members in sorted(by_bucket.items()):
        with tarfile.open(folder / f"{b}.tar", "w", format=tarfile.PAX_FORMAT) as tar:
            for item in members:
                for name, data in ((f"status/{item}.json", record(item, "")),
                                   (f"status/{item}.json.key", b"0" * 64 + b"\n"),
                                   (f"clips/{item}.mp4", MEDIA)):
                    info = tarfile.TarInfo(name)
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    return len(by_bucket)


def scandir_all(root: Path) -> float:
    t0 = time.perf_counter()
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for e in entries:
                if e.is_dir(follow_symlinks=False):
                    stack.append(Path(e.path))
                else:
                    e.stat()
    return time.perf_counter() - t0


def dvc_repo(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for cmd in (["git", "init", "-q"], ["dvc", "init", "-q"],
                ["dvc", "config", "core.analytics", "false"]):
        timed_run(cmd, folder)


def measure(folder: Path, target: str, repeat: int) -> dict:
    add = timed_run(["dvc", "add", target], folder)
    status = [timed_run(["dvc", "status", "-q"], folder) for _ in range(repeat)]
    return {"dvc_add_seconds": round(add, 1),
            "dvc_status_seconds": round(statistics.median(status), 2),
            "scandir_seconds": round(scandir_all(folder / target), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=650_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    results: dict = {"clips": args.clips}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # The real manifest, so the report below reads the ids the stages would.
        proj = tmp / "project"
        (proj / "data/annotations").mkdir(parents=True)
        make_kinetics(proj / "data/annotations/kinetics700.csv", args.clips)
        project(proj, {"format": "kinetics_csv", "source": "data/annotations/kinetics700.csv"},
                2000)
        gw = shutil.which("gifworthy") or "gifworthy"
        timed_run([gw, "manifest", "--out", "data/manifest"], proj)
        from gifworthy.corpus.manifest import read_download_ids

        items = read_download_ids(proj / "data/manifest/downloads.csv", segments_only=True)
        params = yaml.safe_load((proj / "params.yaml").read_text())
        variant = proj / paths.clips_dir(params)

        t0 = time.perf_counter()
        files = write_per_file(variant, items)
        results["per_file"] = {"files": files, "write_seconds": round(time.perf_counter() - t0, 1)}
        # The trim stage's report over every record (before DVC touches the folder).
        results["report_trim_seconds"] = round(timed_run([gw, "report", "trim"], proj), 1)
        # Measured in a repository of its own (the project's dvc.yaml already owns the path).
        per_file = tmp / "per_file"
        dvc_repo(per_file)
        variant.rename(per_file / "clips")
        results["per_file"].update(measure(per_file, "clips", args.repeat))
        print(f"one file per clip: {files} files: " + json.dumps(results["per_file"]),
              flush=True)

        packed = tmp / "packed"
        dvc_repo(packed)
        t0 = time.perf_counter()
        archives = write_archives(packed / "clips", items)
        results["per_bucket_archive"] = {"files": archives,
                                         "write_seconds": round(time.perf_counter() - t0, 1)}
        results["per_bucket_archive"].update(measure(packed, "clips", args.repeat))
        print(f"one archive per bucket: {archives} files: "
              + json.dumps(results["per_bucket_archive"]))
        print(f"gifworthy report trim over {len(items)} records: "
              f"{results['report_trim_seconds']} s")
    save(args.json, results)


if __name__ == "__main__":
    main()
