"""The Kinetics mirror step against `tar xzf` of the same archives, in one run.

Builds ``--archives`` tar.gz archives of ``--clips`` tiny MP4 clips each (class folders, as
the 700-2020 archives have them), serves them and their list on a loopback server, and runs
``gifworthy.download.stage.mirror_stage`` for a manifest naming ``--wanted`` of the clips
(the rest are in the archives but not wanted). Each clip carries ``--pad-kb`` of random
bytes after its last atom, so the archives are as incompressible as real video. References,
same run: fetching the archives with urllib and extracting everything with ``tar xzf``;
and that plus one ``ffprobe`` of each wanted clip (the least a tool must do to record a
clip's length), in as many processes as the mirror step places clips with. Prints clips
placed per second, archive MB per second, and the ratios to both references.

    python benchmarks/bench_mirror.py [--archives 4] [--clips 500] [--wanted 0.5]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _clip(path: Path) -> bytes:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=s=64x48:r=10", "-t", "2", "-c:v", "libx264", "-preset",
                    "ultrafast", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path.read_bytes()


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--archives", type=int, default=4)
    ap.add_argument("--clips", type=int, default=500, help="clips per archive")
    ap.add_argument("--wanted", type=float, default=0.5, help="share of clips the manifest names")
    ap.add_argument("--pad-kb", type=int, default=100, help="random bytes added to each clip")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    from gifworthy.corpus.base import DownloadItem
    from gifworthy.corpus.manifest import Manifest, write_manifest
    from gifworthy.download.stage import mirror_stage
    from gifworthy.pipeline import paths
    from gifworthy.sample.server import MediaServer

    work = Path(tempfile.mkdtemp(prefix="bench-mirror-"))
    body = _clip(work / "clip.mp4")
    rng = random.Random(7)
    site = work / "site" / "700_2020" / "train"
    site.mkdir(parents=True)
    routes, names, ids = {}, [], []
    for a in range(args.archives):
        name = f"k700_train_{a + 1:03d}.tar.gz"
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for c in range(args.clips):
                yid = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(11))
                ids.append(yid)
                info = tarfile.TarInfo(f"class{c % 20:02d}/{yid}_000000_000010.mp4")
                member = body + rng.randbytes(args.pad_kb * 1024)
                info.size = len(member)
                tar.addfile(info, io.BytesIO(member))
        (site / name).write_bytes(buf.getvalue())
        routes[f"/kinetics/700_2020/train/{name}"] = site / name
        names.append(name)
    total_mb = sum((site / n).stat().st_size for n in names) / 1e6
    wanted = rng.sample(ids, int(len(ids) * args.wanted))

    with MediaServer(routes, pages=False) as srv:
        listing = site / "k700_2020_train_path.txt"
        listing.write_text("".join(f"{srv.base_url}/kinetics/700_2020/train/{n}\n" for n in names))
        srv.routes["/kinetics/700_2020/train/k700_2020_train_path.txt"] = listing

        # Reference: fetch every archive and extract all of it.
        ref_dir = work / "ref"
        ref_dir.mkdir()
        t0 = time.perf_counter()
        for n in names:
            target = ref_dir / n
            with urllib.request.urlopen(f"{srv.base_url}/kinetics/700_2020/train/{n}") as r:
                target.write_bytes(r.read())
            subprocess.run(["tar", "xzf", str(target), "-C", str(ref_dir)], check=True)
        t_ref = time.perf_counter() - t0
        # ... plus one probe of each wanted clip, in the mirror step's number of threads.
        import concurrent.futures as cf

        from gifworthy.download.mirror import PLACE_WORKERS
        from gifworthy.media.probe import probe

        files = {p.name[:-4]: p for p in ref_dir.rglob("*.mp4")}
        t0 = time.perf_counter()
        with cf.ThreadPoolExecutor(PLACE_WORKERS) as pool:
            list(pool.map(probe, [files[f"{y}_000000_000010"] for y in wanted]))
        t_ref_probe = t_ref + time.perf_counter() - t0

        project = work / "project"
        project.mkdir()
        os.chdir(project)
        params = yaml.safe_load((ROOT / "params.yaml").read_text())
        params["download"]["kinetics_source"] = "mirror"
        params["download"]["mirror"].update(base_url=srv.url("/kinetics"), parallel_archives=2)
        Path("params.yaml").write_text(yaml.safe_dump(params))
        items = [DownloadItem(f"{y}_000000_000010", y, f"https://www.youtube.com/watch?v={y}",
                              0.0, 10.0, "train", "x", f"k.csv:{i}")
                 for i, y in enumerate(wanted, start=2)]
        write_manifest(Manifest(items, [], []), paths.MANIFEST_DIR)
        t0 = time.perf_counter()
        counts = mirror_stage(params)
        t_mirror = time.perf_counter() - t0

    result = {
        "archives": args.archives, "clips_per_archive": args.clips,
        "archive_mb": round(total_mb, 1),
        "wanted": len(wanted), "placed": counts["placed"],
        "mirror_seconds": round(t_mirror, 2), "tar_seconds": round(t_ref, 2),
        "tar_and_probe_seconds": round(t_ref_probe, 2),
        "clips_placed_per_second": round(counts["placed"] / t_mirror, 1),
        "archive_mb_per_second": round(total_mb / t_mirror, 1),
        "ratio_to_tar_xzf": round(t_mirror / t_ref, 2),
        "ratio_to_tar_and_probe": round(t_mirror / t_ref_probe, 2),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
