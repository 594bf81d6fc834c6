"""Feature extractor speed: seconds per minute of 360p video, against ffmpeg decoding alone.

Measured in the same run on one minute of the 640x360 benchmark video (bench_download's
cached source) and on iscc's real 60 s clip:
* ``ffmpeg -f null``: decoding and nothing else (the reference);
* each extractor of gifworthy.features on 2 s segments, plus the TransNetV2 forward pass of
  the shots stage (which the ``transnet`` extractor pools per segment).
Usage: python benchmarks/bench_features.py
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

from bench_download import source_video
from gifworthy.core.resources import package_file
from gifworthy.features import stage as features
from gifworthy.media.probe import probe
from gifworthy.segments import split_shots
from gifworthy.shots import stage as shots

HERE = Path(__file__).resolve().parent


def seconds(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure(video: Path) -> dict[str, float]:
    info = probe(video)
    minutes = info["duration"] / 60
    decode = seconds(lambda: subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(video),
                                             "-an", "-f", "null", "-"], check=True))
    n = int(round(info["duration"] * info["fps"]))
    segs = split_shots([(0, n)], info["fps"], 1.0, 2.0)
    found = {}
    thresholds = {"detectors": ["transnet", "scenedetect"], "transnet_threshold": 0.5,
                  "scenedetect_threshold": 27}
    shot_s = seconds(lambda: found.update(shots.detect_shots(video, thresholds)))
    row = {"decode": decode / minutes,
           "shots_decode": found["seconds"]["decode"] / minutes,
           "transnet_forward": found["seconds"]["transnet"] / minutes,
           "scenedetect": found["seconds"]["scenedetect"] / minutes,
           "shots_total": shot_s / minutes}
    for name in ("motion", "image", "faces", "context", "transnet"):
        out = features.extract_features(str(video), segs, {"extractors": [name], "image_fps": 2},
                                         transnet_per_second=found["features_per_second"])
        row[f"{name}_decode"] = out["seconds"]["decode"] / minutes
        row[name] = out["seconds"][name] / minutes
    return {k: round(v, 3) for k, v in row.items()}


def main() -> None:
    long_video = source_video(10, "mandelbrot=s=320x180:r=30:maxiter=128:end_pts=600,"
                                  "scale=640:360")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        minute = Path(tmp) / "one_minute_360p.mp4"
        subprocess.run(["ffmpeg", "-v", "error", "-ss", "60", "-i", str(long_video), "-t", "60",
                        "-c", "copy", str(minute)], check=True)
        for name, video in (("mandelbrot 640x360 30 fps", minute),
                            ("iscc demo 176x144 24 fps (real)",
                             package_file("iscc_samples", "files/video/demo.mp4"))):
            row = measure(video)
            results[name] = row
            motion_transnet_features_stage = row["motion_decode"] + row["motion"] + row["transnet"]
            print(f"{name}: seconds per minute of video")
            for k, v in row.items():
                print(f"  {k:18s} {v:8.3f}  ({v / row['decode']:.2f}x decode)")
            print(f"  motion + transnet in the features stage: "
                  f"{motion_transnet_features_stage / row['decode']:.2f}x decode; the TransNetV2 "
                  f"forward pass (shots stage) {row['transnet_forward'] / row['decode']:.1f}x")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "features.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
