"""Fitting with honest validation: by-video folds, per-class thresholds, ``fit``."""


from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from gifworthy.core.fsutil import write_json
from gifworthy.nets.runtime import DEFAULT_RUNTIME
from gifworthy.screentime.frames import augment, load_frame
from gifworthy.screentime.labels import LabelledFrame
from gifworthy.screentime.model import (
    class_weights,
    image_features,
    pad_cells,
    predict_probs,
    smooth,
    train_model,
)

__all__ = ["accuracy", "fit", "train_and_save", "tune_thresholds"]


def accuracy(pred: np.ndarray, truth: np.ndarray) -> float:
    """Share of seconds whose whole label set (every character, or none) is right."""
    if len(truth) == 0:
        return float("nan")
    return float((pred == truth).all(axis=1).mean())


# ---------------------------------------------------------------------------------------------
# Training with a validation that predicts a new video
# ---------------------------------------------------------------------------------------------
def _targets(frames: Sequence[LabelledFrame], classes: Sequence[str]) -> np.ndarray:
    return np.array([[c in f.labels for c in classes] for f in frames], dtype=np.float32)


def _by_video_folds(videos: Sequence[str], folds: int) -> list[list[str]]:
    """Videos dealt into at most ``folds`` folds (one per video when there are few)."""
    names = sorted(set(videos))
    k = min(folds, len(names))
    return [names[i::k] for i in range(k)] if k >= 2 else []


def _runs(frames: Sequence[LabelledFrame]) -> list[np.ndarray]:
    """Indices of runs of consecutive seconds of one video (smoothing never bridges a gap in
    the labelling or two videos); frames without a number are runs of one."""
    runs: list[np.ndarray] = []
    idx = np.arange(len(frames))
    for video in sorted({f.video for f in frames}):
        sel = idx[[f.video == video for f in frames]]
        numbers = [frames[i].second for i in sel]
        if any(n is None for n in numbers):
            runs += [np.array([i]) for i in sel]
            continue
        runs += np.split(sel, np.flatnonzero(np.diff(numbers) != 1) + 1)
    return runs


def _decide(probs: np.ndarray, frames: Sequence[LabelledFrame], thresholds: np.ndarray,
            smooth_seconds: int) -> np.ndarray:
    on = np.zeros(probs.shape, bool)
    for run in _runs(frames):
        on[run] = smooth(probs[run], smooth_seconds) >= thresholds
    return on


def tune_thresholds(probs: np.ndarray, truth: np.ndarray, frames: Sequence[LabelledFrame],
                    smooth_seconds: int) -> np.ndarray:
    """Per class, the threshold (0.2 ... 0.8) with the best F1 of the smoothed out-of-fold
    predictions, i.e. of the decisions ``run`` will make. Held-out videos give a character
    lower probabilities than its training frames did; 0.5 can miss a rare one. The range is
    narrow because a few folds are a noisy estimate."""
    grid = np.round(np.arange(0.2, 0.801, 0.05), 2)
    f1 = np.zeros((len(grid), truth.shape[1]))
    for g, th in enumerate(grid):
        on = _decide(probs, frames, np.full(truth.shape[1], th), smooth_seconds)
        f1[g] = 2 * (on & truth).sum(0) / np.maximum(1, on.sum(0) + truth.sum(0))
    return grid[np.argmax(f1, axis=0)].astype(float)  # ties: the lowest (toward recall)


