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

__all__ = ["IMAGE_SIZE", "augment", "extract_frames", "iter_videos", "load_frame", "video_frames"]


IMAGE_SIZE = 224


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


def _square(image: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.resize(image, (IMAGE_SIZE, IMAGE_SIZE), interpolation=cv2.INTER_AREA)


def load_frame(path: str | os.PathLike[str]) -> np.ndarray:
    """A labelled frame as the model sees it: RGB, squeezed to 224x224 (area filter, as
    ffmpeg does for videos at run time)."""
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise LabelError(f"{path}: not a readable image")
    return _square(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))


def _sampling(fps: float) -> str:
    # round=up keeps the frame shown at each whole second (t = 0, 1, 2 ...); ffmpeg's
    # round=down would keep the last frame before the next second instead.
    return f"fps={fps:g}:round=up"


def video_frames(video: str | os.PathLike[str], fps: float = 1.0, *, chunk: int = 64
                 ) -> Iterator[np.ndarray]:
    """Frames at ``fps`` as the model sees them ((n, 224, 224, 3) RGB chunks), streamed from
    one ffmpeg decode so an hour-long episode never sits in memory whole."""
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(video), "-an", "-vf",
           f"{_sampling(fps)},scale={IMAGE_SIZE}:{IMAGE_SIZE}:flags=area,format=rgb24",
           "-f", "rawvideo", "-"]
    size = IMAGE_SIZE * IMAGE_SIZE * 3
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        while True:
            data = proc.stdout.read(size * chunk)
            if len(data) >= size:
                n = len(data) // size
                yield np.frombuffer(data[:n * size], np.uint8).reshape(n, IMAGE_SIZE, IMAGE_SIZE, 3)
            if len(data) < size * chunk:
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
