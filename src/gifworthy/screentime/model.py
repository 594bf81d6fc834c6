"""The classifier head over image embeddings: training, probabilities, saving, smoothing."""


from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from gifworthy.nets.tensors import load_tensors, save_tensors

__all__ = ["MODEL_FILE", "class_weights", "load_model", "predict_probs", "save_model", "smooth",
           "train_model"]


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
