"""DVC at full size: `dvc status` with nothing to do, a stage's report, and the pack and
unpack steps, on a simulated Kinetics-700 output (650,000 clips), in the two layouts.

The trim stage's output is written as the stages write it: per clip a tiny media file, its
JSON record and its job key, in 256 bucket folders (``<bucket>/<id>.*``), about 2,000,000
files. Then, with this project's own code and ``.dvcignore``:

* **packs** (the layout DVC versions): ``gifworthy pack trim`` writes one uncompressed tar
  per bucket (256 files); ``.dvcignore`` keeps the loose bucket folders out of DVC. Timed:
  the first pack, a second pack with nothing changed, ``gifworthy unpack`` with nothing to do
  and a fresh clone's unpack of every file, ``dvc add``, ``dvc status`` with nothing to do;
* **one file per clip** (the layout DVC versioned before, ``--per-file``): the same folder
  with the bucket line taken out of ``.dvcignore``: ``dvc add`` and ``dvc status``.

Also `gifworthy report trim` over the 650,000 records (goal: at most 30 s). The reference in
the same run is the file system alone: ``os.scandir`` and ``stat`` of every file (what any
status of the per-file layout must at least do).

Usage: python benchmarks/bench_dvc_layout.py [--clips 650000] [--repeat 3] [--per-file]
       [--json benchmarks/results/dvc_layout.json] [--workdir DIR [--reuse]]
       [--reports-only]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
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


def download_record(item: str, folder: str) -> bytes:
    """A download record as YouTube's leave them: the site's metadata with its compact
    "Most replayed" heatmap (about 2.7 kB, the sample's average)."""
    yid = item[:11]
    values = [round(((i * 7919 + len(item)) % 1000) / 1000, 3) for i in range(100)]
    info = {"id": yid, "title": f"video {yid} " + "words " * 8, "duration": 612.0,
            "fps": 30.0, "width": 640, "height": 360, "view_count": 123456,
            "like_count": 2345, "comment_count": 345, "categories": ["People & Blogs"],
            "tags": ["tag one", "tag two", "tag three", "tag four"], "upload_date": "20190102",
            "uploader": "someone", "channel_id": "UC" + "x" * 22,
            "webpage_url": f"https://www.youtube.com/watch?v={yid}",
            "extractor_key": "Youtube", "heatmap": {"step": 6.12, "values": values}}
    return (json.dumps({"item_id": item, "youtube_id": yid, "segment": [10, 20],
                        "segment_download": True, "exact_cuts": True, "status": "ok",
                        "category": "", "message": "", "bytes": 1234567,
                        "download_seconds": 3.2, "ffmpeg_seconds": 0.4, "attempts": 1,
                        "throttle_pauses": 0, "file": folder, "finished_at":
                        "2026-12-05T10:00:00+00:00", "format_id": "18", "duration": 10.0,
                        "width": 640, "height": 360, "fps": 30.0, "info": info},
                       indent=2, sort_keys=True) + "\n").encode()


def write_download_records(variant: Path, items: list[str]) -> None:
    made: set[Path] = set()
    for item in items:
        d = variant / "status" / paths.bucket(item)
        if d not in made:
            d.mkdir(parents=True, exist_ok=True)
            made.add(d)
        (d / f"{item}.json").write_bytes(
            download_record(item, f"videos/{paths.bucket(item)}/{item}.mp4"))


def max_child_rss_mb() -> int:
    """The largest resident memory of any child process so far: the manifest and reports."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024


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
            "dvc_status_seconds": round(statistics.median(status), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=650_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--per-file", action="store_true",
                    help="also version the loose files one by one (973 s to add at 650,000)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--reports-only", action="store_true",
                    help="time the two reports only (no pack, unpack or DVC)")
    ap.add_argument("--workdir", type=Path,
                    help="keep the generated project here (default: a temporary folder)")
    ap.add_argument("--reuse", action="store_true",
                    help="with --workdir: measure again on the clips generated there before")
    args = ap.parse_args()
    results: dict = {"clips": args.clips}
    gw = shutil.which("gifworthy") or "gifworthy"
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=args.reuse)
    with (contextlib.nullcontext(str(args.workdir)) if args.workdir
          else tempfile.TemporaryDirectory()) as tmp:
        # The real manifest, so the report and the pack step read the ids the stages would.
        proj = Path(tmp) / "project"
        corpus = {"format": "kinetics_csv", "source": "data/annotations/kinetics700.csv"}
        reuse = args.reuse and (proj / "data/manifest/downloads.csv").is_file()
        if reuse:  # this code's pipeline files and params over the generated data
            for name in ("Snakefile", "rules", "profiles", "dvc.yaml", "dvc.yaml.off", "src",
                         ".git", ".dvc", ".gifworthy", "data/clips.dvc", "data/download"):
                target = proj / name
                if target.is_dir():
                    shutil.rmtree(target)
                else:
                    target.unlink(missing_ok=True)
        else:
            (proj / "data/annotations").mkdir(parents=True)
            make_kinetics(proj / "data/annotations/kinetics700.csv", args.clips)
        project(proj, corpus, 2000)
        shutil.copy(ROOT / ".dvcignore", proj / ".dvcignore")
        if not reuse:
            timed_run([gw, "manifest", "--out", "data/manifest"], proj)
        from gifworthy.corpus.manifest import read_download_ids

        items = read_download_ids(proj / "data/manifest/downloads.csv", segments_only=True)
        params = yaml.safe_load((proj / "params.yaml").read_text())
        variant = proj / paths.clips_dir(params)
        if reuse:
            shutil.rmtree(variant / "packs", ignore_errors=True)
            results["files"] = 3 * len(items)
        else:
            t0 = time.perf_counter()
            results["files"] = write_per_file(variant, items)
            results["write_seconds"] = round(time.perf_counter() - t0, 1)
        results["scandir_stat_seconds"] = round(scandir_all(variant), 2)
        results["report_trim_seconds"] = round(timed_run([gw, "report", "trim"], proj), 1)
        # The largest records: every download's, with the site's metadata and heatmap.
        write_download_records(proj / paths.download_dir(params), items)
        results["report_download_seconds"] = round(
            timed_run([gw, "report", "download"], proj), 1)
        results["reports_max_rss_mb"] = max_child_rss_mb()
        shutil.rmtree(proj / paths.DOWNLOAD_ROOT)
        if args.reports_only:
            print(json.dumps(results), flush=True)
            save(args.json, results)
            return
        packed: dict = {"first_pack_seconds": round(timed_run([gw, "pack", "trim"], proj), 1)}
        packed["files"] = len(list((variant / "packs").glob("*.tar")))
        packed["pack_again_seconds"] = round(timed_run([gw, "pack", "trim"], proj), 2)
        packed["unpack_in_step_seconds"] = round(timed_run([gw, "unpack", "trim"], proj), 2)
        # DVC in the project folder, with the project's .dvcignore (dvc.yaml set aside: it
        # owns data/clips as the trim stage's output).
        (proj / "dvc.yaml").rename(proj / "dvc.yaml.off")
        for cmd in (["git", "init", "-q"], ["dvc", "init", "-q"],
                    ["dvc", "config", "core.analytics", "false"]):
            timed_run(cmd, proj)
        packed.update(measure(proj, "data/clips", args.repeat))
        results["packs"] = packed
        print("packs: " + json.dumps(packed), flush=True)
        # A fresh clone after `dvc pull`: the packs only, every loose file written back.
        clone = Path(tmp) / "clone"
        shutil.copytree(variant / "packs", clone / paths.clips_dir(params) / "packs")
        for name in ("params.yaml", "data/manifest"):
            (shutil.copytree if (proj / name).is_dir() else shutil.copy)(proj / name,
                                                                      clone / name)
        results["packs"]["fresh_unpack_seconds"] = round(
            timed_run([gw, "unpack", "trim"], clone), 1)
        shutil.rmtree(clone)
        print(f"fresh clone unpack: {results['packs']['fresh_unpack_seconds']} s", flush=True)
        if args.per_file:
            shutil.rmtree(variant / "packs")
            (proj / "data/clips.dvc").unlink()
            ignore = proj / ".dvcignore"
            ignore.write_text("".join(line for line in ignore.read_text().splitlines(True)
                                      if "[0-9a-f][0-9a-f]" not in line))
            results["per_file"] = measure(proj, "data/clips", args.repeat)
            print("one file per clip: " + json.dumps(results["per_file"]), flush=True)
        print(f"gifworthy report trim over {len(items)} records: "
              f"{results['report_trim_seconds']} s; report download (2.7 kB records with "
              f"metadata and heatmaps): {results['report_download_seconds']} s")
    save(args.json, results)


if __name__ == "__main__":
    main()
