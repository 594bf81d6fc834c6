"""Seconds on screen of a whole video, and the evaluation against known seconds."""


from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from gifworthy.core.fsutil import csv_text, write_json, write_text
from gifworthy.features.backbones import embed_images
from gifworthy.media.probe import probe
from gifworthy.nets.runtime import DEFAULT_RUNTIME
from gifworthy.screentime.frames import video_frames
from gifworthy.screentime.labels import NONE
from gifworthy.screentime.model import predict_probs, smooth
from gifworthy.screentime.plot import timeline_png
from gifworthy.screentime.validate import accuracy

__all__ = ["evaluate_heldout", "evaluate_video", "label_sets", "run_video", "screen_seconds"]


# ---------------------------------------------------------------------------------------------
# Prediction and scoring
# ---------------------------------------------------------------------------------------------
def screen_seconds(on_screen: np.ndarray, classes: Sequence[str], fps: float
                   ) -> dict[str, float]:
    """Seconds on screen per class, plus ``none`` (no character at all)."""
    per = {c: float(on_screen[:, i].sum() / fps) for i, c in enumerate(classes)}
    per[NONE] = float((~on_screen.any(axis=1)).sum() / fps) if len(on_screen) else 0.0
    return per


def label_sets(on_screen: np.ndarray, classes: Sequence[str]) -> list[str]:
    return [";".join(c for c, on in zip(classes, row) if on) or NONE for row in on_screen]


def run_video(video: str | os.PathLike[str], model: dict[str, Any], out_dir: str | os.PathLike[str],
              *, truth: np.ndarray | None = None) -> dict[str, Any]:
    """Classify every second of ``video``; write ``seconds.json``, ``seconds.csv``,
    ``timeline.csv`` and ``timeline.png`` (with the true seconds under the bars when ``truth``
    is given) into ``out_dir``; return the summary with the per-second arrays."""
    out_dir = Path(out_dir)
    classes = list(model["classes"])
    info = probe(video)
    runtime = str(model.get("runtime", DEFAULT_RUNTIME))
    chunks = [predict_probs(model, embed_images(frames, runtime=runtime))
              for frames in video_frames(video, model["fps"])]
    probs = np.concatenate(chunks) if chunks else np.zeros((0, len(classes)), np.float32)
    duration = float(info.get("duration") or len(probs) / model["fps"])
    smoothed = smooth(probs, model["smooth_seconds"])
    on = smoothed >= np.asarray(model["thresholds"])
    seconds = screen_seconds(on, classes, model["fps"])
    summary = {"video": str(video), "duration_seconds": round(duration, 3),
               "frames": int(len(probs)), "fps": model["fps"], "classes": classes,
               "seconds": {k: round(v, 3) for k, v in seconds.items()}}
    write_json(out_dir / "seconds.json", summary)
    total = max(len(probs) / model["fps"], 1e-9)
    write_text(out_dir / "seconds.csv", csv_text(
        ["class", "seconds", "share"],
        [[c, round(seconds[c], 3), round(seconds[c] / total, 4)] for c in classes + [NONE]]))
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
                     metrics: Path) -> dict[str, Any]:
    """Run the model on a sample's held-out videos, score them against ``truth.csv`` and
    write ``metrics`` (with the by-video validation figures of the training ``report``)."""
    from gifworthy.screentime.labels import read_truth

    truth = read_truth(sample / "truth.csv", model["classes"])
    videos = {}
    for video in sorted((sample / "heldout").glob("*.mp4")):
        summary = run_video(video, model, out / video.stem, truth=truth.get(video.stem))
        videos[video.stem] = evaluate_video(summary, truth[video.stem], model)
    scored = [v for v in videos.values() if v["seconds"]]
    total = sum(v["seconds"] for v in scored)
    classes = list(model["classes"])
    result = {
        "heldout_accuracy": round(sum(v["accuracy"] * v["seconds"] for v in scored) / total, 4)
        if total else None,
        "heldout_abs_error_seconds": {c: round(sum(v["per_class"][c]["abs_error_seconds"]
                                                   for v in scored), 3) for c in classes},
        "validation_accuracy": report["validation"]["accuracy"],
        "validation_accuracy_smoothed": report["validation"]["accuracy_smoothed"],
        "validation_split": report["validation"]["split"],
        "random_frame_split_accuracy": report.get("random_frame_split", {}).get("accuracy"),
        "videos": videos,
    }
    write_json(metrics, result)
    return result
