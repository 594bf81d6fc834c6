"""The shot-detector protocol and the registry that is the single source of detector names
(``shots.detectors`` in params.yaml lists the ones the shots stage runs and compares,
``shots.detector`` the one the segments use). Adding a detector is one module with a class
like :class:`gifworthy.shots.scenedetect.SceneDetectDetector`, one line in
:data:`DETECTORS`, its threshold key in the params schema and its folder tag in
:data:`gifworthy.pipeline.paths.DETECTOR_TAGS`."""

from __future__ import annotations

import dataclasses
import os
from typing import Protocol

import numpy as np

from gifworthy.core.registry import load
from gifworthy.nets.runtime import DEFAULT_RUNTIME

__all__ = ["DETECTORS", "Detection", "Detector", "get_detector"]


@dataclasses.dataclass
class Detection:
    """One detector's result on one video: cut frames (first frames of every shot but the
    first), the time it took by step, and what a detector that decodes frames also gives
    (frame count and rate, per-frame cut probabilities, per-second features)."""

    cuts: list[int]
    seconds: dict[str, float]
    n_frames: int | None = None
    fps: float | None = None
    probs: np.ndarray | None = None
    features_per_second: np.ndarray | None = None


class Detector(Protocol):
    name: str
    # The params.yaml ``shots`` key of this detector's threshold.
    threshold_key: str

    def detect(self, path: str | os.PathLike[str], threshold: float, *,
               runtime: str = DEFAULT_RUNTIME) -> Detection:
        """Cuts of one video; ``runtime`` runs the detector's network, if it has one
        (:mod:`gifworthy.nets.runtime`)."""
        ...


DETECTORS: dict[str, str] = {
    "transnet": "gifworthy.shots.transnet:TransNetDetector",
    "scenedetect": "gifworthy.shots.scenedetect:SceneDetectDetector",
    "autoshot": "gifworthy.shots.autoshot:AutoShotDetector",
}


def get_detector(name: str) -> Detector:
    return load(DETECTORS, name, "shot detector")()
