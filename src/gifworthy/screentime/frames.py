"""Frames: one JPEG a second to label, a video's frames as arrays, augmentation."""


from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from gifworthy.core.fsutil import atomic_dir
from gifworthy.media.probe import MediaError
from gifworthy.screentime.labels import LabelError

__all__ = ["HEADS", "IMAGE_SIZE", "augment", "extract_frames", "iter_videos", "load_frame",
           "model_size", "tiles", "video_frames"]


IMAGE_SIZE = 224
# What the classifier looks at (``screentime.head``): ``pooled``, the frame squeezed to
# 224x224 and its one average-pooled embedding; ``cells``, the frame with its shape kept
# (short side 224), in 224x224 tiles, and the embedding of every 32x32 cell of them.
HEADS = ("pooled", "cells")


def model_size(width: int, height: int, head: str) -> tuple[int, int]:
    """(width, height) a frame of ``width`` x ``height`` is scaled to for ``head``: 224x224,
    or the short side 224 with the shape kept (the long side even, as ffmpeg's -2 makes it)."""
    if head == "pooled":
        return IMAGE_SIZE, IMAGE_SIZE
    if head != "cells":
        raise ValueError(f"screentime.head: {head!r} is not one of {', '.join(HEADS)}")
    if width <= 0 or height <= 0:
        raise MediaError(f"a {width}x{height} picture has no shape to keep")
    scale = IMAGE_SIZE / max(1, min(width, height))
    long_side = max(IMAGE_SIZE, 2 * round(max(width, height) * scale / 2))
    return (long_side, IMAGE_SIZE) if width >= height else (IMAGE_SIZE, long_side)


def tiles(image: np.ndarray) -> np.ndarray:
    """(k, 224, 224, 3) square tiles spread evenly along the long side of an image whose short
    side is 224 (overlapping a little where the side is not a multiple of 224). A character
    keeps its shape and most of its pixels, where squeezing a 16:9 frame narrows it by half
    and the pooled embedding averages it with all the background."""
    h, w = image.shape[:2]
    if min(h, w) != IMAGE_SIZE:
        raise ValueError(f"tiles: a {w}x{h} image; the short side must be {IMAGE_SIZE}")
    count = -(-max(h, w) // IMAGE_SIZE)
    starts = np.linspace(0, max(h, w) - IMAGE_SIZE, count).round().astype(int)
    if w >= h:
        return np.stack([image[:, x:x + IMAGE_SIZE] for x in starts])
    return np.stack([image[y:y + IMAGE_SIZE] for y in starts])


# ---------------------------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------------------------
def extract_frames(video: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
                   fps: float = 1.0, max_width: int = 640) -> Path:
    """One JPEG a second (``fps``) of ``video`` in ``out_dir/<video stem>/000000.jpg`` ... for
    labelling. The folder appears complete or not at all (written beside it, then renamed)."""
    video = Path(video)
    target = Path(out_dir) / video.stem
    with atomic_dir(target) as tmp:
        cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(video), "-an",
               "-vf", f"{_sampling(fps)},scale='min({max_width},iw)':-2:flags=area",
               "-q:v", "2", "-start_number", "0", str(tmp / "%06d.jpg")]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            last = proc.stderr.strip().splitlines()
            raise MediaError(f"{video}: {last[-1] if last else 'cannot decode'}")
    return target


def load_frame(path: str | os.PathLike[str], head: str = "pooled") -> np.ndarray:
    """A labelled frame as the model sees it: RGB, scaled to :func:`model_size` for ``head``
    (area filter, as ffmpeg does for videos at run time)."""
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise LabelError(f"{path}: not a readable image")
    h, w = image.shape[:2]
    return cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), model_size(w, h, head),
                      interpolation=cv2.INTER_AREA)


def _sampling(fps: float) -> str:
    # round=up keeps the frame shown at each whole second (t = 0, 1, 2 ...); ffmpeg's
    # round=down would keep the last frame before the next second instead.
    return f"fps={fps:g}:round=up"


def video_frames(video: str | os.PathLike[str], fps: float = 1.0, *,
                 size: tuple[int, int] = (IMAGE_SIZE, IMAGE_SIZE), chunk: int = 64
                 ) -> Iterator[np.ndarray]:
    """Frames at ``fps`` as the model sees them ((n, height, width, 3) RGB chunks of ``size``
    = (width, height)), streamed from one ffmpeg decode so an hour-long episode never sits
    in memory whole."""
    width, height = size
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(video), "-an", "-vf",
           f"{_sampling(fps)},scale={width}:{height}:flags=area,format=rgb24",
           "-f", "rawvideo", "-"]
    frame_bytes = width * height * 3
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        while True:
            data = proc.stdout.read(frame_bytes * chunk)
            if len(data) >= frame_bytes:
                n = len(data) // frame_bytes
                yield np.frombuffer(data[:n * frame_bytes], np.uint8).reshape(n, height, width, 3)
            if len(data) < frame_bytes * chunk:
                break
        err = proc.stderr.read().decode("utf-8", "replace").strip().splitlines()
        if proc.wait() != 0:
            raise MediaError(f"{video}: {err[-1] if err else 'cannot decode'}")


def augment(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A plausible other view of a frame: mirrored, cropped to 75-100% and rescaled, with
    brightness, contrast and colour balance moved by up to 20%."""
    import cv2

    h, w = frame.shape[:2]
    out = frame[:, ::-1] if rng.random() < 0.5 else frame
    scale = rng.uniform(0.75, 1.0)
    ch, cw = int(h * scale), int(w * scale)
    y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
    out = cv2.resize(np.ascontiguousarray(out[y:y + ch, x:x + cw]), (w, h),
                     interpolation=cv2.INTER_LINEAR).astype(np.float32)
    gain = rng.uniform(0.8, 1.2) * rng.uniform(0.9, 1.1, size=3)
    out = (out - out.mean()) * rng.uniform(0.8, 1.2) + out.mean()
    return np.clip(out * gain + rng.uniform(-20, 20), 0, 255).astype(np.uint8)


def iter_videos(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Video files named directly or found in named folders (sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(q for q in p.iterdir()
                          if q.suffix.lower() in {".mp4", ".mkv", ".webm", ".avi", ".mov"})
        else:
            out.append(p)
    return out
