"""Segment-only download vs the Kinetics downloaders' way (full download + trim).

A 10 s clip of a 10-minute 360p video, served over loopback by the same media server the
sample corpus uses (watch page + Range-capable media). Measured in one run:

* segment, exact cuts   - gifworthy's default (yt-dlp download_ranges + force_keyframes_at_cuts)
* segment, keyframe cut - stream copy from the previous keyframe (download.exact_cuts: false)
* full + trim           - reference: download everything, then cut with ffmpeg (exact)

Prints bytes moved and wall time of each, and their ratios to the reference.
Usage: python benchmarks/bench_download.py [--minutes 10] [--start 300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from gifworthy.corpus.base import DownloadItem
from gifworthy.download.stage import download_item
from gifworthy.download.throttle import ThrottleGate
from gifworthy.media.encode import trim
from gifworthy.sample.server import MediaServer

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
YID = "benchVIDEO0"


def source_video(minutes: float, lavfi: str = "testsrc2") -> Path:
    """A 640x360 H.264 video with a keyframe every 2 s (like a YouTube 360p rendition)."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"src_{minutes:g}min_360p_{lavfi.split('=')[0]}.mp4"
    if not path.exists():
        tmp = path.with_suffix(".tmp.mp4")
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
             f"{lavfi}=s=640x360:r=30" if "=" not in lavfi else lavfi, "-f", "lavfi", "-i",
             "sine=f=300:sample_rate=44100",
             "-t", str(minutes * 60), "-c:v", "libx264", "-preset", "ultrafast", "-crf", "28",
             "-g", "60", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
             "-movflags", "+faststart", "-shortest", str(tmp)], check=True)
        tmp.rename(path)
    return path


def one(server: MediaServer, dl: dict, segment: tuple[float, float] | None, out: Path):
    before = server.total_bytes()
    item = DownloadItem(YID if segment is None else f"{YID}_seg", YID,
                        server.url(f"/watch?v={YID}"), *(segment or (None, None)), "", "", "")
    t0 = time.perf_counter()
    rec = download_item(item, out, dl, gate=ThrottleGate(out / "gate.json"), log=lambda m: None)
    elapsed = time.perf_counter() - t0
    assert rec["status"] == "ok", rec
    return server.total_bytes() - before, elapsed, out / rec["file"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--start", type=float, default=300)
    ap.add_argument("--clip", type=float, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--mbps", type=float, default=0,
                    help="cap the link at this many megabits/s (0: raw loopback)")
    args = ap.parse_args()
    src = source_video(args.minutes)
    seg = (args.start, args.start + args.clip)
    base = dict(max_height=360, attempts=1, backoff_seconds=0, throttle_cooldown_seconds=1,
                throttle_max_pauses=0, socket_timeout=20, retry_failed=[])
    results: dict[str, list[tuple[int, float]]] = {"segment_exact": [], "segment_keyframe": [],
                                                   "full_plus_trim": []}
    rate = args.mbps * 1e6 / 8
    with MediaServer({f"/videos/{YID}.mp4": src}, heights={YID: 360}, rate=rate) as server:
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                tmp = Path(tmp)
                b, t, _ = one(server, dict(base, segments=True, exact_cuts=True), seg, tmp / "a")
                results["segment_exact"].append((b, t))
                b, t, _ = one(server, dict(base, segments=True, exact_cuts=False), seg, tmp / "b")
                results["segment_keyframe"].append((b, t))
                b, t, full = one(server, dict(base, segments=False), None, tmp / "c")
                t0 = time.perf_counter()
                trim(full, tmp / "c" / "clip.mp4", start=seg[0], duration=args.clip)
                results["full_plus_trim"].append((b, t + time.perf_counter() - t0))
    ref_b = statistics.median(b for b, _ in results["full_plus_trim"])
    ref_t = statistics.median(t for _, t in results["full_plus_trim"])
    size = src.stat().st_size
    link = f"{args.mbps:g} Mbit/s link" if args.mbps else "raw loopback"
    print(f"source: {args.minutes:g} min 640x360, {size / 1e6:.1f} MB; "
          f"clip {seg[0]:g}-{seg[1]:g} s;"
          f" {link}; median of {args.repeat}")
    print(f"{'method':<18}{'MB moved':>10}{'seconds':>10}{'bytes ratio':>13}{'time ratio':>12}")
    summary = {}
    for name, rows in results.items():
        b = statistics.median(x for x, _ in rows)
        t = statistics.median(x for _, x in rows)
        summary[name] = {"bytes": b, "seconds": round(t, 3), "bytes_ratio": round(b / ref_b, 4),
                         "time_ratio": round(t / ref_t, 4)}
        print(f"{name:<18}{b / 1e6:>10.2f}{t:>10.2f}{b / ref_b:>13.3f}{t / ref_t:>12.3f}")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    name = f"download_{args.mbps:g}mbps.json" if args.mbps else "download_loopback.json"
    (out / name).write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
