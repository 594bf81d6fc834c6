"""``gifworthy rank VIDEO``: shots, segments, features and the trained ranker on any video
file; the top segments become GIFs, and ``scores.json`` gives every segment's score and the
time share of each step."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from gifworthy.core.fsutil import write_json
from gifworthy.features.stage import extract_features
from gifworthy.media.encode import gifify
from gifworthy.ranking.data import Video
from gifworthy.ranking.models import get_ranker, model_dir
from gifworthy.segments import split_shots
from gifworthy.shots.stage import cuts_to_shots, detect_shots

__all__ = ["rank_video", "rank_video_to"]


def rank_video(video: Path, params: dict[str, Any], models_dir: Path, out_dir: Path, top: int
               ) -> dict[str, Any]:
    """Shots, segments, features and the trained RankNet on any video file; the ``top``
    segments become GIFs in ``out_dir``. Returns every segment's score and the time per
    step."""
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    runtime = params["inference"]["runtime"]
    # Only what this video needs: the segments' detector, and TransNetV2 when its features
    # are used (the shots stage runs the others to compare them).
    needed = {params["shots"]["detector"]} | (
        {"transnet"} if "transnet" in params["features"]["extractors"] else set())
    found = detect_shots(video, params["shots"], detectors=needed, runtime=runtime)
    seconds["shots"] = time.perf_counter() - t
    t = time.perf_counter()
    fps = found["fps"]
    shots = cuts_to_shots(found["cuts"][params["shots"]["detector"]], found["n_frames"])
    segs = split_shots(shots, fps, params["segments"]["min_sec"], params["segments"]["max_sec"])
    seconds["segments"] = time.perf_counter() - t
    if not segs:
        raise ValueError(f"{video}: no segment of at least {params['segments']['min_sec']} s")
    t = time.perf_counter()
    feats = extract_features(str(video), segs, params["features"],
                             transnet_per_second=found["features_per_second"],
                             runtime=runtime)
    seconds["features"] = time.perf_counter() - t
    t = time.perf_counter()
    method = params["ranking"]["methods"][0]
    ranker = get_ranker(method).load(model_dir(models_dir, method,
                                               params["ranking"]["seeds"][0]))
    if ranker.dim is not None and feats["matrix"].shape[1] != ranker.dim:
        raise ValueError(f"the model expects {ranker.dim} features, the extractors in "
                         f"params.yaml give {feats['matrix'].shape[1]}: train with the same "
                         "features")
    starts = np.array([s["start_frame"] for s in segs], int)
    ends = np.array([s["end_frame"] for s in segs], int)
    scores = ranker.score(Video(
        str(video), feats["matrix"].astype(np.float64), starts, ends,
        np.full(len(segs), -1), np.zeros(len(segs)), [], int(found["n_frames"]), "test",
        list(feats["names"]), fps))
    seconds["score"] = time.perf_counter() - t
    t = time.perf_counter()
    g = params["gifify"]
    best = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for rank, i in enumerate(np.argsort(-scores, kind="stable")[:top], 1):
        s = segs[int(i)]
        name = f"rank{rank}_{s['start_sec']:.2f}-{s['end_sec']:.2f}.gif"
        gifify(video, out_dir / name, start=s["start_sec"], end=s["end_sec"],
               sample_fps=g["sample_fps"], play_fps=g["play_fps"], width=g["width"],
               colors=g["colors"], dither=g["dither"])
        best.append({"rank": rank, "file": name, "start_sec": s["start_sec"],
                     "end_sec": s["end_sec"], "score": round(float(scores[i]), 4)})
    seconds["gifs"] = time.perf_counter() - t
    total = sum(seconds.values())
    return {"video": str(video), "duration_sec": round(found["n_frames"] / fps, 3),
            "top": best,
            "segments": [{**s, "score": round(float(sc), 4)} for s, sc in zip(segs, scores)],
            "seconds": {k: round(v, 3) for k, v in seconds.items()},
            "share": {k: round(v / total, 3) for k, v in seconds.items()} if total else {}}


def rank_video_to(video: Path, params: dict[str, Any], models_dir: Path, out_dir: Path,
                  top: int) -> dict[str, Any]:
    """:func:`rank_video`, with ``scores.json`` written to ``out_dir``."""
    result = rank_video(video, params, models_dir, out_dir, top)
    write_json(Path(out_dir) / "scores.json", result)
    return result
