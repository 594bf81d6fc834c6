"""The classifier head over image embeddings: features, training, probabilities, saving,
smoothing.

Two heads (``screentime.head``):

- ``pooled``: a small MLP over the frame's one 1280-d embedding (the frame squeezed to
  224x224, the last conv layer averaged). A 50-pixel mouse is a few per cent of that
  average; on new footage the background decides.
- ``cells``: a linear classifier over every cell of the last conv layer (7x7 per 224x224
  tile, the frame's shape kept), a character's score being its best cell's: multiple-
  instance learning, since a label says a character is in the frame, not where. Two things
  keep it from learning the backgrounds of the labelled videos: *mosaic negatives*, bags of
  cells drawn from frames with no character (labelled nothing, so no background cell may
  fire), and dropout on each cell's inputs, done as its Gaussian approximation (Wang and
  Manning, "Fast dropout training", ICML 2013): the mean and variance of a linear unit
  under dropout are two matrix products. Sampling a mask for every input of every cell
  took 3.3 times as long here at the same settings (230 s a fit against 70 s), for no
  better held-out accuracy.
"""


from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from gifworthy.nets.runtime import DEFAULT_RUNTIME
from gifworthy.nets.tensors import load_tensors, save_tensors

__all__ = ["MODEL_FILE", "class_weights", "image_features", "load_model", "pad_cells",
           "predict_probs", "save_model", "smooth", "train_model"]


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
# Features
# ---------------------------------------------------------------------------------------------
def image_features(images: Sequence[np.ndarray], head: str, runtime: str = DEFAULT_RUNTIME
                   ) -> np.ndarray:
    """What ``head`` classifies, for RGB images already at :func:`frames.model_size`:
    (N, 1280) embeddings (``pooled``), or (N, cells, 1280) for ``cells``. Images of other
    shapes give other numbers of cells; the shorter bags repeat their first cell, which
    leaves the best cell, and so the score, unchanged."""
    from gifworthy.features.backbones import cell_features, embed_images
    from gifworthy.screentime.frames import tiles

    if head == "pooled":
        if len(images) == 0:
            return np.zeros((0, 1280), np.float32)
        return embed_images(np.stack(list(images)), runtime=runtime)
    if len(images) == 0:
        return np.zeros((0, 49, 1280), np.float32)
    per_image = [tiles(image) for image in images]
    cells = cell_features(np.concatenate(per_image), runtime=runtime)
    bounds = np.cumsum([0] + [len(t) for t in per_image])
    bags = [cells[a:b].reshape(-1, cells.shape[2]) for a, b in zip(bounds[:-1], bounds[1:])]
    return pad_cells(bags, max(len(b) for b in bags))


def pad_cells(bags: Sequence[np.ndarray], cells: int) -> np.ndarray:
    """(N, ``cells``, D) from bags of (cells_i, D): each shorter bag repeats its first cell,
    which leaves its best cell (the ``cells`` head's score) unchanged."""
    out = np.empty((len(bags), cells, bags[0].shape[-1] if len(bags) else 0), np.float32)
    for i, bag in enumerate(bags):
        out[i, :len(bag)] = bag
        out[i, len(bag):] = bag[0]
    return out


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
    """Fit the head on features ``x`` ((N, D) embeddings, or (N, cells, D) for the ``cells``
    head) and 0/1 ``targets`` (N, C); returns a model dict (weights, standardization,
    settings). Deterministic given ``seed``."""
    import torch

    head = p.get("head", "pooled")
    settings = {"head": head, "hidden": int(p["hidden"]), "dropout": float(p["dropout"]),
                "thresholds": [0.5] * targets.shape[1],
                "smooth_seconds": int(p["smooth_seconds"]), "fps": float(p["fps"]),
                "backbone": "efficientnet-lite0"}
    if head == "cells":
        return {**_train_cells(x, targets, p, seed), **settings}
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
            "std": torch.from_numpy(std.astype(np.float32)), **settings}


