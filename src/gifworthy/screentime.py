"""Screen time: how many seconds each character is on screen, from a few labelled frames.

One frame a second is embedded by a pretrained image model (EfficientNet-Lite0, shipped in a
package); a small head with one sigmoid output per character is trained on hand-labelled
frames, with class weights for rare characters. Several characters in one frame are several
labels; a frame with none of them is "none". Per-second probabilities are smoothed over time
before thresholding, and the seconds are summed.

Why a classic version of this project fell from 88% on validation to 64% on a new episode:
it validated on random frames of the training episodes, whose neighbours (near-identical
frames) were in the training set. Here validation holds out whole videos (leave one video
out), so the reported accuracy is what a new video will see; training frames are augmented
(flip, crop, colour) so the head leans less on one episode's look.

Labels CSV: a header with ``frame`` and ``label`` (or ``labels``) columns, and optionally
``video``. ``frame`` is a path relative to the frames directory; ``label`` is a class, several
classes joined by ``;`` (or ``+``/``|``), or ``none``. Repeated rows of one frame are merged.
The video of a frame is its ``video`` cell, else its first folder (``ep1/000012.jpg``), else
the name before its trailing number (``ep1_0012.jpg``).
"""

from __future__ import annotations

import csv
import dataclasses
import os
import re
import subprocess
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from .fsutil import atomic_dir, atomic_path, csv_text, write_json, write_text
from .media import MediaError, probe

__all__ = ["NONE", "LabelError", "LabelledFrame", "read_labels", "extract_frames",
           "video_frames", "load_frame", "augment", "smooth", "train_model", "save_model",
           "load_model", "predict_probs", "screen_seconds", "run_video",
           "accuracy", "timeline_png", "read_truth", "evaluate_video", "fit",
           "iter_videos"]

NONE = "none"
IMAGE_SIZE = 224
_SEPARATORS = re.compile(r"[;+|]")
_CLASS_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")
_TRAILING_NUMBER = re.compile(r"^(.*?)[_\-. ]?(\d+)$")
MAX_REPORTED_ERRORS = 20


class LabelError(ValueError):
    """The labels cannot be used; the message names the file and lines."""


@dataclasses.dataclass(frozen=True)
class LabelledFrame:
    path: Path
    video: str
    second: int | None  # the frame's number, when its name ends in one (temporal order)
    labels: frozenset[str]  # empty = none of the characters
    line: int


# ---------------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------------
def _frame_video(rel: Path) -> tuple[str, int | None]:
    match = _TRAILING_NUMBER.match(rel.stem)
    number = int(match.group(2)) if match else None
    if len(rel.parts) > 1:
        return rel.parts[0], number
    prefix = match.group(1) if match else rel.stem
    return prefix or "frames", number


