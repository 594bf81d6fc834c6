"""Statistics that can tell rankers apart: a paired bootstrap over test videos.

Why paired and over videos: every method scores the same test videos, and videos differ far
more from each other (length, GIF count, how easy their events are) than methods do on one
video. Resampling videos and taking the per-video *difference* keeps that shared part out
of the interval, so it is as narrow as the data allow; resampling frames or segments would
pretend to far more independent evidence than a few dozen videos hold. The interval is the
percentile interval of the mean difference over ``resamples`` resamples; a pair is
"separated" when the interval excludes zero.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ["compare_methods", "paired_bootstrap", "per_video_means"]


def paired_bootstrap(a: Sequence[float], b: Sequence[float], *, resamples: int = 10_000,
                     level: float = 0.95, seed: int = 0) -> dict[str, Any]:
    """The mean of ``a - b`` (paired by position: one entry per test video) with its
    ``level`` bootstrap interval: ``{"videos", "diff", "low", "high", "separated"}``.
    Deterministic for a given ``seed``."""
    x = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if x.ndim != 1 or len(a) != len(b):
        raise ValueError("paired_bootstrap: a and b must be flat and of one length")
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return {"videos": 0, "diff": None, "low": None, "high": None, "separated": False}
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    # In blocks, so 10,000 resamples of a few hundred videos stay a few MB.
    for start in range(0, resamples, 1000):
        stop = min(start + 1000, resamples)
        idx = rng.integers(0, len(x), size=(stop - start, len(x)))
        means[start:stop] = x[idx].mean(axis=1)
    tail = (1 - level) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return {"videos": int(len(x)), "diff": round(float(x.mean()), 4),
            "low": round(float(low), 4), "high": round(float(high), 4),
            "separated": bool(low > 0 or high < 0)}


def per_video_means(rows: Sequence[Mapping[str, Any]], field: str, *, key: str = "method"
                    ) -> dict[str, dict[str, float]]:
    """``{method: {youtube_id: mean of field over seeds}}`` from per-(method, seed, video)
    rows: the per-video value a paired comparison uses (seeds averaged first, so the
    interval is over videos, not over seeds x videos)."""
    sums: dict[str, dict[str, list[float]]] = {}
    for r in rows:
        sums.setdefault(str(r[key]), {}).setdefault(str(r["youtube_id"]), []).append(
            float(r[field]))
    return {m: {v: float(np.mean(vals)) for v, vals in by_video.items()}
            for m, by_video in sums.items()}


def compare_methods(rows: Sequence[Mapping[str, Any]], methods: Sequence[str],
                    metrics: Mapping[str, str], *, resamples: int = 10_000,
                    level: float = 0.95, seed: int = 0) -> dict[str, dict[str, Any]]:
    """For every pair of ``methods`` (in that order), the paired bootstrap of each metric's
    difference (``"<a> - <b>"``: positive means ``a`` is higher) over the videos both
    scored. ``metrics`` maps a summary name (``mAP``) to its per-video row field (``ap``)."""
    means = {name: per_video_means(rows, field) for name, field in metrics.items()}
    out: dict[str, dict[str, Any]] = {}
    for i, a in enumerate(methods):
        for b in methods[i + 1:]:
            pair: dict[str, Any] = {}
            for name in metrics:
                va, vb = means[name].get(a, {}), means[name].get(b, {})
                videos = sorted(set(va) & set(vb))
                pair[name] = paired_bootstrap([va[v] for v in videos], [vb[v] for v in videos],
                                              resamples=resamples, level=level, seed=seed)
            out[f"{a} - {b}"] = pair
    return out
