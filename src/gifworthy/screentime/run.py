"""Seconds on screen of a whole video, and the evaluation against known seconds."""


from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from gifworthy.core.fsutil import csv_text, write_json, write_text
from gifworthy.media.probe import probe
from gifworthy.nets.runtime import DEFAULT_RUNTIME
from gifworthy.screentime.frames import model_size, video_frames
from gifworthy.screentime.labels import NONE
from gifworthy.screentime.model import image_features, predict_probs, smooth
from gifworthy.screentime.plot import timeline_png
from gifworthy.screentime.validate import accuracy

__all__ = ["DEFAULT_INTERVAL", "evaluate_heldout", "evaluate_video", "label_sets", "run_video",
           "screen_seconds", "seconds_interval"]

DEFAULT_INTERVAL = {"level": 0.95, "resamples": 2000, "block_seconds": 10}


# ---------------------------------------------------------------------------------------------
# Prediction and scoring
# ---------------------------------------------------------------------------------------------
def screen_seconds(on_screen: np.ndarray, classes: Sequence[str], fps: float
                   ) -> dict[str, float]:
    """Seconds on screen per class, plus ``none`` (no character at all)."""
    per = {c: float(on_screen[:, i].sum() / fps) for i, c in enumerate(classes)}
    per[NONE] = float((~on_screen.any(axis=1)).sum() / fps) if len(on_screen) else 0.0
    return per