def read_labels(labels_csv: str | os.PathLike[str], frames_dir: str | os.PathLike[str],
                classes: Sequence[str] | None = None
                ) -> tuple[list[LabelledFrame], list[str]]:
    """Labelled frames and the sorted class list (``none`` excluded).

    Every problem is collected and raised at once as :class:`LabelError`, each naming the CSV
    and its line: a missing column, a frame path outside ``frames_dir`` or not found, an empty
    or malformed label, ``none`` mixed with a class, a class outside ``classes`` (when given),
    and a class of ``classes`` that no frame shows.
    """
    labels_csv, frames_dir = Path(labels_csv), Path(frames_dir)
    root = frames_dir.resolve()
    errors: list[str] = []
    merged: dict[Path, dict[str, Any]] = {}
    try:
        fh = open(labels_csv, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise LabelError(f"{labels_csv}: cannot read labels ({exc.strerror})") from None
    with fh:
        reader = csv.DictReader(fh)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        reader.fieldnames = header
        label_col = "label" if "label" in header else "labels" if "labels" in header else None
        if "frame" not in header or label_col is None:
            raise LabelError(f"{labels_csv}:1: need columns 'frame' and 'label' "
                             f"(found {', '.join(header) or 'no header'})")
        for row in reader:
            line = reader.line_num
            frame = (row.get("frame") or "").strip()
            cell = (row.get(label_col) or "").strip()
            if not frame:
                errors.append(f"{labels_csv}:{line}: empty frame path")
                continue
            rel = Path(frame)
            target = (frames_dir / rel).resolve()
            if rel.is_absolute() or not target.is_relative_to(root):
                errors.append(f"{labels_csv}:{line}: frame {frame!r} is outside {frames_dir}")
                continue
            if not target.is_file():
                errors.append(f"{labels_csv}:{line}: frame {frame!r} not found in {frames_dir}")
                continue
            names = [n.strip() for n in _SEPARATORS.split(cell)] if cell else []
            if not names or any(not n for n in names):
                errors.append(f"{labels_csv}:{line}: empty label for {frame!r} "
                              f"(write '{NONE}' for a frame without any character)")
                continue
            bad = [n for n in names if not _CLASS_NAME.match(n)]
            if bad:
                errors.append(f"{labels_csv}:{line}: malformed class name {bad[0]!r}")
                continue
            lowered = {n.lower() for n in names}
            if NONE in lowered and len(lowered) > 1:
                errors.append(f"{labels_csv}:{line}: '{NONE}' cannot be combined with "
                              f"{', '.join(sorted(lowered - {NONE}))} for {frame!r}")
                continue
            if classes is not None:
                unknown = sorted(lowered - {NONE} - {c.lower() for c in classes})
                if unknown:
                    errors.append(f"{labels_csv}:{line}: unknown class {unknown[0]!r} "
                                  f"(classes: {', '.join(classes)})")
                    continue
            entry = merged.setdefault(target, {"rel": rel, "labels": set(), "line": line,
                                               "video": (row.get("video") or "").strip(),
                                               "none": False})
            entry["none"] |= lowered == {NONE}
            entry["labels"] |= lowered - {NONE}
            if entry["none"] and entry["labels"]:
                errors.append(f"{labels_csv}:{line}: {frame!r} is labelled both '{NONE}' and "
                              f"{', '.join(sorted(entry['labels']))} (line {entry['line']})")
    found = sorted({c for e in merged.values() for c in e["labels"]})
    wanted = sorted(c.lower() for c in classes) if classes is not None else found
    if not errors:
        empty = [c for c in wanted if c not in found]
        if empty:
            errors.append(f"{labels_csv}: class {empty[0]!r} has no labelled frame"
                          + (f" (nor {', '.join(empty[1:])})" if len(empty) > 1 else ""))
        elif not merged:
            errors.append(f"{labels_csv}: no labelled frames")
        elif not found:
            errors.append(f"{labels_csv}: every frame is '{NONE}'; label at least one character")
    if errors:
        more = len(errors) - MAX_REPORTED_ERRORS
        raise LabelError("\n".join(errors[:MAX_REPORTED_ERRORS]
                                   + ([f"... and {more} more"] if more > 0 else [])))
    frames = []
    for target, e in merged.items():
        video, number = _frame_video(e["rel"])
        frames.append(LabelledFrame(target, e["video"] or video, number,
                                    frozenset(e["labels"]), e["line"]))
    frames.sort(key=lambda f: (f.video, f.second if f.second is not None else -1, str(f.path)))
    return frames, wanted


# ---------------------------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------------------------
def extract_frames(video: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
                   fps: float = 1.0, max_width: int = 640) -> Path:
    """One JPEG a second (``fps``) of ``video`` in ``out_dir/<video stem>/000000.jpg`` ... for
    labelling. The folder appears complete or not at all (written beside it, then renamed)."""
    video = Path(video)
    target = Path(out_dir) / video.stem
    with atomic_dir(target) as tmp:
        cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(video), "-an",
               "-vf", f"{_sampling(fps)},scale='min({max_width},iw)':-2:flags=area",
               "-q:v", "2", "-start_number", "0", str(tmp / "%06d.jpg")]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            last = proc.stderr.strip().splitlines()
            raise MediaError(f"{video}: {last[-1] if last else 'cannot decode'}")
    return target


def _square(image: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.resize(image, (IMAGE_SIZE, IMAGE_SIZE), interpolation=cv2.INTER_AREA)


def load_frame(path: str | os.PathLike[str]) -> np.ndarray:
    """A labelled frame as the model sees it: RGB, squeezed to 224x224 (area filter, as
    ffmpeg does for videos at run time)."""
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise LabelError(f"{path}: not a readable image")
    return _square(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))


