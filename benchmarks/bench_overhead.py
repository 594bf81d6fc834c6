"""Per-item overhead of the shard jobs: thousands of tiny clips through download, trim and
gifify, with the real yt-dlp path from the loopback media server.

Each of ``--items`` clips (default 5,000) is a 1 s segment of a tiny video, served as a
watch page plus Range-capable media, as YouTube serves them. Each stage runs as `dvc repro`
runs it: `gifworthy prepare <stage>`, then one `gifworthy run-shard` process per shard
(``--shard-size`` items each) with ``--workers`` items at a time. Reported per stage:

* items per second (wall);
* the items' own work: yt-dlp's and ffmpeg's seconds, as each item's record states them;
* overhead per item: (wall x workers - own work) / items: the pipeline's cost per item
  beyond yt-dlp's and ffmpeg's work (process start, manifest, job keys, records, probes),
  including pool idle at a shard's tail. Goal (issue 15): at most 20 ms.

Reference, measured in the same run: the previous design, one `gifworthy run-one` process
per item (``--reference`` items), whose per-item wall time is the comparison.

Usage: python benchmarks/bench_overhead.py [--items 5000] [--workers 2] [--shard-size 2000]
       [--reference 40] [--json benchmarks/results/overhead.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from gifworthy.corpus.base import DownloadItem
from gifworthy.corpus.manifest import Manifest, write_manifest
from gifworthy.pipeline import paths
from gifworthy.pipeline.records import read_record
from gifworthy.pipeline.stage import get_stage
from gifworthy.sample.server import MediaServer
from results_io import save, timed_run

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(__file__).resolve().parent / ".cache"
STAGES = ("download", "trim", "gifify")


def tiny_video() -> Path:
    """A 3 s 96x64 H.264 clip with a keyframe every second."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / "tiny_3s_96x64.mp4"
    if not path.exists():
        tmp = path.with_suffix(".tmp.mp4")
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                        "testsrc2=s=96x64:r=12", "-t", "3", "-c:v", "libx264", "-preset",
                        "ultrafast", "-g", "12", "-pix_fmt", "yuv420p", "-movflags",
                        "+faststart", str(tmp)], check=True)
        tmp.rename(path)
    return path


def youtube_like_id(n: int) -> str:
    return f"t{n:010d}"


def own_seconds(stage: str, params: dict) -> float:
    """The items' own yt-dlp and ffmpeg seconds, from their records."""
    total = 0.0
    for job in get_stage(stage).jobs(params).values():
        rec = read_record(job.output) or {}
        total += float(rec.get("download_seconds") or 0) + float(rec.get("ffmpeg_seconds") or 0)
        for out in (rec.get("outputs") or {}).values():
            total += float(out.get("seconds") or 0)
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--shard-size", type=int, default=2000)
    ap.add_argument("--reference", type=int, default=40,
                    help="items run the previous way (one process each)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    video = tiny_video()
    ids = [youtube_like_id(n) for n in range(args.items + args.reference)]
    gw = shutil.which("gifworthy") or "gifworthy"
    results: dict = {"items": args.items, "workers": args.workers, "stages": {}}
    with tempfile.TemporaryDirectory() as tmp, MediaServer(
            {f"/videos/{i}.mp4": video for i in ids}, heights={i: 64 for i in ids}) as srv:
        folder = Path(tmp)
        params = yaml.safe_load((ROOT / "params.yaml").read_text())
        params["execution"]["shard_size"] = args.shard_size
        params["gifify"]["formats"] = ["gif"]
        for name in ("dvc.yaml", "src"):
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(src, folder / name)

        def manifest(items: list[str]) -> None:
            (folder / "params.yaml").write_text(yaml.safe_dump(params))
            write_manifest(Manifest([DownloadItem(f"{i}_000000_000001", i,
                                                  srv.url(f"/watch?v={i}"), 0.0, 1.0, "train",
                                                  "tiny", f"bench:{n}")
                                     for n, i in enumerate(items, 2)], [], []),
                           folder / paths.MANIFEST_DIR)

        # The reference: one process per item, as every Snakemake job used to be.
        manifest(ids[args.items:])
        os.chdir(folder)
        reference = {}
        for stage in STAGES:
            timed_run([gw, "prepare", stage], folder)
            items = sorted(get_stage(stage).jobs(params))
            t0 = time.perf_counter()
            for item in items:
                timed_run([gw, "run-one", stage, item], folder)
            wall = time.perf_counter() - t0
            own = own_seconds(stage, params)
            reference[stage] = {"items": len(items),
                                "seconds_per_item": round(wall / len(items), 4),
                                "overhead_ms": round(1000 * (wall - own) / len(items), 1)}
        shutil.rmtree(folder / "data/download")
        shutil.rmtree(folder / "data/clips")
        shutil.rmtree(folder / "data/gifs")
        results["reference_one_process_per_item"] = reference

        manifest(ids[:args.items])
        for stage in STAGES:
            timed_run([gw, "prepare", stage], folder)
            plan = json.loads((folder / f".gifworthy/shards/{stage}/plan.json").read_text())
            wall = 0.0
            for shard in plan["shards"]:
                wall += timed_run([gw, "run-shard", stage, shard, "--workers", str(args.workers)],
                            folder)
            own = own_seconds(stage, params)
            n = plan["items"]
            ok = sum((read_record(j.output) or {}).get("status") == "ok"
                     for j in get_stage(stage).jobs(params).values())
            results["stages"][stage] = {
                "items": n, "ok": ok, "shards": len(plan["shards"]),
                "wall_seconds": round(wall, 1), "items_per_second": round(n / wall, 1),
                "own_seconds": round(own, 1),
                "overhead_ms_per_item": round(1000 * (wall * args.workers - own) / n, 1),
                "speedup_vs_one_process_per_item": round(
                    reference[stage]["seconds_per_item"] / (wall / n), 2)}
        os.chdir(ROOT)
    print(f"{args.items} tiny clips, {args.workers} workers per shard job "
          f"({sys.platform}, {os.cpu_count()} CPUs)")
    for stage, r in results["stages"].items():
        ref = reference[stage]
        print(f"  {stage:8s} {r['items_per_second']:7.1f} items/s ({r['ok']}/{r['items']} ok, "
              f"{r['shards']} shards), own work {r['own_seconds']:.0f} s, overhead "
              f"{r['overhead_ms_per_item']:.1f} ms/item; one process per item: "
              f"{ref['seconds_per_item'] * 1000:.0f} ms/item ({ref['overhead_ms']:.0f} ms "
              f"overhead): {r['speedup_vs_one_process_per_item']}x the items per second")
    save(args.json, results)


if __name__ == "__main__":
    main()
