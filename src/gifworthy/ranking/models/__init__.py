"""Rankers: one protocol (fit on training videos, score a video's segments, save to and load
from a folder) and the registry that is the single source of their names (``ranking.methods``
in params.yaml; a test holds the schema's enum to it). Adding a ranker is one module in this
package with a class like :class:`gifworthy.ranking.models.baselines.RandomRanker` and one
line in :data:`RANKERS`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np

from gifworthy.core.registry import load
from gifworthy.ranking.data import Video

__all__ = ["RANKERS", "Ranker", "get_ranker", "model_dir"]

RANKERS: dict[str, str] = {
    "ranknet": "gifworthy.ranking.models.ranknet:RankNet",
    "lightgbm": "gifworthy.ranking.models.gbdt:LightGBMRanker",
    "heuristic": "gifworthy.ranking.models.baselines:HeuristicRanker",
    "random": "gifworthy.ranking.models.baselines:RandomRanker",
    "heat": "gifworthy.ranking.models.baselines:HeatRanker",
}


class Ranker(Protocol):
    """A trained ranker. ``dim`` is the feature count it expects (None: any)."""

    dim: int | None

    @classmethod
    def fit(cls, train: list[Video], val: list[Video], params: dict[str, Any], seed: int, *,
            log: Callable[[int, int, dict[str, float]], None] | None = None) -> "Ranker": ...

    def score(self, video: Video) -> np.ndarray: ...

    def save(self, directory: Path) -> None: ...

    @classmethod
    def load(cls, directory: Path) -> "Ranker": ...


def get_ranker(name: str) -> type[Ranker]:
    return load(RANKERS, name, "ranker")


def model_dir(models: Path, method: str, seed: int) -> Path:
    """Where the ranker ``method`` trained with ``seed`` is saved."""
    return Path(models) / method / f"seed{seed}"