def _sampling(fps: float) -> str:
    # round=up keeps the frame shown at each whole second (t = 0, 1, 2 ...); ffmpeg's
    # round=down would keep the last frame before the next second instead.
    return f"fps={fps:g}:round=up"


def video_frames(video: str | os.PathLike[str], fps: float = 1.0, *, chunk: int = 64
                 ) -> Iterator[np.ndarray]:
    """Frames at ``fps`` as the model sees them ((n, 224, 224, 3) RGB chunks), streamed from
    one ffmpeg decode so an hour-long episode never sits in memory whole."""
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(video), "-an", "-vf",
           f"{_sampling(fps)},scale={IMAGE_SIZE}:{IMAGE_SIZE}:flags=area,format=rgb24",
           "-f", "rawvideo", "-"]
    size = IMAGE_SIZE * IMAGE_SIZE * 3
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        while True:
            data = proc.stdout.read(size * chunk)
            if len(data) >= size:
                n = len(data) // size
                yield np.frombuffer(data[:n * size], np.uint8).reshape(n, IMAGE_SIZE, IMAGE_SIZE, 3)
            if len(data) < size * chunk:
                break
        err = proc.stderr.read().decode("utf-8", "replace").strip().splitlines()
        if proc.wait() != 0:
            raise MediaError(f"{video}: {err[-1] if err else 'cannot decode'}")


