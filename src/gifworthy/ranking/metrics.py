"""The official Video2GIF metrics: frame-level interpolated AP and normalised MSD.

Both follow the evaluation code published with the paper (Gygli, Song, Cao, CVPR 2016):

* ``average_precision``: scikit-learn's precision-recall curve, precision replaced by its
  running maximum along the returned array, averaged at the points where recall changes;
  computed per video over the union of its GIFs (all-positive: 1; no positive: an error).
* ``nmsd``: per GIF, theta is the score that 50% of the GIF's frames reach (the 50th
  percentile of its scores); MSD is the number of the video's frames scoring >= theta; with
  L the GIF's length and N the video's, nMSD = (MSD - 0.5 L) / (N - 0.5 L); averaged over
  the video's GIFs. Lower is better.

And two of today's highlight-detection metrics, on the ranked segments (the unit a top-K
product shows): ``hit_at_1`` (is the best segment a highlight, HIT@1 of QVHighlights) and
``recall_at_k`` (the share of the video's GIFs the top K segments reach, Recall@K).

Scores are per frame; segment scores are broadcast to the frames of their segment (see
``frame_scores``), so every method is compared at the same granularity.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["average_precision", "frame_scores", "gif_masks", "hit_at_1", "nmsd", "recall_at_k"]


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
    """The official ``meaningful_summary_duration`` (mode mean): per GIF of length L in a
    video of N frames, theta = the (1 - min_inclusion) percentile of the GIF's scores, MSD
    = the frames scoring >= theta, nMSD = (MSD - min_inclusion L) / (N - min_inclusion L);
    the mean over the video's GIFs. The subtracted length is min_inclusion L whatever
    share of the GIF ties actually lift over theta, as the official code does (published
    nMSD figures are only comparable so)."""
    scores = np.asarray(y_score, dtype=np.float64)
    values = []
    for mask in gif_masks_:
        inside = np.flatnonzero(mask)
        if len(inside) == 0:
            continue
        threshold = np.percentile(scores[inside], 100 * (1 - min_inclusion))
        msd = float((scores >= threshold).sum())
        min_length = len(inside) * min_inclusion
        denominator = len(scores) - min_length
        values.append((msd - min_length) / denominator if denominator > 0 else 0.0)
    if not values:
        raise ValueError("nmsd: no GIF with frames in this video")
    return float(np.mean(values))


def _highlights(segment_starts: Sequence[int] | np.ndarray,
                segment_ends: Sequence[int] | np.ndarray, gifs: Sequence[tuple[int, int]]
                ) -> np.ndarray:
    """Per segment and GIF: does the segment [start, end) share a frame with the GIF?"""
    starts, ends = np.asarray(segment_starts), np.asarray(segment_ends)
    if not len(gifs):
        return np.zeros((len(starts), 0), bool)
    a = np.array([g[0] for g in gifs])
    b = np.array([g[1] for g in gifs])
    return (np.minimum(ends[:, None], b[None, :]) > np.maximum(starts[:, None], a[None, :]))


def hit_at_1(segment_scores: Sequence[float] | np.ndarray, starts: Sequence[int] | np.ndarray,
             ends: Sequence[int] | np.ndarray, gifs: Sequence[tuple[int, int]]) -> float:
    """Is the top-ranked segment a highlight (does it share frames with a GIF)? With ties at
    the top, the expected value over a random choice among them (the share of highlights
    among the tied best), so a constant scorer gets the base rate, not the first segment's
    luck."""
    scores = np.asarray(segment_scores, dtype=np.float64)
    if len(scores) == 0:
        raise ValueError("hit_at_1: no segment in this video")
    best = scores == scores.max()
    return float(_highlights(starts, ends, gifs)[best].any(axis=1).mean())


def recall_at_k(segment_scores: Sequence[float] | np.ndarray, starts: Sequence[int] | np.ndarray,
                ends: Sequence[int] | np.ndarray, gifs: Sequence[tuple[int, int]], k: int
                ) -> float:
    """The share of the video's GIFs that at least one of the K best segments shares frames
    with: of the moments people made GIFs of, how many a top-K list offers. Ties at the
    K-th place go to the earlier segment."""
    scores = np.asarray(segment_scores, dtype=np.float64)
    if not len(gifs):
        raise ValueError("recall_at_k: no GIF in this video")
    top = np.argsort(-scores, kind="stable")[:k]
    return float(_highlights(starts, ends, gifs)[top].any(axis=0).mean())


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
