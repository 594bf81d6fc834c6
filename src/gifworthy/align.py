"""Align a GIF to its source video with perceptual hashes: start, end, speed, confidence.

Video2GIF matched every GIF frame to every video frame and took per-frame argmins. Here the
GIF is fitted as one monotonic mapping, video_time = start + speed * gif_time, where gif_time
comes from the GIF's own frame delays:

1. hash every video frame once (``index_video``) and every GIF frame;
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
from typing import Any

import numpy as np

from .gifify import gif_info, gif_timing
from .phash import decode_gray, decode_gray_variants, hamming, phash_batch

__all__ = ["Alignment", "NoMatch", "VideoIndex", "align", "align_distances", "index_video"]

SPEEDS = np.geomspace(0.25, 8.0, 121)
CLIP = 20            # a frame's distance counts at most this much (captions, flashes, drops)
MAX_MEAN_DISTANCE = 14.0   # bits of 64: above this the frames are not the same pictures
MIN_CONTRAST = 0.30        # best cost must lie this far below the typical cost
AMBIGUITY_MARGIN = 1.0     # bits by which the best must beat any non-overlapping mapping


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


def align_distances(dist: np.ndarray, gif_times: np.ndarray, video_fps: float, *,
                    gif_duration: float | None = None,
                    views: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
                    ) -> Alignment:
    """Fit the mapping to a GIF x video distance matrix (see the module docstring).

    ``views`` are (distance matrix, GIF 32x32 frames, video 32x32 frames) of the views that
    ``dist`` combines; the one that fits best at the hash mapping gives the pixels on which
    start and speed are refined.
    """
    n_gif, n_video = dist.shape
    if n_gif == 0 or n_video == 0:
        raise NoMatch("empty GIF or video")
    gif_times = np.asarray(gif_times, dtype=np.float64)
    if gif_duration is None:
        step = np.median(np.diff(gif_times)) if n_gif > 1 else 0.1
        gif_duration = float(gif_times[-1] + step)
    starts = np.arange(n_video)

    # Coarse: up to 24 GIF frames spread over the GIF, all speeds, all starts.
    sub = np.unique(np.linspace(0, n_gif - 1, min(n_gif, 24)).round().astype(int))
    coarse: list[tuple[float, np.ndarray]] = []
    best: list[tuple[float, float, int]] = []
    typical = []
    for speed in SPEEDS:
        if speed * gif_duration * video_fps > n_video * 1.05 and best:
            continue  # the GIF would not fit in the video at this speed
        offsets = np.rint(gif_times[sub] * speed * video_fps).astype(int)
        costs = _costs(dist[sub], offsets, starts)
        j = int(np.argmin(costs))
        best.append((float(costs[j]), float(speed), j))
        typical.append(float(np.median(costs)))
        coarse.append((float(speed), costs))
    best.sort()
    # Refine the three best (speed, start) candidates with every GIF frame.
    final: tuple[float, float, int] | None = None
    for _, speed0, start0 in best[:3]:
        for speed in speed0 * np.linspace(0.96, 1.04, 33):
            offsets = np.rint(gif_times * speed * video_fps).astype(int)
            window = np.arange(max(0, start0 - 4), min(n_video, start0 + 5))
            costs = _costs(dist, offsets, window)
            j = int(np.argmin(costs))
            # Ties (near-still shots look alike frame to frame) go to the speed nearest 1x.
            cand = (float(costs[j]) + 1e-3 * abs(np.log2(speed)), float(speed), int(window[j]))
            if final is None or cand[0] < final[0] - 1e-9:
                final = cand
    assert final is not None
    cost, speed, start = final
    cost -= 1e-3 * abs(float(np.log2(speed)))  # report the distance without the tie-break
    background = float(np.median(typical))
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
    if views:
        # 64 bits cannot tell neighbouring frames of slow footage apart; the 32x32 grey
        # frames the hashes came from can. Refine start and speed on the best-fitting view.
        offsets = np.rint(gif_times * speed * video_fps).astype(int)
        view_costs = [float(_costs(m, offsets, np.array([start]))[0]) for m, _, _ in views]
        _, gif_px, video_px = views[int(np.argmin(view_costs))]
        speed, start = _refine_on_pixels((gif_px, video_px), gif_times, video_fps, speed, start)
        offsets = np.rint(gif_times * speed * video_fps).astype(int)
        cost = float(_costs(dist, offsets, np.array([start]))[0])
        end, confidence = judge(cost, speed, start)
    return Alignment(start_sec=round(start / video_fps, 4), end_sec=round(end / video_fps, 4),
                     start_frame=int(start), end_frame=int(max(end, start + 1)),
                     speed=round(float(speed), 4), mean_distance=round(float(cost), 3),
                     confidence=round(float(confidence), 4))


def _refine_on_pixels(pixels: tuple[np.ndarray, np.ndarray], gif_times: np.ndarray,
                      video_fps: float, speed0: float, start0: int) -> tuple[float, int]:
    gif_px, video_px = pixels
    gif_px = gif_px.astype(np.float32)
    n_video = len(video_px)
    best = (np.inf, speed0, start0)
    for speed in speed0 * np.geomspace(0.9, 1.1, 61):
        offsets = np.rint(gif_times * speed * video_fps).astype(int)
        for start in range(max(0, start0 - 6), min(n_video, start0 + 7)):
            idx = start + offsets
            if idx[-1] >= n_video:
                continue
            diff = np.abs(video_px[idx].astype(np.float32) - gif_px).mean(axis=(1, 2))
            cost = float(np.minimum(diff, 40.0).mean()) + 0.01 * abs(np.log2(speed / speed0))
            if cost < best[0]:
                best = (cost, float(speed), int(start))
    return best[1], best[2]


# Crops hashed besides the whole frame, all from one decode: a GIF of the centre 80% of the
# picture, and the top 78% (where a burnt-in caption band at the bottom is cut away).
CENTRE = "trunc(iw*0.4)*2:trunc(ih*0.4)*2"
TOP = "iw:trunc(ih*0.39)*2:0:0"


@dataclasses.dataclass
class VideoIndex:
    """What alignment needs of a video, from one decode: pHashes of the whole frame, its
    centre and its top (3 x frames), the 32x32 grey frames they came from, and the rate."""

    hashes: np.ndarray
    frames: np.ndarray
    fps: float


def index_video(path: str | os.PathLike[str]) -> VideoIndex:
    frames = decode_gray_variants(path, [None, CENTRE, TOP])
    hashes = np.stack([phash_batch(f) for f in frames])
    return VideoIndex(hashes, frames, video_frame_rate(path, frames.shape[1]))


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
    from .media import probe

    meta = probe(path)
    if meta["fps"] > 0:
        return float(meta["fps"])
    return n_frames / meta["duration"] if meta["duration"] > 0 else 25.0


def align(gif: str | os.PathLike[str], video: str | os.PathLike[str] | None = None,
          *, index: VideoIndex | None = None) -> Alignment:
    """Align a GIF file to a video file (or to its :func:`index_video`, to decode once)."""
    if index is None:
        if video is None:
            raise ValueError("align needs a video or its index")
        index = index_video(video)
    box = content_box(gif)
    if box:
        w, h, x, y = (int(v) for v in box.split(":"))
        top = f"{w}:{int(h * 0.78) // 2 * 2}:{x}:{y}"
    else:
        top = TOP
    # GIF views: as is, without black bars (if any; dark footage can look letterboxed, so
    # both are tried), and the top part (a caption band cut away).
    gif_frames = decode_gray_variants(gif, [None, box, top] if box else [None, top])
    if not box:
        gif_frames = gif_frames[[0, 0, 1]]
    times, duration = gif_timing(gif, gif_frames.shape[1])
    times = np.asarray(times)
    flat = gif_frames[0].reshape(len(times), -1).astype(np.float32)
    # Blank frames (a fade to black, a flash to white) look like every other blank frame,
    # and a frame identical to the one before it (held over a dropped frame, or repeated
    # by a higher frame rate) shows an earlier moment than its display time: neither says
    # where the GIF lies, so both are left out of the fit, keeping the others' times.
    keep = flat.std(axis=1) >= 3.0
    previous = None
    for i in range(len(flat)):
        if previous is not None and np.abs(flat[i] - flat[previous]).mean() < 0.5:
            keep[i] = False
        elif keep[i]:
            previous = i
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
    return align_distances(np.minimum.reduce(matrices), times, index.fps,
                           gif_duration=duration, views=views)


# --------------------------------------------------------------------------------------------
# The align stage: every GIF of a video against that video, decoded once
# --------------------------------------------------------------------------------------------
def align_video_gifs(video: str | os.PathLike[str] | None,
                     gifs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Align each GIF (``{"gif_id", "path", ...}``) to ``video``; one record per GIF.

    A record has ``aligned`` (bool) and either the alignment or the reason it was rejected.
    A missing video (download failed) or an unreadable GIF is a record too, never an error.
    """
    records = []
    index = None
    video_error = ""
    if video is None:
        video_error = "source video not downloaded"
    else:
        try:
            index = index_video(video)
        except (ValueError, OSError) as exc:
            video_error = f"source video unreadable: {exc}"
    for gif in gifs:
        base = {k: gif.get(k) for k in ("gif_id", "youtube_id")}
        if index is None:
            records.append({**base, "aligned": False, "reason": video_error})
            continue
        try:
            result = align(gif["path"], index=index)
        except NoMatch as exc:
            records.append({**base, "aligned": False, "reason": str(exc)})
            continue
        except (ValueError, OSError) as exc:
            records.append({**base, "aligned": False, "reason": f"unreadable GIF: {exc}"})
            continue
        records.append({**base, "aligned": True, **result.as_dict()})
    return records


