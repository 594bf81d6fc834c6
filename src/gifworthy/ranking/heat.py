"""YouTube's "Most replayed" curve (the ``heatmap`` a download record keeps) as a ranking
signal: per-segment heat, and how well GIF positions and heat agree in a corpus.

The curve is a step function over the video's seconds (about 100 equal markers on YouTube;
:func:`gifworthy.download.ytdlp.compact_heatmap` stores it as ``{"step", "values"}`` or
``{"points": [[start, end, value], ...]}``). A segment's heat is the curve's time-weighted
mean over the segment's span. On the embedded sample the curves are synthetic (a noisy
floor plus a bump over each planted event, :mod:`gifworthy.sample.site`): figures measured
there say the code works, not that replay heat predicts GIFs on real videos.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

__all__ = ["HeatCurve", "gif_heat_agreement", "heat_curve", "segment_heat", "shifted"]

# (starts, ends, values) in seconds, sorted, non-overlapping.
HeatCurve = tuple[np.ndarray, np.ndarray, np.ndarray]


def heat_curve(heatmap: Any) -> HeatCurve | None:
    """The curve of a record's compact heatmap, or None when it has none or it is damaged."""
    if not isinstance(heatmap, dict):
        return None
    try:
        if "values" in heatmap:
            values = np.asarray(heatmap["values"], dtype=np.float64)
            step = float(heatmap["step"])
            if step <= 0 or values.ndim != 1:
                return None
            starts = np.arange(len(values)) * step
            curve = (starts, starts + step, values)
        else:
            rows = np.asarray(heatmap.get("points") or [], dtype=np.float64)
            if rows.ndim != 2 or rows.shape[1] != 3:
                return None
            rows = rows[np.argsort(rows[:, 0], kind="stable")]
            curve = (rows[:, 0], rows[:, 1], rows[:, 2])
    except (TypeError, ValueError, KeyError):
        return None
    if not len(curve[2]) or not np.all(np.isfinite(curve[2])):
        return None
    return curve


def shifted(curve: HeatCurve, start: float) -> HeatCurve:
    """The curve in the seconds of a clip that starts ``start`` seconds into its video."""
    if not start:
        return curve
    return curve[0] - start, curve[1] - start, curve[2]


def segment_heat(curve: HeatCurve, starts_sec: Sequence[float], ends_sec: Sequence[float]
                 ) -> np.ndarray:
    """Each segment's time-weighted mean heat over [start, end) seconds (0 outside the
    curve; a zero-length segment takes the value at its start)."""
    c_start, c_end, c_val = curve
    out = np.zeros(len(starts_sec))
    for i, (a, b) in enumerate(zip(starts_sec, ends_sec)):
        a, b = float(a), float(b)
        if b <= a:
            inside = (c_start <= a) & (a < c_end)
            out[i] = float(c_val[inside][0]) if inside.any() else 0.0
            continue
        overlap = np.clip(np.minimum(c_end, b) - np.maximum(c_start, a), 0, None)
        out[i] = float(np.sum(overlap * c_val) / (b - a))
    return out


def gif_heat_agreement(videos: Sequence[Any]) -> dict[str, Any]:
    """How GIF positions and replay heat agree over ``videos`` (ranking Videos with ``heat``
    and ``gifs``): the mean heat of segments inside GIFs over that of the others
    (``inside_over_outside``), the rank correlation of segment heat with GIF overlap
    (Spearman, pooled over videos after ranking within each), and the share of videos whose
    hottest segment overlaps a GIF (``peak_in_gif``)."""
    inside: list[float] = []
    outside: list[float] = []
    peaks = 0
    rank_heat: list[np.ndarray] = []
    rank_gif: list[np.ndarray] = []
    used = 0
    for v in videos:
        heat = getattr(v, "heat", None)
        if heat is None or not len(heat) or not v.gifs:
            continue
        used += 1
        overlap = np.array([sum(max(0, min(e, b) - max(s, a)) for a, b in v.gifs) / max(e - s, 1)
                            for s, e in zip(v.starts, v.ends)], dtype=np.float64)
        hit = overlap > 0
        inside += heat[hit].tolist()
        outside += heat[~hit].tolist()
        peaks += bool(hit[int(np.argmax(heat))])
        if len(heat) > 1:
            rank_heat.append(_ranks(heat) / (len(heat) - 1))
            rank_gif.append(_ranks(overlap) / (len(heat) - 1))
    out: dict[str, Any] = {"videos": used}
    if not used:
        return {**out, "inside_over_outside": None, "spearman": None, "peak_in_gif": None}
    mean_in = float(np.mean(inside)) if inside else float("nan")
    mean_out = float(np.mean(outside)) if outside else float("nan")
    out["inside_over_outside"] = (round(mean_in / mean_out, 4)
                                  if outside and mean_out > 0 and inside else None)
    if rank_heat:
        x, y = np.concatenate(rank_heat), np.concatenate(rank_gif)
        r = np.corrcoef(x, y)[0, 1] if x.std() > 0 and y.std() > 0 else float("nan")
        out["spearman"] = round(float(r), 4) if np.isfinite(r) else None
    else:
        out["spearman"] = None
    out["peak_in_gif"] = round(peaks / used, 4)
    return out


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share theirs), 0-based."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x), dtype=np.float64)
    for value in np.unique(x):
        tied = x == value
        if tied.sum() > 1:
            ranks[tied] = ranks[tied].mean()
    return ranks
