"""Planning at full size: the manifest, every fan-out stage's shard plan and the whole
Snakemake DAG through features, for generated corpora in the real formats.

* Kinetics-700: a CSV of ``--kinetics`` rows (650,000 by default; also 10,000 and 100,000),
  ``label,youtube_id,time_start,time_end,split``, 700 labels, 10 s clips.
* Video2GIF: a ``metadata.txt`` (21 ``;<TAB>``-separated columns) of 101,000 GIFs over
  76,000 videos, and its ``testset.txt``.

Each corpus is planned as a user's `dvc repro` plans it, in a scratch project: `gifworthy
manifest`, `gifworthy prepare <stage>` for download, trim, gifify, align, shots, segments and
features (which write the shard plans), then one `snakemake -n` of every stage's report
target (the full DAG). Reports wall seconds and peak memory per step; the reference in the
same run is Python's csv module reading the same corpus file (the floor of any reader).
Goal (issue 15): everything within 30 s and 1 GB on 2 cores at 650,000 rows.

Usage: python benchmarks/bench_plan.py [--kinetics 10000,100000,650000] [--v2g-gifs 101000]
       [--shard-size 2000] [--json benchmarks/results/plan.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from gifworthy.corpus.video2gif import V2G_COLUMNS, V2G_SEPARATOR
from results_io import save

ROOT = Path(__file__).resolve().parents[1]
ALPHABET = string.ascii_letters + string.digits + "_-"
STAGES = ("download", "trim", "gifify", "align", "shots", "segments", "features")
# Runs a command and prints its peak resident memory (KiB) on the last line of stderr.
PEAK = ("import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
        "sys.exit(rc)")


def youtube_ids(rng: random.Random, n: int) -> list[str]:
    seen: set[str] = set()
    while len(seen) < n:
        seen.add("".join(rng.choice(ALPHABET) for _ in range(11)))
    return sorted(seen)


def make_kinetics(path: Path, rows: int) -> None:
    rng = random.Random(0)
    labels = [f"label {i}" for i in range(700)]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["label", "youtube_id", "time_start", "time_end", "split"])
        for yid in youtube_ids(rng, rows):
            start = rng.randrange(0, 600)
            w.writerow([rng.choice(labels), yid, start, start + 10,
                        rng.choice(["train", "train", "train", "validate", "test"])])


def make_video2gif(folder: Path, gifs: int, videos: int) -> None:
    rng = random.Random(1)
    ids = youtube_ids(rng, videos)
    rows = [V2G_SEPARATOR.join(V2G_COLUMNS)]
    owners = ids + [rng.choice(ids) for _ in range(gifs - videos)]
    for n, yid in enumerate(sorted(owners)):
        duration = rng.randrange(120, 1200)
        start = rng.uniform(0, duration - 10)
        length = rng.uniform(2, 6)
        fields = {c: "" for c in V2G_COLUMNS}
        fields.update(
            youtube_id=yid, is_creative_commons=str(rng.randrange(2)), gif_id=str(100000 + n),
            gif_url=f"https://38.media.tumblr.com/{n:08x}/tumblr_{n}.gif",
            gif_start_frame=str(int(start * 25)), gif_end_frame=str(int((start + length) * 25)),
            gif_start_sec=f"{start:.3f}", gif_end_sec=f"{start + length:.3f}",
            gif_title=f"gif {n}", gif_views=str(rng.randrange(10, 100000)),
            gif_age=str(rng.randrange(1, 2000)), video_title=f"video {yid}",
            video_views=str(rng.randrange(100, 10**7)), video_publish_date="2014-05-01",
            video_likes=str(rng.randrange(0, 10**5)), video_duration=str(duration),
            video_frame_count=str(duration * 25), video_category="Entertainment",
            video_rating="4.5", video_description="a video", video_retrieved_date="2015-06-01")
        rows.append(V2G_SEPARATOR.join(fields[c] for c in V2G_COLUMNS))
    (folder / "metadata.txt").write_text("\n".join(rows) + "\n")
    test = rng.sample(ids, len(ids) // 10)
    (folder / "testset.txt").write_text("\n".join(sorted(test)) + "\n")


def project(folder: Path, corpus: dict, shard_size: int) -> Path:
    """A scratch project with this repository's pipeline files and the corpus's params."""
    for name in ("Snakefile", "rules", "profiles", "dvc.yaml", "src"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, folder / name, ignore=shutil.ignore_patterns("__pycache__",
                                                                              "*.egg-info"))
        else:
            shutil.copy(src, folder / name)
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["corpus"].update(corpus)
    params["execution"]["shard_size"] = shard_size
    (folder / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return folder


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, str]:
    """(wall seconds, peak MiB, stdout) of one command."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", PEAK, *cmd], cwd=cwd, capture_output=True,
                          text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{proc.stdout[-2000:]}\n"
                         f"{proc.stderr[-3000:]}")
    peak_mib = int(proc.stderr.strip().splitlines()[-1]) / 1024
    return seconds, peak_mib, proc.stdout


