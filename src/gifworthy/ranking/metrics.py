"""The official Video2GIF metrics: frame-level interpolated AP and normalised MSD.

Both follow the evaluation code published with the paper (Gygli, Song, Cao, CVPR 2016):

* ``average_precision``: scikit-learn's precision-recall curve, precision replaced by its
  running maximum along the returned array, averaged at the points where recall changes;
  computed per video over the union of its GIFs (all-positive: 1; no positive: an error).
* ``nmsd``: per GIF, theta is the score that 50% of the GIF's frames reach (the 50th
  percentile of its scores); MSD is the number of the video's frames scoring >= theta; with
  L the GIF's length, N the video's and f the share of the GIF reaching theta (0.5 unless
  ties lift it), nMSD = (MSD - f L) / (N - f L); averaged over the video's GIFs. Lower is
  better.

Scores are per frame; segment scores are broadcast to the frames of their segment (see
``frame_scores``), so every method is compared at the same granularity.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["average_precision", "nmsd", "gif_masks", "frame_scores"]


def average_precision(y_true: Sequence[int] | np.ndarray, y_score: Sequence[float] | np.ndarray
                      ) -> float:
    from sklearn.metrics import precision_recall_curve

    y_true = np.asarray(y_true)
    if len(set(y_true.tolist())) == 1:
        if y_true[0] == 0:
            raise ValueError("average_precision: no positive frame in this video")
        return 1.0
    precision, recall, _ = precision_recall_curve(y_true, np.asarray(y_score))
    recall = recall.astype(np.float32)  # as the official code does, before the comparison
    precision = np.maximum.accumulate(precision)
    changes = np.where(np.diff(recall))
    return float(np.mean(precision[changes]))


def nmsd(gif_masks_: Sequence[np.ndarray], y_score: Sequence[float] | np.ndarray,
         min_inclusion: float = 0.5) -> float:
    scores = np.asarray(y_score, dtype=np.float64)
    values = []
    for mask in gif_masks_:
        inside = np.flatnonzero(mask)
        if len(inside) == 0:
            continue
        threshold = np.percentile(scores[inside], 100 * (1 - min_inclusion))
        selected = scores >= threshold
        msd = float(selected.sum())
        length = float(len(inside))
        inclusion = float(np.asarray(mask)[selected].sum()) / length
        denominator = len(scores) - length * inclusion
        values.append((msd - length * inclusion) / denominator if denominator > 0 else 0.0)
    if not values:
        raise ValueError("nmsd: no GIF with frames in this video")
    return float(np.mean(values))


def gif_masks(intervals: Sequence[tuple[int, int]], n_frames: int) -> list[np.ndarray]:
    """0/1 vector over the video's frames per GIF: ones on [start_frame, end_frame)."""
    masks = []
    for start, end in intervals:
        m = np.zeros(n_frames, np.int8)
        m[max(0, int(start)):min(n_frames, int(end))] = 1
        masks.append(m)
    return masks


def frame_scores(segments: Sequence[tuple[int, int]], scores: Sequence[float] | np.ndarray,
                 n_frames: int, fill: float | None = None) -> np.ndarray:
    """Broadcast segment scores to frames. Frames in no segment (shots too short to give
    one) get ``fill``, by default below every segment score."""
    values = np.asarray(scores, dtype=np.float64)
    low = (values.min() - 1.0) if len(values) else 0.0
    out = np.full(n_frames, low if fill is None else fill, dtype=np.float64)
    for (start, end), s in zip(segments, values):
        out[max(0, int(start)):min(n_frames, int(end))] = s
    return out
