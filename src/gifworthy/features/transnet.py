"""``transnet``: TransNetV2 ``fc1`` (1024-d), from the shots stage's per-second means,
weighted by each second's overlap with the segment."""


from __future__ import annotations

from typing import Any

import numpy as np

from gifworthy.features.base import ExtractorContext, FeatureError
from gifworthy.media.decode import Stream

__all__ = ["TransNetFeatures"]


class TransNetFeatures:
    def streams(self, params: dict[str, Any], width: int, height: int) -> dict[str, Stream]:
        return {}

    def extract(self, ctx: ExtractorContext) -> tuple[np.ndarray, list[str]]:
        per_second = ctx.transnet_per_second
        if per_second is None:
            raise FeatureError("transnet: no per-second TransNetV2 features (run the shots stage)")
        rows = []
        for seg in ctx.segments:
            a, b = seg["start_sec"], seg["end_sec"]
            k = np.arange(len(per_second))
            weights = np.clip(np.minimum(b, k + 1) - np.maximum(a, k), 0, None)
            if weights.sum() == 0:
                weights[min(int(a), len(k) - 1)] = 1.0
            rows.append(weights @ per_second / weights.sum())
        return np.asarray(rows, np.float32), [f"transnet_{i}" for i in range(per_second.shape[1])]
