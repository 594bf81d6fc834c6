"""``c3d``: C3D fc6 (4096-d, the Video2GIF paper's feature) of 16-frame clips every 8 frames,
averaged per segment, from a user-supplied Sports-1M weights file (none ships with any
package; ``features.c3d_weights``)."""


from __future__ import annotations

from typing import Any

import numpy as np

from gifworthy.features.backbones import C3D_CLIP, C3D_FRAME, c3d_fc6, load_c3d
from gifworthy.features.base import ExtractorContext, pool_rows
from gifworthy.media.decode import Stream

__all__ = ["C3DFeatures"]


class C3DFeatures:
    def streams(self, params: dict[str, Any], width: int, height: int) -> dict[str, Stream]:
        return {"c3d": Stream(*C3D_FRAME, "rgb24")}

    def extract(self, ctx: ExtractorContext) -> tuple[np.ndarray, list[str]]:
        model = load_c3d(ctx.params.get("c3d_weights"))
        frames = ctx.streams["c3d"]
        starts, feats = c3d_fc6(model, frames)
        centres = (starts + C3D_CLIP / 2) / ctx.fps
        return pool_rows(feats, centres, ctx.segments), [f"c3d_fc6_{i}" for i in range(4096)]