def augment(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A plausible other view of a frame: mirrored, cropped to 75-100% and rescaled, with
    brightness, contrast and colour balance moved by up to 20%."""
    import cv2

    h, w = frame.shape[:2]
    out = frame[:, ::-1] if rng.random() < 0.5 else frame
    scale = rng.uniform(0.75, 1.0)
    ch, cw = int(h * scale), int(w * scale)
    y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
    out = cv2.resize(np.ascontiguousarray(out[y:y + ch, x:x + cw]), (w, h),
                     interpolation=cv2.INTER_LINEAR).astype(np.float32)
    gain = rng.uniform(0.8, 1.2) * rng.uniform(0.9, 1.1, size=3)
    out = (out - out.mean()) * rng.uniform(0.8, 1.2) + out.mean()
    return np.clip(out * gain + rng.uniform(-20, 20), 0, 255).astype(np.uint8)


def smooth(probs: np.ndarray, seconds: int) -> np.ndarray:
    """Centred moving average of (T, C) per-second probabilities over ``seconds`` (odd; 1 =
    none). A character on screen for one isolated second between long absences is more often
    a misclassified frame than a cut-in, and one missed second inside a long presence more
    often a pose the model has not seen."""
    if seconds <= 1 or len(probs) == 0:
        return probs
    half = seconds // 2
    padded = np.concatenate([np.zeros((1, probs.shape[1])), np.cumsum(probs, axis=0)])
    idx = np.arange(len(probs))
    lo, hi = np.maximum(idx - half, 0), np.minimum(idx + half + 1, len(probs))
    return (padded[hi] - padded[lo]) / (hi - lo)[:, None]


# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------
def _head(n_in: int, n_out: int, hidden: int, dropout: float) -> Any:
    from torch import nn

    if hidden <= 0:
        return nn.Linear(n_in, n_out)
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(hidden, n_out))


def class_weights(targets: np.ndarray) -> np.ndarray:
    """Positive weight per class (negatives / positives, capped at 50): a character seen in 5%
    of frames counts as much as one seen in half of them."""
    pos = targets.sum(axis=0)
    neg = len(targets) - pos
    return np.clip(neg / np.maximum(pos, 1), 1.0, 50.0)


def train_model(x: np.ndarray, targets: np.ndarray, p: dict[str, Any], seed: int
                ) -> dict[str, Any]:
    """Fit the head on embeddings ``x`` (N, D) and 0/1 ``targets`` (N, C); returns a model dict
    (weights, standardization, settings). Deterministic given ``seed``."""
    import torch

    torch.manual_seed(seed)
    mean = x.mean(axis=0)
    std = x.std(axis=0) + 1e-6
    xs = torch.from_numpy(((x - mean) / std).astype(np.float32))
    ys = torch.from_numpy(targets.astype(np.float32))
    net = _head(x.shape[1], targets.shape[1], p["hidden"], p["dropout"])
    loss_fn = torch.nn.BCEWithLogitsLoss(
        pos_weight=torch.from_numpy(class_weights(targets).astype(np.float32)))
    opt = torch.optim.AdamW(net.parameters(), lr=p["lr"], weight_decay=p["weight_decay"])
    gen = torch.Generator().manual_seed(seed)
    batch = max(1, p["batch"])
    net.train()
    for _ in range(p["epochs"]):
        order = torch.randperm(len(xs), generator=gen)
        for i in range(0, len(xs), batch):
            sel = order[i:i + batch]
            opt.zero_grad()
            loss_fn(net(xs[sel]), ys[sel]).backward()
            opt.step()
    net.eval()
    return {"state_dict": {k: v.detach().clone() for k, v in net.state_dict().items()},
            "mean": torch.from_numpy(mean.astype(np.float32)),
            "std": torch.from_numpy(std.astype(np.float32)),
            "hidden": int(p["hidden"]), "dropout": float(p["dropout"]),
            "thresholds": [0.5] * targets.shape[1], "smooth_seconds": int(p["smooth_seconds"]),
            "fps": float(p["fps"]), "backbone": "efficientnet-lite0"}


def predict_probs(model: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """Per-frame probability of each class, (N, C)."""
    import torch

    if len(x) == 0:
        return np.zeros((0, len(model["classes"])), np.float32)
    mean, std = model["mean"].numpy(), model["std"].numpy()
    net = _head(len(mean), len(model["classes"]), model["hidden"], model["dropout"])
    net.load_state_dict(model["state_dict"])
    net.eval()
    with torch.inference_mode():
        return torch.sigmoid(net(torch.from_numpy(((x - mean) / std).astype(np.float32)))).numpy()


def save_model(model: dict[str, Any], path: str | os.PathLike[str]) -> None:
    import torch

    with atomic_path(path) as tmp:
        torch.save(model, tmp)


def load_model(path: str | os.PathLike[str]) -> dict[str, Any]:
    import torch

    path = Path(path)
    if path.is_dir():
        path = path / "model.pt"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no screen-time model (train one with "
                                "`gifworthy screentime train`)")
    model = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(model, dict) or "classes" not in model or "state_dict" not in model:
        raise ValueError(f"{path}: not a screen-time model")
    return model


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


def accuracy(pred: np.ndarray, truth: np.ndarray) -> float:
    """Share of seconds whose whole label set (every character, or none) is right."""
    if len(truth) == 0:
        return float("nan")
    return float((pred == truth).all(axis=1).mean())


def run_video(video: str | os.PathLike[str], model: dict[str, Any], out_dir: str | os.PathLike[str],
              *, truth: np.ndarray | None = None) -> dict[str, Any]:
    """Classify every second of ``video``; write ``seconds.json``, ``seconds.csv``,
    ``timeline.csv`` and ``timeline.png`` (with the true seconds under the bars when ``truth``
    is given) into ``out_dir``; return the summary with the per-second arrays."""
    from .backbones import embed_images

    out_dir = Path(out_dir)
    classes = list(model["classes"])
    info = probe(video)
    chunks = [predict_probs(model, embed_images(frames))
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


_PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
            (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def _spans(on: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs of a 1-d boolean array."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(int), [0]])))
    return list(zip(edges[::2], edges[1::2]))


def timeline_png(on_screen: np.ndarray, classes: Sequence[str], fps: float,
                 out: str | os.PathLike[str], *, title: str = "",
                 probs: np.ndarray | None = None, truth: np.ndarray | None = None) -> None:
    """A timeline: one row per character, a bar where it is on screen (the smoothed
    probability drawn over it, the true seconds as a thin line under it when given)."""
    from PIL import Image, ImageDraw, ImageFont

    n = len(on_screen)
    font = ImageFont.load_default()
    label_w, row_h, pad, top = 110, 34, 12, 34
    width = label_w + max(600, min(2400, 4 * n)) + pad
    plot_w = width - label_w - pad
    height = top + row_h * max(1, len(classes)) + 40
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    secs = n / fps if fps else 0
    draw.text((pad, 8), title or "screen time", fill="black", font=font)

    def x_of(i: float) -> float:
        return label_w + plot_w * (i / max(n, 1))

    for r, name in enumerate(classes):
        y0 = top + r * row_h
        colour = _PALETTE[r % len(_PALETTE)]
        total = on_screen[:, r].sum() / fps if n else 0
        draw.text((pad, y0 + 10), f"{name} {total:.0f}s", fill="black", font=font)
        draw.rectangle([label_w, y0 + 4, label_w + plot_w, y0 + row_h - 6], fill=(242, 242, 242))
        for a, b in _spans(on_screen[:, r]):
            draw.rectangle([x_of(a), y0 + 4, x_of(b), y0 + row_h - 6], fill=colour)
        if probs is not None and n:
            pts = [(x_of(i + 0.5), y0 + row_h - 6 - (row_h - 10) * float(probs[i, r]))
                   for i in range(n)]
            draw.line(pts, fill=(40, 40, 40), width=1)
        if truth is not None:
            for a, b in _spans(truth[:, r]):
                draw.rectangle([x_of(a), y0 + row_h - 4, x_of(b), y0 + row_h - 2], fill="black")
    axis_y = top + row_h * max(1, len(classes)) + 4
    step = next(s for s in (1, 5, 10, 30, 60, 300, 600, 1800, 3600, 10 ** 9)
                if secs / s <= 12)
    for s in np.arange(0, secs + 1e-9, step):
        x = x_of(s * fps)
        draw.line([(x, axis_y), (x, axis_y + 4)], fill="black")
        draw.text((x - 8, axis_y + 6), f"{int(s // 60)}:{int(s % 60):02d}", fill="black", font=font)
    with atomic_path(out) as tmp:
        img.save(tmp, format="PNG")


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
        embed: Any = None, log: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate by video (``p['folds']`` folds of whole videos, one per video when fewer), tune per-class
    thresholds on those out-of-fold predictions (``p['threshold']`` = ``auto``), then train
    the final model on every labelled frame. Returns (model, report).

    The report also scores the same number of folds over random frames: the figure a random
    split would have claimed, which neighbouring near-identical frames inflate."""
    import time

    from .backbones import embed_images

    embed = embed or embed_images
    t0 = time.perf_counter()
    images = np.stack([load_frame(f.path) for f in frames])
    x = embed(images)
    rng = np.random.default_rng(seed)
    copies = [embed(np.stack([augment(im, rng) for im in images]))
              for _ in range(p["augment_copies"])]
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
    thresholds = (tune_thresholds(probs, truth, frames, p["smooth_seconds"]) if p["threshold"] == "auto"
                  else np.full(len(classes), float(p["threshold"])))
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
    report["seconds"] = {"embed": round(embed_seconds, 2),
                         "train": round(time.perf_counter() - t1, 2),
                         "total": round(time.perf_counter() - t0, 2)}
    return model, report


# ---------------------------------------------------------------------------------------------
# Ground truth (the sample corpus, or a user's fully labelled video)
# ---------------------------------------------------------------------------------------------
def read_truth(path: str | os.PathLike[str], classes: Sequence[str]) -> dict[str, np.ndarray]:
    """``video,second,labels`` rows -> {video: (T, C) booleans}, seconds in order."""
    rows: dict[str, dict[int, set[str]]] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for n, row in enumerate(csv.DictReader(fh), start=2):
            try:
                second = int(row["second"])
            except (KeyError, TypeError, ValueError):
                raise LabelError(f"{path}:{n}: bad second {row.get('second')!r}") from None
            names = {x.strip().lower() for x in _SEPARATORS.split(row.get("labels") or "")} - {
                "", NONE}
            rows.setdefault(row["video"], {})[second] = names
    out = {}
    for video, seconds in rows.items():
        n = max(seconds) + 1 if seconds else 0
        out[video] = np.array([[c in seconds.get(s, set()) for c in classes] for s in range(n)],
                              dtype=bool).reshape(n, len(classes))
    return out


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


def iter_videos(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Video files named directly or found in named folders (sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(q for q in p.iterdir()
                          if q.suffix.lower() in {".mp4", ".mkv", ".webm", ".avi", ".mov"})
        else:
            out.append(p)
    return out
