"""Align a GIF to its source video with perceptual hashes: start, end, speed, confidence.

Video2GIF matched every GIF frame to every video frame and took per-frame argmins. Here the
GIF is fitted as one monotonic mapping, video_time = start + speed * gif_time, where gif_time
comes from the GIF's own frame delays:

1. hash every video frame once (``phash.hash_video``) and every GIF frame;
2. all GIF x video Hamming distances at once (N x M ``uint8``);
3. coarse search: for each speed on a geometric grid (0.25x-8x) and every start frame, the
   cost of the mapping is a robust mean of the distances it visits (each clipped at 20 bits,
   so captions, flashes or a few dropped or repeated frames do not decide it); on a
   subsample of GIF frames, vectorised over start frames;
4. refine speed and start around the best candidates with every GIF frame;
5. confidence from how far the best cost stands below the typical cost of other starts
   and an absolute ceiling on the mean distance; a GIF that is not from the video fails
   both and is rejected instead of returning a wrong segment.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np

from .gifify import gif_timing
from .phash import decode_gray, hamming, phash_batch

__all__ = ["Alignment", "NoMatch", "align", "align_hashes"]

SPEEDS = np.geomspace(0.25, 8.0, 121)
CLIP = 20            # a frame's distance counts at most this much (captions, flashes, drops)
MAX_MEAN_DISTANCE = 14.0   # bits of 64: above this the frames are not the same pictures
MIN_CONTRAST = 0.35        # best cost must lie this far below the typical cost


class NoMatch(ValueError):
    """The GIF does not come from this video (or too little of it can be seen)."""


@dataclasses.dataclass(frozen=True)
class Alignment:
    start_sec: float
    end_sec: float
    start_frame: int
    end_frame: int  # exclusive, in the video's decoded frames
    speed: float
    mean_distance: float
    confidence: float

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _robust_mean(costs: np.ndarray) -> np.ndarray:
    """Mean of distances clipped at ``CLIP`` bits: one bad frame cannot outweigh many good
    ones, yet every frame still votes (dropping the worst frames instead lets a GIF of a
    flash over a static shot match anywhere in that shot)."""
    return np.minimum(costs, CLIP).mean(axis=-1)


def _costs(dist: np.ndarray, offsets_frames: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Cost of starting at each of ``starts`` with GIF frame i at start + offsets_frames[i]."""
    n_video = dist.shape[1]
    idx = starts[:, None] + offsets_frames[None, :]
    inside = (idx >= 0) & (idx < n_video)
    vals = dist[np.arange(dist.shape[0])[None, :], np.clip(idx, 0, n_video - 1)]
    vals = np.where(inside, vals, 64).astype(np.float32)  # leaving the video costs the most
    return _robust_mean(vals)


def align_hashes(gif_hashes: np.ndarray, gif_times: np.ndarray, video_hashes: np.ndarray,
                 video_fps: float, *, gif_duration: float | None = None) -> Alignment:
    """Fit start/speed of GIF frames (hashes at ``gif_times`` s) in the video's frames."""
    if len(gif_hashes) == 0 or len(video_hashes) == 0:
        raise NoMatch("empty GIF or video")
    dist = hamming(gif_hashes, video_hashes)
    n_gif, n_video = dist.shape
    gif_times = np.asarray(gif_times, dtype=np.float64)
    if gif_duration is None:
        step = np.median(np.diff(gif_times)) if n_gif > 1 else 0.1
        gif_duration = float(gif_times[-1] + step)
    starts = np.arange(n_video)

    # Coarse: up to 24 GIF frames spread over the GIF, all speeds, all starts.
    sub = np.unique(np.linspace(0, n_gif - 1, min(n_gif, 24)).round().astype(int))
    best: list[tuple[float, float, int]] = []
    typical = []
    for speed in SPEEDS:
        if speed * gif_duration * video_fps > n_video * 1.05 and len(best) >= 1:
            continue  # the GIF would not fit in the video at this speed
        offsets = np.rint(gif_times[sub] * speed * video_fps).astype(int)
        costs = _costs(dist[sub], offsets, starts)
        j = int(np.argmin(costs))
        best.append((float(costs[j]), float(speed), j))
        typical.append(float(np.median(costs)))
    best.sort()
    # Refine the three best (speed, start) candidates with every GIF frame.
    final: tuple[float, float, int] | None = None
    for _, speed0, start0 in best[:3]:
        for speed in speed0 * np.linspace(0.96, 1.04, 33):
            offsets = np.rint(gif_times * speed * video_fps).astype(int)
            window = np.arange(max(0, start0 - 4), min(n_video, start0 + 5))
            costs = _costs(dist, offsets, window)
            j = int(np.argmin(costs))
            # Ties (static shots look alike frame to frame) go to the speed nearest 1x.
            cand = (float(costs[j]) + 1e-3 * abs(np.log2(speed)), float(speed), int(window[j]))
            if final is None or cand[0] < final[0] - 1e-9:
                final = cand
    assert final is not None
    cost, speed, start = final
    background = float(np.median(typical))
    contrast = 1.0 - cost / background if background > 0 else 0.0
    confidence = float(np.clip(contrast, 0.0, 1.0) * np.clip(1 - cost / 32.0, 0.0, 1.0))
    if cost > MAX_MEAN_DISTANCE or contrast < MIN_CONTRAST:
        raise NoMatch(f"no consistent match: mean distance {cost:.1f} bits (limit "
                      f"{MAX_MEAN_DISTANCE:g}), {contrast:.0%} below the typical cost "
                      f"(need {MIN_CONTRAST:.0%})")
    end = min(n_video, int(round(start + speed * gif_duration * video_fps)))
    cost = cost - 1e-3 * abs(float(np.log2(speed)))  # report the distance without the tie-break
    return Alignment(start_sec=round(start / video_fps, 4), end_sec=round(end / video_fps, 4),
                     start_frame=int(start), end_frame=int(max(end, start + 1)),
                     speed=round(float(speed), 4), mean_distance=round(float(cost), 3),
                     confidence=round(float(confidence), 4))


def video_frame_rate(path: str | os.PathLike[str], n_frames: int) -> float:
    """Frames per second of the video's decoded frames (average rate of the stream)."""
    from .media import probe

    meta = probe(path)
    if meta["fps"] > 0:
        return float(meta["fps"])
    return n_frames / meta["duration"] if meta["duration"] > 0 else 25.0


def align(gif: str | os.PathLike[str], video: str | os.PathLike[str],
          *, video_hashes: np.ndarray | None = None,
          video_fps: float | None = None) -> Alignment:
    """Align a GIF file to a video file (hashes of the video may be passed in, to reuse)."""
    if video_hashes is None:
        video_hashes = phash_batch(decode_gray(video))
    if video_fps is None:
        video_fps = video_frame_rate(video, len(video_hashes))
    gif_frames = decode_gray(gif)
    times, duration = gif_timing(gif, len(gif_frames))
    return align_hashes(phash_batch(gif_frames), times, video_hashes, video_fps,
                        gif_duration=duration)