def plan(folder: Path, corpus_file: Path) -> dict:
    """Time every planning step in ``folder``; the csv-module floor of the corpus file."""
    t0 = time.perf_counter()
    with open(corpus_file, newline="") as fh:
        rows = sum(1 for _ in csv.reader(fh)) - 1
    floor = time.perf_counter() - t0
    gw = shutil.which("gifworthy") or "gifworthy"
    steps: dict[str, dict] = {}
    seconds, peak, out = timed([gw, "manifest", "--out", "data/manifest"], folder)
    steps["manifest"] = {"seconds": round(seconds, 2), "peak_mib": round(peak), **json.loads(
        out.strip().splitlines()[-1])}
    for stage in STAGES:
        seconds, peak, out = timed([gw, "prepare", stage], folder)
        counts = json.loads(out.split(":", 1)[1])
        plan_doc = json.loads((folder / f".gifworthy/shards/{stage}/plan.json").read_text())
        steps[f"prepare {stage}"] = {"seconds": round(seconds, 2), "peak_mib": round(peak),
                                     "items": plan_doc["items"], "shards": counts["shards"]}
    smk = shutil.which("snakemake") or "snakemake"
    seconds, peak, out = timed([smk, "-n", "--profile", "profiles/local", "--nolock",
                                *(f"{s}_report" for s in STAGES)], folder)
    steps["snakemake -n (all stages)"] = {"seconds": round(seconds, 2), "peak_mib": round(peak)}
    total = sum(s["seconds"] for s in steps.values())
    return {"rows": rows, "csv_floor_seconds": round(floor, 3), "steps": steps,
            "total_seconds": round(total, 2),
            "peak_mib": max(s["peak_mib"] for s in steps.values()),
            "jobs": sum(s.get("shards", 0) for s in steps.values())}


def show(name: str, result: dict) -> None:
    print(f"\n{name}: {result['rows']} rows (csv module alone: {result['csv_floor_seconds']} s)")
    for step, s in result["steps"].items():
        extra = f", {s['items']} items in {s['shards']} shards" if "shards" in s else ""
        print(f"  {step:28s} {s['seconds']:6.2f} s  {s['peak_mib']:5d} MiB{extra}")
    print(f"  total {result['total_seconds']:.2f} s "
          f"({result['total_seconds'] / max(result['csv_floor_seconds'], 1e-9):.0f}x the csv "
          f"floor), peak {result['peak_mib']} MiB, {result['jobs']} shard jobs")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kinetics", default="10000,100000,650000",
                    help="Kinetics CSV sizes (rows), comma-separated")
    ap.add_argument("--v2g-gifs", type=int, default=101_000)
    ap.add_argument("--v2g-videos", type=int, default=76_000)
    ap.add_argument("--shard-size", type=int, default=2000)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rows in [int(r) for r in args.kinetics.split(",") if r]:
            folder = Path(tmp) / f"kinetics{rows}"
            folder.mkdir()
            (folder / "data/annotations").mkdir(parents=True)
            corpus = folder / "data/annotations/kinetics700.csv"
            make_kinetics(corpus, rows)
            project(folder, {"format": "kinetics_csv",
                             "source": "data/annotations/kinetics700.csv"}, args.shard_size)
            results[f"kinetics {rows}"] = plan(folder, corpus)
            show(f"Kinetics-700 CSV, {rows} rows", results[f"kinetics {rows}"])
            shutil.rmtree(folder)
        if args.v2g_gifs:
            folder = Path(tmp) / "video2gif"
            (folder / "data/annotations").mkdir(parents=True)
            make_video2gif(folder / "data/annotations", args.v2g_gifs, args.v2g_videos)
            project(folder, {"format": "video2gif", "source": "data/annotations/metadata.txt",
                             "split_file": "data/annotations/testset.txt"}, args.shard_size)
            results["video2gif"] = plan(folder, folder / "data/annotations/metadata.txt")
            show(f"Video2GIF metadata.txt, {args.v2g_gifs} GIFs over {args.v2g_videos} "
                 "videos", results["video2gif"])
    save(args.json, results)


if __name__ == "__main__":
    main()