def _train_cells(x: np.ndarray, targets: np.ndarray, p: dict[str, Any], seed: int
                 ) -> dict[str, Any]:
    """The ``cells`` head: a class's logit is its best cell's ``w . cell + b``; trained with
    BCE (positives weighted as in :func:`class_weights`), fast dropout on the cells' inputs
    and ``p['mosaic_negatives']`` bags of no-character cells in every epoch."""
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    n, cells, dim = x.shape
    flat = x.reshape(-1, dim)
    mean = flat.mean(axis=0, dtype=np.float64).astype(np.float32)
    std = (flat.std(axis=0, dtype=np.float64) + 1e-6).astype(np.float32)
    xs = torch.from_numpy((x - mean) / std)
    squares = xs * xs  # the variance under dropout needs them in every step
    ys = torch.from_numpy(targets.astype(np.float32))
    net = torch.nn.Linear(dim, targets.shape[1])
    loss_fn = torch.nn.BCEWithLogitsLoss(
        pos_weight=torch.from_numpy(class_weights(targets).astype(np.float32)))
    opt = torch.optim.AdamW(net.parameters(), lr=p["lr"], weight_decay=p["weight_decay"])
    gen = torch.Generator().manual_seed(seed)
    negatives = np.flatnonzero(targets.sum(axis=1) == 0)
    mosaics = int(p.get("mosaic_negatives", 0)) if len(negatives) else 0
    keep = 1.0 - float(p["dropout"])
    batch = max(1, p["batch"])
    for _ in range(p["epochs"]):
        # Mosaic bag j takes cell i from frame source[j, i], position spot[j, i].
        source = torch.from_numpy(rng.choice(negatives, size=(mosaics, cells)) if mosaics
                                  else np.zeros((0, cells), np.int64))
        spot = torch.from_numpy(rng.integers(0, cells, size=(mosaics, cells)))
        order = torch.randperm(n + mosaics, generator=gen)
        for i in range(0, n + mosaics, batch):
            sel = order[i:i + batch]
            real, fake = sel[sel < n], sel[sel >= n] - n
            xb = torch.cat([xs[real], xs[source[fake], spot[fake]]])
            sq = torch.cat([squares[real], squares[source[fake], spot[fake]]])
            yb = torch.cat([ys[real], ys.new_zeros((len(fake), ys.shape[1]))])
            mu = net(xb)
            var = sq @ (net.weight * net.weight).t() * ((1.0 - keep) / keep)
            logits = (mu + var.clamp_min(1e-12).sqrt() * torch.randn(mu.shape, generator=gen)
                      ).amax(dim=1)
            opt.zero_grad()
            loss_fn(logits, yb).backward()
            opt.step()
    return {"state_dict": {k: v.detach().clone() for k, v in net.state_dict().items()},
            "mean": torch.from_numpy(mean), "std": torch.from_numpy(std)}


def predict_probs(model: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """Per-frame probability of each class, (N, C), from :func:`image_features`' output."""
    import torch

    if len(x) == 0:
        return np.zeros((0, len(model["classes"])), np.float32)
    mean, std = model["mean"].numpy(), model["std"].numpy()
    if model.get("head", "pooled") == "cells":
        weight, bias = (model["state_dict"][k].numpy() for k in ("weight", "bias"))
        logits = (((x - mean) / std) @ weight.T + bias).max(axis=1)
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
    net = _head(len(mean), len(model["classes"]), model["hidden"], model["dropout"])
    net.load_state_dict(model["state_dict"])
    net.eval()
    with torch.inference_mode():
        return torch.sigmoid(net(torch.from_numpy(((x - mean) / std).astype(np.float32)))).numpy()


MODEL_FILE = "model.safetensors"


def save_model(model: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """The classifier head's weights, the embedding scaler, and its settings (classes,
    thresholds, fps, runtime...) as metadata, in a file whose bytes depend only on them."""
    tensors = {f"head.{k}": v for k, v in model["state_dict"].items()}
    tensors.update(mean=model["mean"], std=model["std"])
    meta = {k: v for k, v in model.items() if k not in ("state_dict", "mean", "std")}
    save_tensors(path, tensors, meta)


def load_model(path: str | os.PathLike[str]) -> dict[str, Any]:
    import torch

    path = Path(path)
    if path.is_dir():
        path = path / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no screen-time model (train one with "
                                "`gifworthy screentime train`)")
    arrays, meta = load_tensors(path)
    if "classes" not in meta or "mean" not in arrays:
        raise ValueError(f"{path}: not a screen-time model")
    model = dict(meta)
    model["state_dict"] = {k[len("head."):]: torch.from_numpy(v.copy())
                           for k, v in arrays.items() if k.startswith("head.")}
    model["mean"], model["std"] = (torch.from_numpy(arrays[k].copy()) for k in ("mean", "std"))
    return model
