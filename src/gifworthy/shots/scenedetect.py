"""PySceneDetect's ContentDetector (HSV content change), OpenCV backend."""

from __future__ import annotations

import os
import time

from gifworthy.media.probe import MediaError
from gifworthy.nets.runtime import DEFAULT_RUNTIME
from gifworthy.shots.detectors import Detection

__all__ = ["SceneDetectDetector", "scenedetect_cuts"]


def scenedetect_cuts(path: str | os.PathLike[str], threshold: float) -> list[int]:
    """Cuts by PySceneDetect's ContentDetector (HSV content change), OpenCV backend."""
    from scenedetect import ContentDetector, detect
    from scenedetect.video_stream import VideoOpenFailure

    try:
        scenes = detect(str(path), ContentDetector(threshold=threshold, min_scene_len=8),
                        show_progress=False)
    except VideoOpenFailure as exc:
        # OpenCV's words for an unreadable file; the shots stage records MediaErrors and
        # moves on, as it does when TransNetV2's decode fails.
        raise MediaError(f"{path}: PySceneDetect cannot open it ({exc})") from exc
    return [int(start.frame_num) for start, _ in scenes[1:]]


class SceneDetectDetector:
    name = "scenedetect"
    threshold_key = "scenedetect_threshold"

    def detect(self, path: str | os.PathLike[str], threshold: float, *,
               runtime: str = DEFAULT_RUNTIME) -> Detection:
        t0 = time.perf_counter()
        cuts = scenedetect_cuts(path, threshold)
        return Detection(cuts, {"scenedetect": time.perf_counter() - t0})