def evaluate(records: list[dict[str, Any]], truth: dict[str, dict[str, Any]],
             fps: dict[str, float]) -> dict[str, Any]:
    """Accuracy against known segments, per distortion kind.

    ``truth[gif_id]`` has ``start_frame``, ``end_frame`` (exclusive), ``distortion`` and
    ``decoy`` (a GIF that does not come from its video, which must be rejected).
    """
    kinds: dict[str, dict[str, Any]] = {}
    all_errors: list[float] = []
    within = total = 0
    decoys = decoys_rejected = 0
    for rec in records:
        t = truth.get(rec["gif_id"])
        if t is None:
            continue
        if t.get("decoy"):
            decoys += 1
            decoys_rejected += not rec["aligned"]
            continue
        k = kinds.setdefault(t["distortion"], {"gifs": 0, "aligned": 0, "within_one_frame": 0,
                                               "max_error_s": 0.0})
        k["gifs"] += 1
        total += 1
        if not rec["aligned"]:
            continue
        k["aligned"] += 1
        frame_errors = (abs(rec["start_frame"] - t["start_frame"]),
                        abs(rec["end_frame"] - t["end_frame"]))
        ok = max(frame_errors) <= 1
        k["within_one_frame"] += ok
        within += ok
        err_s = max(frame_errors) / fps[rec["youtube_id"]]
        k["max_error_s"] = round(max(k["max_error_s"], err_s), 3)
        all_errors.append(err_s)
    for k in kinds.values():
        k["within_one_frame_share"] = round(k["within_one_frame"] / k["gifs"], 4)
    return {
        "gifs": total,
        "aligned": sum(k["aligned"] for k in kinds.values()),
        "within_one_frame_share": round(within / total, 4) if total else 0.0,
        "max_error_s": round(max(all_errors), 3) if all_errors else 0.0,
        "decoys": decoys,
        "decoys_rejected": decoys_rejected,
        "by_distortion": dict(sorted(kinds.items())),
    }