def fit(frames: Sequence[LabelledFrame], classes: Sequence[str], p: dict[str, Any], seed: int,
        embed: Any = None, log: Any = None, runtime: str = DEFAULT_RUNTIME
        ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate by video (``p['folds']`` folds of whole videos, one per video when fewer),
    tune per-class thresholds on those out-of-fold predictions (``p['threshold']`` =
    ``auto``), then train the final model on every labelled frame. Returns (model, report).

    The report also scores the same number of folds over random frames: the figure a random
    split would have claimed, which neighbouring near-identical frames inflate."""
    import time

    head = p.get("head", "pooled")
    embed = embed or (lambda images: image_features(images, head, runtime))
    t0 = time.perf_counter()
    images = [load_frame(f.path, head) for f in frames]
    x = embed(images)
    rng = np.random.default_rng(seed)
    copies = [embed([augment(im, rng) for im in images]) for _ in range(p["augment_copies"])]
    if head == "cells":  # frames of other shapes have other numbers of cells: pad alike
        cells = max(a.shape[1] for a in [x, *copies])
        x, *copies = (a if a.shape[1] == cells else pad_cells(list(a), cells)
                      for a in [x, *copies])
    embed_seconds = time.perf_counter() - t0
    y = _targets(frames, classes)
    truth = y > 0.5
    videos = np.array([f.video for f in frames])

    def train_on(sel: np.ndarray) -> dict[str, Any]:
        xs = np.concatenate([x[sel]] + [c[sel] for c in copies])
        ys = np.concatenate([y[sel]] * (1 + len(copies)))
        model = train_model(xs, ys, p, seed)
        model["classes"] = list(classes)
        return model

    def out_of_fold(groups: list[np.ndarray]) -> np.ndarray:
        probs = np.zeros_like(y)
        for test in groups:
            probs[test] = predict_probs(train_on(np.setdiff1d(np.arange(len(frames)), test)),
                                        x[test])
        return probs

    def scores(probs: np.ndarray, thresholds: np.ndarray) -> dict[str, Any]:
        raw = probs >= thresholds
        per_class = {}
        for i, c in enumerate(classes):
            tp = float((truth[:, i] & raw[:, i]).sum())
            per_class[c] = {"precision": round(tp / max(raw[:, i].sum(), 1), 4),
                            "recall": round(tp / max(truth[:, i].sum(), 1), 4),
                            "frames": int(truth[:, i].sum())}
        smoothed = _decide(probs, frames, thresholds, p["smooth_seconds"])
        return {"accuracy": round(accuracy(raw, truth), 4),
                "accuracy_smoothed": round(accuracy(smoothed, truth), 4),
                "per_class": per_class}

    report: dict[str, Any] = {"frames": len(frames), "videos": sorted(set(videos.tolist())),
                              "classes": list(classes),
                              "frames_per_class": {c: int(y[:, i].sum())
                                                   for i, c in enumerate(classes)},
                              "none_frames": int((y.sum(axis=1) == 0).sum()),
                              "class_weights": {c: round(float(w), 3) for c, w in
                                                zip(classes, class_weights(y))}}
    folds = _by_video_folds(videos.tolist(), p["folds"])
    if folds:
        split = "by video"
        groups = [np.flatnonzero(np.isin(videos, f)) for f in folds]
    else:  # one video: hold out its last fifth in time, the closest thing to a new video
        split = "last 20% of the only video"
        groups = [np.arange(int(len(frames) * 0.8), len(frames))]
    probs = out_of_fold(groups)
    default = np.full(len(classes), 0.5)
    thresholds = (tune_thresholds(probs, truth, frames, p["smooth_seconds"])
                  if p["threshold"] == "auto" else np.full(len(classes), float(p["threshold"])))
    report["validation"] = {"split": split, "folds": [list(f) for f in folds],
                            **scores(probs, thresholds),
                            "at_0.5": scores(probs, default)}
    if folds:
        order = np.random.default_rng(seed).permutation(len(frames))
        report["random_frame_split"] = scores(
            out_of_fold([order[i::len(folds)] for i in range(len(folds))]), thresholds)
    if log:
        log(f"validation ({split}): accuracy {report['validation']['accuracy']:.3f}, "
            f"smoothed {report['validation']['accuracy_smoothed']:.3f}")
    t1 = time.perf_counter()
    model = train_on(np.arange(len(frames)))
    model["thresholds"] = [float(t) for t in thresholds]
    report["thresholds"] = dict(zip(classes, model["thresholds"]))
    report["seconds"] = {"embed": round(embed_seconds, 2),  # train_and_save keeps them apart
                         "train": round(time.perf_counter() - t1, 2),
                         "total": round(time.perf_counter() - t0, 2)}
    return model, report


def train_and_save(labels: str | os.PathLike[str], frames_dir: str | os.PathLike[str],
                   out: Path, p: dict[str, Any], seed: int, classes: list[str] | None = None,
                   log: Any = None, runtime: str = DEFAULT_RUNTIME,
                   timings: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read the labels, :func:`fit`, and write ``out/model.safetensors`` and ``out/report.json``.
    The model remembers ``runtime``, so it classifies with the embeddings it learnt from."""
    from gifworthy.screentime.labels import read_labels
    from gifworthy.screentime.model import MODEL_FILE, save_model

    frames, names = read_labels(labels, frames_dir, classes)
    model, report = fit(frames, names, p, seed, log=log or (lambda m: None), runtime=runtime)
    model["runtime"] = runtime
    save_model(model, out / MODEL_FILE)
    write_json(out / "report.json", {k: v for k, v in report.items() if k != "seconds"})
    if timings is not None:  # seconds never go into the cached model folder
        write_json(Path(timings), report["seconds"])
    return report
