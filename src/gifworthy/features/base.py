"""What every extractor is: the frame streams it needs and a function of an
:class:`ExtractorContext` to one row per segment, plus the pooling they share."""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

import numpy as np

from gifworthy.core.errors import GifworthyError
from gifworthy.media.decode import Stream
from gifworthy.nets.runtime import DEFAULT_RUNTIME

__all__ = ["Extractor", "ExtractorContext", "FeatureError", "frame_times", "pool_rows"]


class FeatureError(GifworthyError, RuntimeError):
    """An extractor cannot run (missing weights, unknown name)."""


@dataclasses.dataclass
class ExtractorContext:
    """One video's decoded streams (by stream name), its segments (rows of the segment
    table), the ``features`` params, frame rate and count, what the manifest and the shots
    stage know of it, and the inference runtime."""

    streams: dict[str, np.ndarray]
    segments: list[dict[str, Any]]
    params: dict[str, Any]
    fps: float
    n_frames: int
    transnet_per_second: np.ndarray | None = None
    category: str = ""
    title: str = ""
    # The inference runtime of the extractor's network, if it has one (inference.runtime).
    runtime: str = DEFAULT_RUNTIME


class Extractor(Protocol):
    """One feature extractor (see :mod:`gifworthy.features.registry`)."""

    def streams(self, params: dict[str, Any], width: int, height: int) -> dict[str, Stream]:
        """The frame streams it reads, by name (merged with the others' into one decode)."""
        ...

    def extract(self, ctx: ExtractorContext) -> tuple[np.ndarray, list[str]]:
        """One row per segment (float32) and a name per column."""
        ...


def frame_times(n: int, fps: float) -> np.ndarray:
    return np.arange(n) / fps


def pool_rows(values: np.ndarray, times: np.ndarray, segments: list[dict[str, Any]],
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
