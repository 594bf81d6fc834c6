"""Perceptual hashes (imagehash's pHash) for many frames at once.

imagehash.phash(image) = DCT-II (scipy.fftpack, unnormalised) over rows then columns of the
image converted to 8-bit grey and resized to 32x32, keep the top-left 8x8 coefficients, and
set a bit where a coefficient exceeds their median. Here:

* ffmpeg decodes each video *once* and hands over 32x32 grey frames (``scale`` + ``format=gray``
  inside the decoder's process), so Python never sees a full-size frame;
* the two DCTs run over the whole batch with the same scipy.fftpack routine, so the bits are
  identical to ``imagehash.phash`` called frame by frame on those 32x32 frames (tested);
* a hash is a ``uint64`` whose most significant bit is imagehash's first bit (row-major), so
  ``hex(h)`` matches ``str(imagehash.phash(...))`` and Hamming distances are
  ``bitwise_count(a ^ b)``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import scipy.fftpack

__all__ = ["HASH_SIDE", "phash_batch", "decode_gray", "decode_gray_variants", "hamming"]

HASH_SIDE = 32  # hash_size 8 x highfreq_factor 4, imagehash's defaults
_LOW = 8


def phash_batch(frames: np.ndarray) -> np.ndarray:
    """pHash of ``frames`` (N x 32 x 32 uint8 grey) as N ``uint64``."""
    if frames.ndim != 3 or frames.shape[1:] != (HASH_SIDE, HASH_SIDE):
        raise ValueError(f"expected N x {HASH_SIDE} x {HASH_SIDE} grey frames, got {frames.shape}")
    if len(frames) == 0:
        return np.zeros(0, dtype=np.uint64)
    dct = scipy.fftpack.dct(scipy.fftpack.dct(frames, axis=1), axis=2)
    low = dct[:, :_LOW, :_LOW].reshape(len(frames), _LOW * _LOW)
    bits = low > np.median(low, axis=1, keepdims=True)
    return np.packbits(bits, axis=1).view(">u8").ravel().astype(np.uint64)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """All pairwise Hamming distances between hashes ``a`` (N) and ``b`` (M): N x M uint8."""
    return np.bitwise_count(a[:, None] ^ b[None, :]).astype(np.uint8)


def decode_gray(path: str | os.PathLike[str], *, side: int = HASH_SIDE,
                crop: str | None = None, native: tuple[int, int] | None = None) -> np.ndarray:
    """Every frame of a video or GIF as ``side`` x ``side`` grey, decoded and scaled by ffmpeg.

    ``crop`` is an ffmpeg crop expression applied first (e.g. to drop letterbox bars).
    Frames are passed through as decoded (no duplication or dropping for a frame rate).
    """
    vf = f"scale={side}:{side}:flags=lanczos,format=gray" if native is None else "format=gray"
    if crop:
        vf = f"crop={crop}," + vf
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(Path(path).absolute()), "-an",
           "-vf", vf, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ValueError(f"{path}: {message[-1] if message else 'cannot decode'}")
    data = np.frombuffer(proc.stdout, dtype=np.uint8)
    if native is not None:  # frames at their own size (width, height)
        return data.reshape(-1, native[1], native[0])
    return data.reshape(-1, side, side)


def decode_gray_variants(path: str | os.PathLike[str], crops: list[str | None], *,
                         side: int = HASH_SIDE, prescale: int | None = None) -> np.ndarray:
    """Several crops of every frame, each scaled to ``side`` x ``side`` grey, from ONE decode.

    ffmpeg splits the decoded frame, crops and scales each branch and stacks them side by
    side, so the cost over a single variant is a few tiny scales per frame. Returns an array
    of shape (len(crops), frames, side, side); a ``None`` crop is the whole frame, scaled
    exactly as :func:`decode_gray` does.
    """
    n = len(crops)
    branches = "".join(f"[v{i}]" for i in range(n))
    # prescale: shrink once (cheaply) before the branches, so each branch's lanczos works on
    # a small picture; the hashes then come from a 2-step resize (for speed on big videos).
    head = f"[0:v]scale={prescale}:-2:flags=area," if prescale else "[0:v]"
    parts = [f"{head}split={n}{branches}" if n > 1 else f"{head}null[v0]"]
    for i, crop in enumerate(crops):
        pre = f"crop={crop}," if crop else ""
        parts.append(f"[v{i}]{pre}scale={side}:{side}:flags=lanczos,format=gray[s{i}]")
    stack = "".join(f"[s{i}]" for i in range(n))
    parts.append(f"{stack}hstack=inputs={n}[out]" if n > 1 else "[s0]null[out]")
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(Path(path).absolute()), "-an",
           "-filter_complex", ";".join(parts), "-map", "[out]", "-fps_mode", "passthrough",
           "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ValueError(f"{path}: {message[-1] if message else 'cannot decode'}")
    frames = np.frombuffer(proc.stdout, dtype=np.uint8).reshape(-1, side, n, side)
    return frames.transpose(2, 0, 1, 3).copy()
