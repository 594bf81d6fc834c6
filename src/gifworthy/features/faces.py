"""``faces``: OpenCV Haar frontal faces at ``image_fps`` (320 px wide, grey): mean and max
count, mean area share."""


from __future__ import annotations

from typing import Any

import numpy as np

from gifworthy.features.base import ExtractorContext, frame_times, pool_rows
from gifworthy.media.decode import Stream

__all__ = ["FaceFeatures"]


class FaceFeatures:
    _cascade: Any = None  # loaded once per process

    def streams(self, params: dict[str, Any], width: int, height: int) -> dict[str, Stream]:
        face_w = 320
        face_h = max(2, int(round(face_w * height / max(width, 1) / 2)) * 2)
        return {"faces": Stream(face_w, face_h, "gray", params["image_fps"])}

    def extract(self, ctx: ExtractorContext) -> tuple[np.ndarray, list[str]]:
        import cv2

        if FaceFeatures._cascade is None:
            cascades = cv2.data.haarcascades  # type: ignore[attr-defined]  # not in the stubs
            FaceFeatures._cascade = cv2.CascadeClassifier(
                cascades + "haarcascade_frontalface_default.xml")
        frames = ctx.streams["faces"]
        area = frames.shape[1] * frames.shape[2] if len(frames) else 1
        per_frame = []
        for f in frames:
            boxes = self._cascade.detectMultiScale(np.ascontiguousarray(f), scaleFactor=1.15,
                                                   minNeighbors=5, minSize=(16, 16))
            per_frame.append([len(boxes), sum(w * h for _, _, w, h in boxes) / area])
        values = np.asarray(per_frame, np.float32).reshape(-1, 2)
        times = frame_times(len(frames), ctx.params["image_fps"])
        rows = pool_rows(values, times, ctx.segments, ("mean", "max"))
        return rows[:, [0, 2, 1]], ["faces_mean", "faces_max", "face_area_mean"]
