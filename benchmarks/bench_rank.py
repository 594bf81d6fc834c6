"""`gifworthy rank` end to end on a 10-minute 640x360 video: time and share of each step.

Needs trained models (`dvc repro train`, or `make run`). References measured in the same run:
ffmpeg decoding the video alone. Usage (from the repository root):
    python benchmarks/bench_rank.py [--minutes 10] [--top 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_download import source_video  # noqa: E402
from gifworthy.core.config import load_params  # noqa: E402
from gifworthy.pipeline import paths as layout  # noqa: E402
from gifworthy.ranking.inference import rank_video  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--top", type=int, default=5)
    args = ap.parse_args()
    video = source_video(args.minutes, "mandelbrot=s=320x180:r=30:maxiter=128:end_pts=600,"
                                       "scale=640:360")
    params = load_params("params.yaml")
    t0 = time.perf_counter()
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(video), "-an", "-f", "null",
                    "-"], check=True)
    decode = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = rank_video(video, params, layout.MODELS_DIR, Path(tmp), args.top)
        total = time.perf_counter() - t0
    print(f"rank on a {args.minutes:g}-minute 640x360 video: {total:.1f} s "
          f"({total / decode:.0f}x an ffmpeg-only decode of {decode:.2f} s); "
          f"{len(result['segments'])} segments")
    for step, seconds in result["seconds"].items():
        print(f"  {step:9s} {seconds:8.2f} s  {100 * result['share'][step]:5.1f}%")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "rank.json").write_text(json.dumps({
        "minutes": args.minutes, "total_s": round(total, 2), "decode_s": round(decode, 3),
        "seconds": result["seconds"], "share": result["share"],
        "segments": len(result["segments"])}, indent=2))


if __name__ == "__main__":
    main()
