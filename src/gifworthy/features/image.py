"""``image``: EfficientNet-Lite0 (1280-d, ImageNet) on frames at ``image_fps``, mean- and
max-pooled per segment."""


from __future__ import annotations

from typing import Any

import numpy as np

from gifworthy.features.backbones import IMAGE_SIZE, embed_images
from gifworthy.features.base import ExtractorContext, frame_times, pool_rows
from gifworthy.media.decode import Stream

__all__ = ["ImageFeatures"]


class ImageFeatures:
    def streams(self, params: dict[str, Any], width: int, height: int) -> dict[str, Stream]:
        return {"image": Stream(IMAGE_SIZE, IMAGE_SIZE, "rgb24", params["image_fps"])}

    def extract(self, ctx: ExtractorContext) -> tuple[np.ndarray, list[str]]:
        frames = ctx.streams["image"]
        emb = embed_images(frames, runtime=ctx.runtime)
        times = frame_times(len(frames), ctx.params["image_fps"])
        rows = pool_rows(emb, times, ctx.segments, ("mean", "max"))
        return rows, [f"image_{r}_{i}" for r in ("mean", "max") for i in range(emb.shape[1])]
