"""The Video2GIF robust RankNet: features -> 512 -> 128 -> 1 (ReLU, dropout), trained on
within-video pairs with l1, l2, Huber or the adaptive Huber loss (delta + the GIF's
normalised popularity), Nesterov SGD, weight decay and step decay; an ensemble of
``ranknet.models`` nets from different seeds, whose mean is the score."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable

import numpy as np

from gifworthy.nets.tensors import load_tensors, save_tensors
from gifworthy.ranking.data import Scaler, Video, make_pairs
from gifworthy.segments import NEGATIVE, POSITIVE

__all__ = ["LOSSES", "WEIGHTS_FILE", "RankNet", "ranking_loss", "train_ranknet"]

WEIGHTS_FILE = "ranknet.safetensors"


LOSSES = ("l1", "l2", "huber", "adaptive_huber")


def ranking_loss(u: Any, kind: str, delta: float, popularity: Any = None) -> Any:
    """Loss on u = 1 - h(s+) + h(s-) (torch tensors): l1 = max(0, u), l2 = max(0, u)^2,
    huber = quadratic up to delta and linear beyond, adaptive_huber with delta + popularity."""
    import torch

    u = torch.clamp(u, min=0.0)
    if kind == "l1":
        return u
    if kind == "l2":
        return u * u
    if kind in ("huber", "adaptive_huber"):
        d = delta + (popularity if kind == "adaptive_huber" else 0.0)
        return torch.where(u <= d, 0.5 * u * u, d * (u - 0.5 * d))
    raise ValueError(f"unknown loss {kind!r}; choose from {LOSSES}")


def _network(d: int, dropout: float) -> Any:
    import torch.nn as nn

    return nn.Sequential(nn.Linear(d, 512), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(512, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, 1))


def train_ranknet(train: list[Video], val: list[Video], params: dict[str, Any], seed: int, *,
                  log: Callable[[int, int, dict[str, float]], None] | None = None
                  ) -> RankNet:
    """Train ``params["models"]`` RankNets (seeds ``seed``, ``seed + 1``...), each with
    Nesterov SGD, weight decay and step decay, on pairs re-sampled every epoch.
    ``log(model, epoch, values)`` receives the train loss and validation pair accuracy."""
    import torch

    scaler = Scaler.fit(train)
    x_train = [torch.from_numpy(scaler(v.features).astype(np.float32)) for v in train]
    x_val = [torch.from_numpy(scaler(v.features).astype(np.float32)) for v in val]
    dim = train[0].features.shape[1]
    states = []
    for m in range(int(params["models"])):
        model_seed = seed + m
        torch.manual_seed(model_seed)
        rng = np.random.default_rng(model_seed)
        net = _network(dim, params["dropout"])
        opt = torch.optim.SGD(net.parameters(), lr=params["lr"], momentum=params["momentum"],
                              nesterov=True, weight_decay=params["weight_decay"])
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=params["lr_step_epochs"],
                                                gamma=params["lr_gamma"])
        for epoch in range(int(params["epochs"])):
            net.train()
            pairs = make_pairs(train, int(params["negatives_per_positive"]), rng)
            order = rng.permutation(len(pairs))
            total, count = 0.0, 0
            for b in range(0, len(order), int(params["batch_pairs"])):
                batch = [pairs[i] for i in order[b:b + int(params["batch_pairs"])]]
                pos = torch.stack([x_train[vi][p] for vi, p, _, _ in batch])
                neg = torch.stack([x_train[vi][n] for vi, _, n, _ in batch])
                pop = torch.tensor([q for *_, q in batch], dtype=torch.float32)
                u = 1.0 - net(pos)[:, 0] + net(neg)[:, 0]
                loss = ranking_loss(u, params["loss"], params["huber_delta"], pop).mean()
                opt.zero_grad()
                loss.backward()
                # The squared loss is unbounded: one bad pair early in training can blow the
                # weights up (NaN scores with l2 at lr 0.01); clipping keeps every loss stable.
                torch.nn.utils.clip_grad_norm_(net.parameters(), params["max_grad_norm"])
                opt.step()
                total += float(loss.detach()) * len(batch)
                count += len(batch)
            sched.step()
            if log is not None:
                log(m, epoch, {"train_loss": total / max(count, 1),
                               "val_pair_accuracy": _pair_accuracy(net, val, x_val)})
        states.append({k: v.detach().clone() for k, v in net.state_dict().items()})
    return RankNet(scaler, states, dim, params["dropout"])


def _pair_accuracy(net: Any, videos: list[Video], xs: list[Any]) -> float:
    import torch

    net.eval()
    right = total = 0
    with torch.inference_mode():
        for v, x in zip(videos, xs):
            s = net(x)[:, 0].numpy()
            pos, neg = s[v.labels == POSITIVE], s[v.labels == NEGATIVE]
            right += int((pos[:, None] > neg[None, :]).sum())
            total += len(pos) * len(neg)
    return right / total if total else float("nan")


@dataclasses.dataclass
class RankNet:
    """N RankNets from different seeds; the score of a segment is their mean."""

    scaler: Scaler
    states: list[dict[str, Any]]
    dim: int | None
    dropout: float

    @classmethod
    def fit(cls, train: list[Video], val: list[Video], params: dict[str, Any], seed: int, *,
            log: Callable[[int, int, dict[str, float]], None] | None = None) -> "RankNet":
        return train_ranknet(train, val, params["ranknet"], seed, log=log)

    def score(self, video: Video) -> np.ndarray:
        return self.score_features(video.features)

    def score_features(self, features: np.ndarray) -> np.ndarray:
        import torch

        x = torch.from_numpy(self.scaler(features).astype(np.float32))
        out = np.zeros(len(features))
        for state in self.states:
            net = _network(int(self.dim or 0), self.dropout)
            net.load_state_dict(state)
            net.eval()
            with torch.inference_mode():
                out += net(x)[:, 0].numpy()
        return out / max(len(self.states), 1)

    def save(self, directory: Path) -> None:
        """``ranknet.safetensors``: every ensemble member's weights and the feature scaler
        (bytes that depend only on them, so a retraining with the same inputs is a no-op
        for DVC)."""
        directory.mkdir(parents=True, exist_ok=True)
        tensors = {f"net{i}.{name}": value for i, state in enumerate(self.states)
                   for name, value in state.items()}
        tensors.update({"scaler.mean": np.asarray(self.scaler.mean, np.float64),
                        "scaler.std": np.asarray(self.scaler.std, np.float64)})
        save_tensors(directory / WEIGHTS_FILE, tensors,
                     {"nets": len(self.states), "dim": self.dim, "dropout": self.dropout})

    @classmethod
    def load(cls, directory: Path) -> "RankNet":
        import torch

        arrays, meta = load_tensors(Path(directory) / WEIGHTS_FILE)
        states = [{name.split(".", 1)[1]: torch.from_numpy(value.copy())
                   for name, value in arrays.items() if name.startswith(f"net{i}.")}
                  for i in range(int(meta["nets"]))]
        return cls(Scaler(arrays["scaler.mean"], arrays["scaler.std"]), states, meta["dim"],
                   meta["dropout"])