def seconds_interval(on_screen: np.ndarray, classes: Sequence[str], fps: float,
                     interval: dict[str, Any], seed: int = 0) -> dict[str, list[float]]:
    """Each class's (and ``none``'s) seconds on screen with a ``level`` moving-block bootstrap
    interval over the video's seconds: ``{class: [low, high]}``.

    Blocks of ``block_seconds`` (circular, so every second is as likely to be drawn) keep the
    runs a character stays on screen together; resampling single seconds would treat 30
    seconds of one scene as 30 independent draws and give an interval far too narrow. The
    interval says how much the total depends on which stretches of this video happened to
    be in it, for the decisions the model made; the model's own errors are measured apart,
    against labelled videos (``metrics/screentime.json``)."""
    columns = np.column_stack([on_screen, ~on_screen.any(axis=1)]) if len(on_screen) \
        else np.zeros((0, len(classes) + 1), bool)
    names = [*classes, NONE]
    n = len(columns)
    if n == 0:
        return {c: [0.0, 0.0] for c in names}
    block = max(1, min(int(round(interval["block_seconds"] * fps)), n))
    blocks = -(-n // block)
    # Sum of every circular block start: cumulative sums over the video twice.
    twice = np.concatenate([columns, columns[:block]]).astype(np.float64)
    cum = np.concatenate([np.zeros((1, columns.shape[1])), np.cumsum(twice, axis=0)])
    block_sums = cum[block:block + n] - cum[:n]
    rng = np.random.default_rng(seed)
    totals = np.empty((interval["resamples"], columns.shape[1]))
    for start in range(0, interval["resamples"], 500):  # a few MB at a time
        stop = min(start + 500, interval["resamples"])
        idx = rng.integers(0, n, size=(stop - start, blocks))
        totals[start:stop] = block_sums[idx].sum(axis=1) * (n / (blocks * block))
    tail = (1 - interval["level"]) / 2
    low, high = np.quantile(totals / fps, [tail, 1 - tail], axis=0)
    return {c: [round(float(lo), 3), round(float(hi), 3)] for c, lo, hi in zip(names, low, high)}


def label_sets(on_screen: np.ndarray, classes: Sequence[str]) -> list[str]:
    return [";".join(c for c, on in zip(classes, row) if on) or NONE for row in on_screen]


def run_video(video: str | os.PathLike[str], model: dict[str, Any], out_dir: str | os.PathLike[str],
              *, truth: np.ndarray | None = None, interval: dict[str, Any] | None = None,
              seed: int = 0) -> dict[str, Any]:
    """Classify every second of ``video``; write ``seconds.json`` (seconds per class with
    their bootstrap ``interval``), ``seconds.csv``, ``timeline.csv`` and ``timeline.png``
    (with the true seconds under the bars when ``truth`` is given) into ``out_dir``; return
    the summary with the per-second arrays."""
    out_dir = Path(out_dir)
    classes = list(model["classes"])
    info = probe(video)
    runtime = str(model.get("runtime", DEFAULT_RUNTIME))
    head = str(model.get("head", "pooled"))
    size = model_size(int(info.get("width") or 0), int(info.get("height") or 0), head)
    chunks = [predict_probs(model, image_features(list(frames), head, runtime))
              for frames in video_frames(video, model["fps"], size=size)]
    probs = np.concatenate(chunks) if chunks else np.zeros((0, len(classes)), np.float32)
    duration = float(info.get("duration") or len(probs) / model["fps"])
    smoothed = smooth(probs, model["smooth_seconds"])
    on = smoothed >= np.asarray(model["thresholds"])
    seconds = screen_seconds(on, classes, model["fps"])
    interval = interval or DEFAULT_INTERVAL
    bounds = seconds_interval(on, classes, model["fps"], interval, seed)
    summary = {"video": str(video), "duration_seconds": round(duration, 3),
               "frames": int(len(probs)), "fps": model["fps"], "classes": classes,
               "seconds": {k: round(v, 3) for k, v in seconds.items()},
               "interval": {"level": interval["level"], "method": "moving-block bootstrap "
                            f"over the video's seconds, blocks of {interval['block_seconds']} s",
                            "resamples": interval["resamples"], "seconds": bounds}}
    write_json(out_dir / "seconds.json", summary)
    total = max(len(probs) / model["fps"], 1e-9)
    write_text(out_dir / "seconds.csv", csv_text(
        ["class", "seconds", "low", "high", "share"],
        [[c, round(seconds[c], 3), *bounds[c], round(seconds[c] / total, 4)]
         for c in classes + [NONE]]))
    rows = [[round(i / model["fps"], 3), label] + [int(v) for v in on[i]]
            + [round(float(v), 4) for v in smoothed[i]]
            for i, label in enumerate(label_sets(on, classes))]
    write_text(out_dir / "timeline.csv", csv_text(
        ["second", "labels"] + classes + [f"p_{c}" for c in classes], rows))
    timeline_png(on, classes, model["fps"], out_dir / "timeline.png",
                 title=f"{Path(video).name}: seconds on screen", probs=smoothed, truth=truth)
    summary["probs"] = probs
    summary["on_screen"] = on
    return summary


def evaluate_video(summary: dict[str, Any], truth: np.ndarray, model: dict[str, Any]
                   ) -> dict[str, Any]:
    """Accuracy per second and seconds error per class of one ``run_video`` result."""
    classes, fps = list(model["classes"]), model["fps"]
    pred = summary["on_screen"]
    n = min(len(pred), len(truth))
    pred, truth = pred[:n], truth[:n]
    true_seconds = screen_seconds(truth, classes, fps)
    got = screen_seconds(pred, classes, fps)
    raw = summary["probs"][:n] >= np.asarray(model["thresholds"])
    return {"seconds": n, "accuracy": round(accuracy(pred, truth), 4),
            "accuracy_unsmoothed": round(accuracy(raw, truth), 4),
            "per_class": {c: {"true_seconds": true_seconds[c], "predicted_seconds": got[c],
                              "abs_error_seconds": round(abs(true_seconds[c] - got[c]), 3)}
                          for c in list(classes) + [NONE]}}


def evaluate_heldout(sample: Path, model: dict[str, Any], report: dict[str, Any], out: Path,
                     metrics: Path, *, interval: dict[str, Any] | None = None, seed: int = 0
                     ) -> dict[str, Any]:
    """Run the model on a sample's held-out videos, score them against ``truth.csv`` and
    write ``metrics`` (with the by-video validation figures of the training ``report``)."""
    from gifworthy.screentime.labels import read_truth

    truth = read_truth(sample / "truth.csv", model["classes"])
    videos = {}
    for video in sorted((sample / "heldout").glob("*.mp4")):
        summary = run_video(video, model, out / video.stem, truth=truth.get(video.stem),
                            interval=interval, seed=seed)
        videos[video.stem] = evaluate_video(summary, truth[video.stem], model)
        for c, (low, high) in summary["interval"]["seconds"].items():
            per = videos[video.stem]["per_class"][c]
            per["interval"] = [low, high]
            per["true_in_interval"] = bool(low <= per["true_seconds"] <= high)
    scored = [v for v in videos.values() if v["seconds"]]
    total = sum(v["seconds"] for v in scored)
    classes = list(model["classes"])
    result = {
        "heldout_accuracy": round(sum(v["accuracy"] * v["seconds"] for v in scored) / total, 4)
        if total else None,
        "heldout_abs_error_seconds": {c: round(sum(v["per_class"][c]["abs_error_seconds"]
                                                   for v in scored), 3) for c in classes},
        # How often the bootstrap interval held the true seconds (every class and video).
        "interval_coverage": round(float(np.mean(
            [p["true_in_interval"] for v in scored for p in v["per_class"].values()])), 4)
        if scored else None,
        "validation_accuracy": report["validation"]["accuracy"],
        "validation_accuracy_smoothed": report["validation"]["accuracy_smoothed"],
        "validation_split": report["validation"]["split"],
        "random_frame_split_accuracy": report.get("random_frame_split", {}).get("accuracy"),
        "videos": videos,
    }
    write_json(metrics, result)
    return result
