"""Align a GIF to its source video with perceptual hashes: start, end, speed, confidence.

Video2GIF matched every GIF frame to every video frame and took per-frame argmins. Here the
GIF is fitted as one monotonic mapping, video_time = start + speed * gif_time, where gif_time
comes from the GIF's own frame delays:

1. hash every video frame once (``index_video``: whole frame, centre, top) and every GIF
   frame (as is, without black bars, top);
2. all GIF x video Hamming distances at once (N x M ``uint8``) for each view pairing;
3. coarse search per pairing: for each speed on a geometric grid (0.25x-8x) and every
   start frame, the cost of the mapping is a robust mean of the distances it visits (each
   clipped at 20 bits, so captions, flashes or a few dropped frames do not decide it), on
   a subsample of GIF frames, as vector additions over all starts; the pairing that fits
   best (the whole frame unless another is clearly better) is the GIF's;
4. the best distinct (speed, start) candidates are refined on the hashes with every GIF
   frame, then on the 32x32 grey pixels; pixels choose between them where they can tell
   them apart, hashes where they cannot, and a common speed (1x, 2x...) wins near-ties;
5. confidence from how far the best cost stands below the typical cost of other starts,
   an absolute ceiling on the mean distance, and the margin over any other stretch of the
   video; a GIF that is not from the video fails and is rejected instead of returning a
   wrong segment;
6. a weak match (confidence below 0.45) must also agree in colour, which pHash (grey)
   cannot see: on still or slowly drifting footage (slides, test cards, colour fields) a
   look-alike picture from seconds the video does not contain fits the hashes about as
   weakly as a true but distorted GIF does (10-17 bits, confidence 0.05-0.35), while the
   mean chroma of its frames differs several times more (measured: true <= 11, look-alikes
   >= 38 of 255). Crops, captions, bars and fades barely move a frame's mean chroma.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from gifworthy.align.phash import decode_gray, decode_views, hamming, phash_batch
from gifworthy.media.gif import gif_info, gif_timing
from gifworthy.media.probe import frame_rate, probe

__all__ = ["Alignment", "NoMatch", "VideoIndex", "align", "align_distances", "chroma_difference",
           "index_video"]

SPEEDS = np.geomspace(0.25, 8.0, 121)
CLIP = 20            # a frame's distance counts at most this much (captions, flashes, drops)
MAX_MEAN_DISTANCE = 17.0   # bits of 64: above this the frames are not the same pictures
MIN_CONTRAST = 0.15        # best cost must lie this far below the typical cost
AMBIGUITY_MARGIN = 1.0     # bits by which the best must beat any non-overlapping mapping
VIEW_MARGIN = 0.5          # bits a partial view must win by to be chosen over the whole
COMMON_SPEEDS = np.array([0.5, 1.0, 1.5, 2.0, 3.0, 4.0])
COMMON_SPEED_SLACK = 0.05  # a common speed wins unless another fits 3% better on pixels
N_CANDIDATES = 6           # distinct coarse mappings refined and compared on pixels
VERIFY_BELOW = 0.45        # a match less confident than this must also agree in colour ...
MAX_CHROMA_DIFFERENCE = 20.0  # ... its frames' mean chroma within this (of 255), median


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


def _costs_all_starts(clipped: np.ndarray, offsets_frames: np.ndarray, n_video: int) -> np.ndarray:
    """:func:`_costs` for every start at once. ``clipped`` is the distance matrix already
    clipped at ``CLIP`` and padded on the right with ``CLIP`` (past the video's end), so each
    GIF frame contributes one contiguous slice: a few vector additions, no gathers."""
    acc = np.zeros(n_video, dtype=np.float32)
    for row, off in zip(clipped, offsets_frames):
        acc += row[off:off + n_video]
    return acc / len(offsets_frames)


def _coarse(dist: np.ndarray, gif_times: np.ndarray, video_fps: float, gif_duration: float
            ) -> tuple[list[tuple[float, float, int]], list[tuple[float, np.ndarray]], float]:
    """Coarse search: up to 24 GIF frames spread over the GIF, every speed, every start.

    Returns the best (cost, speed, start) of each speed, sorted; every speed's costs over
    all starts; and the typical (median) cost of a mapping, the background a match must
    stand out from.
    """
    n_gif, n_video = dist.shape
    sub = np.unique(np.linspace(0, n_gif - 1, min(n_gif, 24)).round().astype(int))
    max_offset = int(np.ceil(SPEEDS[-1] * gif_times[sub].max() * video_fps)) + 1
    clipped = np.full((len(sub), n_video + max_offset), CLIP, dtype=np.float32)
    clipped[:, :n_video] = np.minimum(dist[sub], CLIP)
    coarse: list[tuple[float, np.ndarray]] = []
    best: list[tuple[float, float, int]] = []
    typical = []
    for speed in SPEEDS:
        if speed * gif_duration * video_fps > n_video * 1.05 and best:
            continue  # the GIF would not fit in the video at this speed
        offsets = np.rint(gif_times[sub] * speed * video_fps).astype(int)
        costs = _costs_all_starts(clipped, offsets, n_video)
        j = int(np.argmin(costs))
        best.append((float(costs[j]), float(speed), j))
        typical.append(float(np.median(costs)))
        coarse.append((float(speed), costs))
    best.sort()
    return best, coarse, float(np.median(typical))


def align_distances(views: list[tuple[np.ndarray, np.ndarray | None, np.ndarray | None]],
                    gif_times: np.ndarray, video_fps: float, *,
                    gif_duration: float | None = None) -> Alignment:
    """Fit the mapping (see the module docstring).

    ``views`` are (GIF x video distance matrix, GIF 32x32 frames, video 32x32 frames) for
    each way the GIF may show the video (as is, cropped, without a caption band...). The
    view whose best coarse mapping fits best is the GIF's; candidates are refined on its
    hashes, then on its pixels (when given), and the pixels choose between them.
    """
    n_gif, n_video = views[0][0].shape
    if n_gif == 0 or n_video == 0:
        raise NoMatch("empty GIF or video")
    gif_times = np.asarray(gif_times, dtype=np.float64)
    if gif_duration is None:
        step = np.median(np.diff(gif_times)) if n_gif > 1 else 0.1
        gif_duration = float(gif_times[-1] + step)
    starts = np.arange(n_video)
    searched = [_coarse(m, gif_times, video_fps, gif_duration) for m, _, _ in views]
    # The first view (the GIF as is against the whole frame) unless another fits clearly
    # better: a partial view fits noise more easily and tells less apart.
    chosen = min(range(len(views)),
                 key=lambda i: searched[i][0][0][0] + (VIEW_MARGIN if i else 0.0))
    dist, gif_px, video_px = views[chosen]
    best, coarse, background = searched[chosen]
    # Candidates: the best mapping of each speed, distinct ones only (a neighbouring speed
    # with the same start is the same answer), best first.
    candidates: list[tuple[float, int]] = []
    for _, speed0, start0 in best:
        if all(abs(start0 - s0) > 3 or abs(np.log(speed0 / v0)) > 0.05 for v0, s0 in candidates):
            candidates.append((speed0, start0))
        if len(candidates) == N_CANDIDATES:
            break
    # Each candidate: refined on the hashes with every GIF frame, then on the pixels of the
    # view that fits it best. Pixels choose between candidates: on slow or low-detail
    # footage many 64-bit hashes sit a few bits apart, while the 32x32 frames still differ.
    scored = []
    for speed0, start0 in candidates:
        cost, speed, start = _refine_on_hashes(dist, gif_times, video_fps, speed0, start0)
        pixel_cost = cost
        if gif_px is not None and video_px is not None:
            speed, start, pixel_cost = _refine_on_pixels(gif_px, video_px, gif_times,
                                                         video_fps, speed, start)
            offsets = np.rint(gif_times * speed * video_fps).astype(int)
            cost = float(_costs(dist, offsets, np.array([start]))[0])
        scored.append((pixel_cost, cost, speed, start))
    # Pixels decide when they clearly can; among candidates they cannot tell apart (within
    # the same slack), the hashes do.
    # The same Occam rule as within a candidate: a common speed's pixel cost counts the
    # slack less, and between equal hash costs the common speed wins.
    def common(speed: float) -> bool:
        return bool(np.any(np.abs(COMMON_SPEEDS / speed - 1) < 0.005))

    scored = [(c[0] / (1 + COMMON_SPEED_SLACK) if common(c[2]) else c[0], *c[1:])
              for c in scored]
    floor = min(c[0] for c in scored)
    contenders = [c for c in scored if c[0] <= floor * (1 + COMMON_SPEED_SLACK)]
    _, cost, speed, start = min(contenders, key=lambda c: (round(c[1], 6), not common(c[2]),
                                                           c[0]))
    best_coarse = best[0][0]

    def judge(cost: float, speed: float, start: int) -> tuple[int, float]:
        """End frame and confidence of a mapping; NoMatch if it is no match or ambiguous."""
        end = min(n_video, int(round(start + speed * gif_duration * video_fps)))
        contrast = 1.0 - cost / background if background > 0 else 0.0
        # The runner-up: the best mapping whose segment does not overlap the chosen one. A
        # runner-up nearly as good means the GIF shows something the video shows twice.
        runner_up = np.inf
        for s, costs in coarse:
            length = s * gif_duration * video_fps
            outside = (starts + length <= start) | (starts >= end)
            if outside.any():
                runner_up = min(runner_up, float(costs[outside].min()))
        margin = runner_up - best_coarse
        if cost > MAX_MEAN_DISTANCE or contrast < MIN_CONTRAST:
            raise NoMatch(f"no consistent match: mean distance {cost:.1f} bits (limit "
                          f"{MAX_MEAN_DISTANCE:g}), {contrast:.0%} below the typical cost "
                          f"(need {MIN_CONTRAST:.0%})")
        if margin < AMBIGUITY_MARGIN:
            raise NoMatch(f"ambiguous: another stretch of the video matches as well "
                          f"({runner_up:.1f} vs {best_coarse:.1f} bits)")
        confidence = float(np.clip(contrast, 0.0, 1.0) * np.clip(1 - cost / 32.0, 0.0, 1.0)
                           * np.clip(margin / (2 * AMBIGUITY_MARGIN), 0.0, 1.0))
        return end, confidence

    end, confidence = judge(cost, speed, start)
    return Alignment(start_sec=round(start / video_fps, 4), end_sec=round(end / video_fps, 4),
                     start_frame=int(start), end_frame=int(max(end, start + 1)),
                     speed=round(float(speed), 4), mean_distance=round(float(cost), 3),
                     confidence=round(float(confidence), 4))


def _refine_on_hashes(dist: np.ndarray, gif_times: np.ndarray, video_fps: float,
                      speed0: float, start0: int) -> tuple[float, float, int]:
    """Best (cost, speed, start) within 4% of ``speed0`` and 4 frames of ``start0``."""
    n_video = dist.shape[1]
    window = np.arange(max(0, start0 - 4), min(n_video, start0 + 5))
    final = (np.inf, speed0, start0)
    for speed in speed0 * np.linspace(0.96, 1.04, 33):
        offsets = np.rint(gif_times * speed * video_fps).astype(int)
        costs = _costs(dist, offsets, window)
        j = int(np.argmin(costs))
        # Ties (near-still shots look alike frame to frame) go to the speed nearest 1x.
        tie_break = 1e-3 * abs(np.log2(speed))
        if costs[j] + tie_break < final[0] - 1e-9:
            final = (float(costs[j]) + tie_break, float(speed), int(window[j]))
    cost, speed, start = final
    return cost - 1e-3 * abs(float(np.log2(speed))), speed, start


def _refine_on_pixels(gif_px: np.ndarray, video_px: np.ndarray, gif_times: np.ndarray,
                      video_fps: float, speed0: float, start0: int) -> tuple[float, int, float]:
    """Best (speed, start, pixel cost) within 10% of ``speed0`` and 6 frames of ``start0``,
    by the mean absolute difference of the 32x32 grey frames (clipped at 40 levels per
    frame, so a caption or a flash does not decide)."""
    gif_px = gif_px.astype(np.float32)
    n_video = len(video_px)
    starts = np.arange(max(0, start0 - 6), min(n_video, start0 + 7))
    best = (np.inf, speed0, start0)
    grid = speed0 * np.geomspace(0.9, 1.1, 61)
    common = COMMON_SPEEDS[(COMMON_SPEEDS >= grid[0]) & (COMMON_SPEEDS <= grid[-1])]
    for speed in np.concatenate([grid, common]):
        offsets = np.rint(gif_times * speed * video_fps).astype(int)
        idx = starts[:, None] + offsets[None, :]
        ok = idx[:, -1] < n_video
        if not ok.any():
            continue
        diff = np.abs(video_px[idx[ok]].astype(np.float32) - gif_px[None]).mean(axis=(2, 3))
        costs = np.minimum(diff, 40.0).mean(axis=1)
        if speed in common:
            # Occam: a speed GIF makers use (1x, or a round speed-up) wins unless another
            # fits clearly better; a still stretch fits 0.98x as well as 1x.
            costs = costs / (1 + COMMON_SPEED_SLACK)
        j = int(np.argmin(costs))
        if costs[j] < best[0]:
            best = (float(costs[j]), float(speed), int(starts[ok][j]))
    return best[1], best[2], best[0]


# Views hashed, all from one decode: the whole frame, the centre 80% of the picture (a
# cropped GIF) and the top 78% (where a burnt-in caption band at the bottom is cut away).
VIDEO_VIEWS = ["whole", "centre", "top"]


@dataclasses.dataclass
class VideoIndex:
    """What alignment needs of a video, from one decode: pHashes of the whole frame, its
    centre and its top (3 x frames), the 32x32 grey frames they came from, and the rate;
    and the file, to check a weak match's colours."""

    hashes: np.ndarray
    frames: np.ndarray
    fps: float
    path: str | None = None


def index_video(path: str | os.PathLike[str]) -> VideoIndex:
    frames = decode_views(path, VIDEO_VIEWS)
    hashes = np.stack([phash_batch(f) for f in frames])
    return VideoIndex(hashes, frames, video_frame_rate(path, frames.shape[1]), path=str(path))


def _mean_colours(path: str | os.PathLike[str], *, start: float | None = None,
                  seconds: float | None = None) -> np.ndarray:
    """Each decoded frame's mean colour (N x 3 RGB) from ``start`` for ``seconds``."""
    cmd = ["ffmpeg", "-nostdin", "-v", "error"]
    if start is not None:
        cmd += ["-ss", f"{start:.6f}"]
    if seconds is not None:
        cmd += ["-t", f"{seconds:.6f}"]
    cmd += ["-i", str(Path(path).absolute()), "-vf", "scale=1:1:flags=area,format=rgb24",
            "-f", "rawvideo", "-"]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        raise ValueError(f"{path}: cannot decode colours: "
                         f"{proc.stderr.decode('utf-8', 'replace').strip()[-200:]}")
    return np.frombuffer(proc.stdout, np.uint8).reshape(-1, 3).astype(np.float32)


def chroma_difference(gif: str | os.PathLike[str], video: str | os.PathLike[str],
                      alignment: Alignment, video_fps: float) -> float:
    """Median over the GIF's frames of how far its mean chroma (colour less its grey level)
    lies from the mapped video frame's, in levels of 255."""
    gif_rgb = _mean_colours(gif)
    times, _ = gif_timing(gif, len(gif_rgb))
    length = alignment.end_sec - alignment.start_sec
    video_rgb = _mean_colours(video, start=alignment.start_sec, seconds=length + 1.0)
    if len(gif_rgb) == 0 or len(video_rgb) == 0:
        return 0.0
    idx = np.clip(np.rint(np.asarray(times) * alignment.speed * video_fps).astype(int), 0,
                  len(video_rgb) - 1)

    def chroma(rgb: np.ndarray) -> np.ndarray:
        return rgb - rgb.mean(axis=1, keepdims=True)

    return float(np.median(np.abs(chroma(gif_rgb) - chroma(video_rgb[idx])).mean(axis=1)))


def content_box(path: str | os.PathLike[str]) -> str | None:
    """ffmpeg crop (w:h:x:y) that removes black bars around a GIF's picture, or None.

    A row or column belongs to a bar when it is near-black in *every* frame, so a fade to
    black or a dark scene is not mistaken for letterboxing.
    """
    _, width, height = gif_info(path)
    frames = decode_gray(path, side=0, native=(width, height))
    peak = frames.max(axis=0)
    rows = np.flatnonzero(peak.max(axis=1) > 24)
    cols = np.flatnonzero(peak.max(axis=0) > 24)
    if len(rows) == 0 or len(cols) == 0:
        return None
    top, bottom, left, right = rows[0], height - 1 - rows[-1], cols[0], width - 1 - cols[-1]
    if max(top + bottom, 0) < 0.04 * height and max(left + right, 0) < 0.04 * width:
        return None
    return f"{width - left - right}:{height - top - bottom}:{left}:{top}"


def video_frame_rate(path: str | os.PathLike[str], n_frames: int) -> float:
    """Frames per second of the video's decoded frames (average rate of the stream)."""
    meta = probe(path)
    if meta["fps"] > 0:
        return float(meta["fps"])
    return n_frames / meta["duration"] if meta["duration"] > 0 else frame_rate(None)


def align(gif: str | os.PathLike[str], video: str | os.PathLike[str] | None = None,
          *, index: VideoIndex | None = None) -> Alignment:
    """Align a GIF file to a video file (or to its :func:`index_video`, to decode once)."""
    if index is None:
        if video is None:
            raise ValueError("align needs a video or its index")
        index = index_video(video)
    box = content_box(gif)
    # GIF views: as is, without black bars (if any; dark footage can look letterboxed, so
    # both are tried), and the top part (a caption band cut away).
    whole = decode_views(gif, ["whole", "top"], parts=1)
    if box:
        debarred = decode_views(gif, ["whole", "top"], crop=box, parts=1)
        gif_frames = np.stack([whole[0], debarred[0], debarred[1]])
    else:
        gif_frames = whole[[0, 0, 1]]
    times, duration = gif_timing(gif, gif_frames.shape[1])
    times = np.asarray(times)
    flat = gif_frames[0].reshape(len(times), -1).astype(np.float32)
    # Blank frames (a fade to black, a flash to white) look like every other blank frame,
    # so they say nothing about where the GIF lies and are left out of the fit, keeping the
    # others' times. Repeated frames stay: on a still stretch they are the evidence that
    # the video holds still there too, and the clipped cost bounds what a held frame costs.
    keep = flat.std(axis=1) >= 3.0
    if not keep.any():
        raise NoMatch("the GIF is blank: nothing to match")
    gif_frames = gif_frames[:, keep]
    times = times[keep]
    hashes = [phash_batch(f) for f in gif_frames]
    # Each GIF view against the video view it can show: whole/whole, whole/centre (a crop),
    # debarred/whole, debarred/centre, top/top (a caption).
    pairings = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2)]
    matrices = [hamming(hashes[g], index.hashes[v]) for g, v in pairings]
    views = [(m, gif_frames[g], index.frames[v]) for m, (g, v) in zip(matrices, pairings)]
    result = align_distances(views, times, index.fps, gif_duration=duration)
    source = index.path if index.path is not None else video
    if result.confidence < VERIFY_BELOW and source is not None:
        difference = chroma_difference(gif, source, result, index.fps)
        if difference > MAX_CHROMA_DIFFERENCE:
            raise NoMatch(f"weak match whose colours disagree: confidence "
                          f"{result.confidence:.2f}, mean chroma {difference:.0f} apart "
                          f"(limit {MAX_CHROMA_DIFFERENCE:g}): a look-alike picture, not "
                          "this video's")
    return result
