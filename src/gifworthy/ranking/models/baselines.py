"""Baselines every learned ranker must beat: random scores held constant per segment, a
single feature as the score (``ranking.heuristic_feature``; motion by default: GIFs favour
action), and YouTube's replay heat ("Most replayed") as the score."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from gifworthy.core.fsutil import read_json, write_json
from gifworthy.ranking.data import Video

__all__ = ["HeatRanker", "HeuristicRanker", "RandomRanker", "heuristic_scores",
           "random_scores"]


def random_scores(video: Video, seed: int) -> np.ndarray:
    """One random score per segment (held constant over its frames)."""
    rng = np.random.default_rng([seed, int.from_bytes(video.youtube_id.encode()[:8], "little")])
    return rng.random(len(video.labels))


def heuristic_scores(video: Video, feature: str = "motion_diff_mean") -> np.ndarray:
    """A single feature as the score (motion by default: GIFs favour action)."""
    if feature in video.names:
        return video.features[:, video.names.index(feature)].copy()
    return (video.ends - video.starts).astype(float)  # fall back to segment length


class RandomRanker:
    dim: int | None = None

    def __init__(self, seed: int) -> None:
        self.seed = seed

    @classmethod
    def fit(cls, train: list[Video], val: list[Video], params: dict[str, Any], seed: int, *,
            log: Callable[[int, int, dict[str, float]], None] | None = None) -> "RandomRanker":
        return cls(seed)

    def score(self, video: Video) -> np.ndarray:
        return random_scores(video, self.seed)

    def save(self, directory: Path) -> None:
        write_json(Path(directory) / "random.json", {"seed": self.seed})

    @classmethod
    def load(cls, directory: Path) -> "RandomRanker":
        return cls(int(read_json(Path(directory) / "random.json")["seed"]))


class HeuristicRanker:
    dim: int | None = None

    def __init__(self, feature: str) -> None:
        self.feature = feature

    @classmethod
    def fit(cls, train: list[Video], val: list[Video], params: dict[str, Any], seed: int, *,
            log: Callable[[int, int, dict[str, float]], None] | None = None
            ) -> "HeuristicRanker":
        return cls(params["ranking"]["heuristic_feature"])

    def score(self, video: Video) -> np.ndarray:
        return heuristic_scores(video, self.feature)

    def save(self, directory: Path) -> None:
        write_json(Path(directory) / "heuristic.json", {"feature": self.feature})

    @classmethod
    def load(cls, directory: Path) -> "HeuristicRanker":
        return cls(str(read_json(Path(directory) / "heuristic.json")["feature"]))


class HeatRanker:
    """Rank by replay heat: a segment's mean "Most replayed" value. A video without a
    heatmap gets equal scores (no information: its AP is its GIFs' share of frames)."""

    dim: int | None = None

    @classmethod
    def fit(cls, train: list[Video], val: list[Video], params: dict[str, Any], seed: int, *,
            log: Callable[[int, int, dict[str, float]], None] | None = None) -> "HeatRanker":
        return cls()

    def score(self, video: Video) -> np.ndarray:
        if video.heat is None:
            return np.zeros(len(video.labels))
        return np.asarray(video.heat, dtype=np.float64).copy()

    def save(self, directory: Path) -> None:
        write_json(Path(directory) / "heat.json", {"signal": "heatmap"})

    @classmethod
    def load(cls, directory: Path) -> "HeatRanker":
        read_json(Path(directory) / "heat.json")
        return cls()
