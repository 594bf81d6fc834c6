"""What the loopback sample site says about each video: the metadata a YouTube watch page
gives yt-dlp (title, duration, view and like counts, categories, tags, upload date) and a
"Most replayed" heatmap.

The heatmaps are **synthetic**: 100 points, as YouTube's are, of a low noisy floor plus a
bump over each planted event (the moments the sample's GIFs are made of), so replay heat
correlates with GIF-worthiness here by construction, more cleanly than on YouTube. Real
footage (no planted events) gets the floor only. Everything is a deterministic function of
the video's id, so the sample's download records have the same bytes on every run.
"""

from __future__ import annotations

import hashlib
import math
import random
from typing import Any

__all__ = ["HEATMAP_POINTS", "heatmap", "site_info"]

HEATMAP_POINTS = 100
_FLOOR = 0.12
_NOISE = 0.08


def _rng(video_id: str, what: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(f"{video_id}:{what}".encode()).digest()[:8],
                                        "big"))


def heatmap(video: dict[str, Any]) -> list[dict[str, float]]:
    """YouTube's heatmap format: ``{start_time, end_time, value}`` over the whole video,
    values in [0, 1] with the peak at 1."""
    duration = float(video["duration"])
    rng = _rng(video["youtube_id"], "heat")
    events = [s["event"] for s in video.get("shots") or [] if s.get("event")]
    step = duration / HEATMAP_POINTS
    values = []
    for i in range(HEATMAP_POINTS):
        t = (i + 0.5) * step
        value = _FLOOR + _NOISE * rng.random()
        for ev in events:
            centre = (float(ev["start"]) + float(ev["end"])) / 2
            width = max(0.5, (float(ev["end"]) - float(ev["start"])) / 2)
            value += 0.8 * math.exp(-0.5 * ((t - centre) / width) ** 2)
        values.append(value)
    peak = max(values) or 1.0
    return [{"start_time": round(i * step, 3), "end_time": round((i + 1) * step, 3),
             "value": round(v / peak, 4)} for i, v in enumerate(values)]


def site_info(video: dict[str, Any], views: int | None = None) -> dict[str, Any]:
    """The site's metadata of one ``sources.json`` entry (``views``: the count the corpus's
    metadata.txt gives, when it has the video)."""
    rng = _rng(video["youtube_id"], "counts")
    view_count = int(views) if views is not None else rng.randint(1_000, 2_000_000)
    kinds = sorted({s["event"]["kind"] for s in video.get("shots") or [] if s.get("event")})
    return {
        "title": video["title"],
        "duration": float(video["duration"]),
        "width": int(video["width"]),
        "height": int(video["height"]),
        "fps": float(video["fps"]),
        "view_count": view_count,
        "like_count": max(1, view_count // rng.randint(20, 80)),
        "categories": [video["category"]],
        "tags": ["gifworthy sample", str(video.get("kind", "")), *kinds],
        "upload_date": f"2015{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
        "uploader": "gifworthy sample site",
        "heatmap": heatmap(video),
    }
