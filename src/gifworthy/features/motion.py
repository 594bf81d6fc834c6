"""``motion``: frame differences (mean, std, max, share of still frames), brightness, contrast,
colourfulness (Hasler-Suesstrunk), sharpness (Laplacian), the largest brightness jump, and
motion and jumps relative to the video's own, on small frames at the video's rate."""


from __future__ import annotations

from typing import Any

import numpy as np

from gifworthy.features.base import ExtractorContext, frame_times, pool_rows
from gifworthy.media.decode import Stream

__all__ = ["MOTION_SIZE", "MotionFeatures"]

MOTION_SIZE = (96, 54)


class MotionFeatures:
    def streams(self, params: dict[str, Any], width: int, height: int) -> dict[str, Stream]:
        return {"small": Stream(*MOTION_SIZE, "rgb24")}

    def extract(self, ctx: ExtractorContext) -> tuple[np.ndarray, list[str]]:
        import cv2

        rgb = np.asarray(ctx.streams["small"], np.float32)
        grey = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
        diff = np.zeros(len(grey), np.float32)
        if len(grey) > 1:
            diff[1:] = np.abs(grey[1:] - grey[:-1]).mean(axis=(1, 2))
            diff[0] = diff[1]
        r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
        rg, yb = r - g, 0.5 * (r + g) - b
        colourful = (np.sqrt(rg.std(axis=(1, 2)) ** 2 + yb.std(axis=(1, 2)) ** 2)
                     + 0.3 * np.sqrt(rg.mean(axis=(1, 2)) ** 2 + yb.mean(axis=(1, 2)) ** 2))
        sharp = np.array([cv2.Laplacian(f, cv2.CV_32F).var() for f in grey], np.float32)
        brightness = grey.mean(axis=(1, 2))
        jump = np.abs(np.diff(brightness, prepend=brightness[:1]))
        per_frame = np.stack([diff, (diff < 1.0).astype(np.float32), brightness,
                              grey.std(axis=(1, 2)), colourful, np.log1p(sharp)], axis=1)
        times = frame_times(len(grey), ctx.fps)
        mean = pool_rows(per_frame, times, ctx.segments, ("mean",))
        spread = pool_rows(diff[:, None], times, ctx.segments, ("std", "max"))
        peak_jump = pool_rows(jump[:, None], times, ctx.segments, ("max",))
        # Relative to the video's own activity: a bouncing box over a still background stands out
        # within its video even when another video's film grain moves more everywhere.
        typical = float(np.median(diff)) if len(diff) else 0.0
        busy = float(np.percentile(diff, 90)) if len(diff) else 0.0
        relative = np.stack([np.log((mean[:, 0] + 1) / (typical + 1)),
                             np.log((spread[:, 1] + 1) / (busy + 1)),
                             np.log((peak_jump[:, 0] + 1) / (float(np.median(jump)) + 1))
                             if len(jump) else np.zeros(len(mean))], axis=1)
        names = ["motion_diff_mean", "motion_still_share", "brightness", "contrast",
                 "colourfulness", "sharpness", "motion_diff_std", "motion_diff_max",
                 "brightness_jump_max", "motion_vs_video", "motion_peak_vs_video",
                 "brightness_jump_vs_video"]
        return np.concatenate([mean, spread, peak_jump, relative], axis=1), names
