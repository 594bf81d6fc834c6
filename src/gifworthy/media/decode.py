"""Decode a video once into several frame streams, each at the size and rate a consumer needs.

One ffmpeg process splits the decoded picture into branches (``split``), each with its own
frame rate and scale, and writes every branch to its own raw file; the caller gets them as
read-only arrays. So shot detection (48x27 RGB, every frame), motion statistics (small grey,
every frame) and an image model (224x224 RGB, a few frames a second) share one decode.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from gifworthy.media.probe import MediaError, probe

__all__ = ["Stream", "decode_streams"]

_CHANNELS = {"rgb24": 3, "gray": 1}


@dataclasses.dataclass(frozen=True)
class Stream:
    """One output: ``width`` x ``height`` frames in ``pix_fmt``, every decoded frame
    (``fps`` None) or resampled to ``fps`` frames a second."""

    width: int
    height: int
    pix_fmt: str = "rgb24"
    fps: float | None = None

    def filters(self) -> str:
        rate = f"fps={self.fps:g}:round=down," if self.fps else ""
        return f"{rate}scale={self.width}:{self.height}:flags=area,format={self.pix_fmt}"


@contextmanager
def decode_streams(path: str | os.PathLike[str], streams: dict[str, Stream],
                   info: dict[str, Any] | None = None
                   ) -> Iterator[tuple[dict[str, np.ndarray], dict[str, Any]]]:
    """Decode ``path`` once; yield ({name: frames array}, video info) while the raw files
    exist. Arrays are (frames, height, width[, 3]) uint8 memory maps. ``info`` is the
    file's :func:`media.probe` when the caller has it already.

    Raises :class:`MediaError` naming the file when ffmpeg cannot decode it.
    """
    path = Path(path).absolute()
    info = info or probe(path)
    names = list(streams)
    if not names:
        yield {}, info
        return
    with tempfile.TemporaryDirectory(prefix="gifworthy-streams-") as tmp:
        outs = {name: Path(tmp) / f"{i}.raw" for i, name in enumerate(names)}
        labels = "".join(f"[s{i}]" for i in range(len(names)))
        graph = [f"[0:v]split={len(names)}{labels}" if len(names) > 1 else "[0:v]null[s0]"]
        graph += [f"[s{i}]{streams[n].filters()}[o{i}]" for i, n in enumerate(names)]
        cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(path), "-an",
               "-filter_complex", ";".join(graph)]
        for i, name in enumerate(names):
            cmd += ["-map", f"[o{i}]", "-fps_mode", "passthrough", "-f", "rawvideo",
                    "-pix_fmt", streams[name].pix_fmt, str(outs[name])]
        proc = subprocess.run(cmd, capture_output=True)
        if proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise MediaError(f"{path}: {message[-1] if message else 'cannot decode'}")
        arrays = {}
        for name in names:
            s = streams[name]
            shape = (s.height, s.width) + ((_CHANNELS[s.pix_fmt],) if s.pix_fmt != "gray" else ())
            size = outs[name].stat().st_size
            if size == 0:
                arrays[name] = np.zeros((0,) + shape, np.uint8)
            else:
                arrays[name] = np.memmap(outs[name], dtype=np.uint8, mode="r").reshape(
                    (-1,) + shape)
        yield arrays, info
