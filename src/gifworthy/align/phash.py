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
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import scipy.fftpack

__all__ = ["HASH_SIDE", "VIEWS", "phash_batch", "decode_gray", "decode_views", "view", "hamming"]

HASH_SIDE = 32  # hash_size 8 x highfreq_factor 4, imagehash's defaults
_LOW = 8


# Rows 0-7 of the unnormalised DCT-II that scipy.fftpack.dct computes (y_k = 2 sum x_n
# cos(pi k (2n + 1) / 2N)): only the 8 x 8 low frequencies are kept, so two small matrix
# products replace two full 32-point DCTs.
_DCT_LOW = (2.0 * np.cos(np.pi * np.arange(_LOW)[:, None]
                         * (2 * np.arange(HASH_SIDE)[None, :] + 1) / (2 * HASH_SIDE)))
_DCT_LOW32 = _DCT_LOW.astype(np.float32)
# Rounding bound of the float32 products: a row pass sums 32 terms of at most 2 * 255
# (error <= 32 * 2**-24 * 16320 ~ 0.03), the column pass 32 terms of at most 2 * 16320
# (error <= 32 * 2**-24 * 1.1e6 + 2 * 32 * 0.03 ~ 4). Two coefficients more than twice
# that apart keep their order, so a frame whose 32nd and 33rd coefficients are farther
# apart than _SAFE_GAP has exactly imagehash's bits. Closer ones (1-4% of real frames;
# symmetric pictures, whose ties at the median depend on fftpack's own rounding) take
# the exact path.
_SAFE_GAP = 8.0


def _low_dct(frames: np.ndarray) -> np.ndarray:
    # D X D^T per frame: the DCT along columns (axis 1), then along rows (axis 2).
    low = np.matmul(np.matmul(_DCT_LOW32, frames.astype(np.float32)), _DCT_LOW32.T)
    return low.reshape(len(frames), _LOW * _LOW)


def _exact_bits(frames: np.ndarray) -> np.ndarray:
    """imagehash.phash's own computation (fftpack DCTs, numpy median), for many frames."""
    # Each 1-D transform is computed independently, so transforming only the 8 rows that
    # are kept gives the very same numbers (tested bit for bit).
    columns = scipy.fftpack.dct(frames, axis=1)[:, :_LOW, :]
    low = scipy.fftpack.dct(columns, axis=2)[:, :, :_LOW].reshape(len(frames), _LOW * _LOW)
    return low > np.median(low, axis=1, keepdims=True)


def phash_batch(frames: np.ndarray) -> np.ndarray:
    """pHash of ``frames`` (N x 32 x 32 uint8 grey) as N ``uint64``.

    A bit is set where a low-frequency coefficient exceeds the median of the 64, i.e. for
    the 32 largest when the 32nd and 33rd differ. The coefficients come from two float32
    matrix products; a frame whose 32nd and 33rd coefficients lie so close that rounding
    could swap them (flat or near-flat frames) is recomputed exactly as imagehash does, so
    the hashes are bit-identical to ``imagehash.phash`` (tested on blank, flat and real
    frames).
    """
    if frames.ndim != 3 or frames.shape[1:] != (HASH_SIDE, HASH_SIDE):
        raise ValueError(f"expected N x {HASH_SIDE} x {HASH_SIDE} grey frames, got {frames.shape}")
    if len(frames) == 0:
        return np.zeros(0, dtype=np.uint64)
    low = _low_dct(frames)
    middle = np.sort(low, axis=1)  # a sort of 64 values beats np.partition here
    lower, upper = middle[:, 31:32], middle[:, 32:33]
    bits = low >= upper
    unsure = (upper - lower)[:, 0] <= _SAFE_GAP
    if unsure.any():
        bits[unsure] = _exact_bits(frames[unsure])
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


# Views: ffmpeg does the one expensive step, an area scale of the full-size luma plane to a
# small grey square (single-threaded: swscale's per-frame slice threading costs more than
# the scale itself on small outputs); the views (whole picture, centre, top) are then cut from
# that square and area-averaged to 32x32 with two small matrix products over all frames.
# The GIF goes through the same steps, so GIF and video frames are resampled alike.
SMALL = 64
VIEWS = {  # (top, bottom, left, right) as fractions of the picture
    "whole": (0.0, 1.0, 0.0, 1.0),
    "centre": (0.1, 0.9, 0.1, 0.9),  # the centre 80% (a cropped GIF)
    "top": (0.0, 0.78, 0.0, 1.0),    # the top 78% (a caption band at the bottom cut away)
}


def _area_matrix(lo: float, hi: float, n_in: int, n_out: int) -> np.ndarray:
    """(n_out x n_in) weights: output cell k averages input pixels over its share of the
    interval [lo, hi) (in pixels), pixels partly inside weighted by their overlap."""
    edges = np.linspace(lo, hi, n_out + 1)
    px = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(edges[1:, None], px + 1) - np.maximum(edges[:-1, None], px),
                      0, None)
    return (overlap / overlap.sum(axis=1, keepdims=True)).astype(np.float32)


def views(small: np.ndarray, names: list[str], side: int = HASH_SIDE) -> np.ndarray:
    """The ``names`` views (see ``VIEWS``) of N small grey squares, each area-scaled to
    ``side``: (len(names), N, side, side) uint8. Views spanning the same columns share the
    column product."""
    n, h, w = small.shape
    x = small.astype(np.float32).reshape(n * h, w)
    by_columns: dict[tuple[float, float], np.ndarray] = {}
    out = np.empty((len(names), n, side, side), dtype=np.uint8)
    for k, name in enumerate(names):
        top, bottom, left, right = VIEWS[name]
        if (left, right) not in by_columns:
            cols = _area_matrix(left * w, right * w, w, side)
            by_columns[(left, right)] = (x @ cols.T).reshape(n, h, side)
        rows = _area_matrix(top * h, bottom * h, h, side)
        out[k] = np.rint(np.matmul(rows, by_columns[(left, right)]))
    return out


def view(small: np.ndarray, name: str, side: int = HASH_SIDE) -> np.ndarray:
    """The ``name`` view of N small grey squares (see :func:`views`)."""
    return views(small, [name], side)[0]


_TILE = 32  # frames per output packet: per-packet muxing costs more than a 64x64 frame


def _run_small(path: Path, crop: str | None, out: Path, *, seek: float = 0.0,
               frames: int | None = None, threads: int | None = None) -> None:
    """Decode ``path`` (from ``seek`` seconds, at most ``frames`` frames) to a raw file of
    small grey squares, ``_TILE`` frames per packet, each frame with a marker row."""
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    if threads:
        cmd += ["-threads", str(threads)]
    if seek > 0:
        cmd += ["-ss", f"{seek:.6f}"]  # input seek: lands on the keyframe at a cut exactly
    # The luma plane as decoded (no colour conversion), then the one scale. Inputs that are
    # not YUV (GIFs are palette/RGB) are converted first, to the same limited-range luma.
    # Frames are stacked _TILE to a packet; each gets a white marker row below it, so the
    # black filler of a last, partial stack is never mistaken for frames.
    vf = (f"format=yuv420p|yuvj420p|yuv422p|yuvj422p|yuv444p|yuvj444p|nv12|gray,"
          f"extractplanes=y,scale={SMALL}:{SMALL}:flags=area:threads=1,"
          f"pad={SMALL}:{SMALL + 1}:0:0:white,tile=1x{_TILE}:color=black")
    if crop:
        vf = f"crop={crop}," + vf
    if frames is not None:
        vf = f"trim=end_frame={frames}," + vf
    cmd += ["-i", str(path), "-an", "-vf", vf, "-fps_mode", "passthrough",
            "-f", "rawvideo", "-pix_fmt", "gray", str(out)]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ValueError(f"{path}: {message[-1] if message else 'cannot decode'}")


def _views_of_file(raw: Path, names: list[str], chunk: int = 4096) -> np.ndarray:
    """(len(names), N, 32, 32) views of a raw file written by :func:`_run_small`, read in
    chunks so an hour of video never sits in memory at full small size."""
    size = raw.stat().st_size
    small = np.memmap(raw, dtype=np.uint8, mode="r") if size else np.zeros(0, np.uint8)
    small = small.reshape(-1, SMALL + 1, SMALL)
    real = np.flatnonzero(small[:, SMALL, 0] > 128)  # marker row: a frame, not filler
    n = int(real[-1]) + 1 if len(real) else 0
    out = np.empty((len(names), n, HASH_SIDE, HASH_SIDE), dtype=np.uint8)
    for i in range(0, n, chunk):
        block = np.asarray(small[i:min(i + chunk, n), :SMALL])
        out[:, i:i + len(block)] = views(block, names)
    return out


def _stitch(head: np.ndarray, tail: np.ndarray, expected: int, window: int = 64
            ) -> np.ndarray | None:
    """Join two decoded stretches (views x frames x 32 x 32) that overlap.

    tail[0] should be head[j] for some j within ``window`` of ``expected``; the j whose
    overlap agrees exactly (ignoring tail's first frames, which a seek into an open GOP may
    spoil) wins, the nearest to ``expected`` if a still shot makes several agree. None when
    no j does.
    """
    n_head, n_tail = head.shape[1], tail.shape[1]
    skip = min(n_tail // 4, 4)
    candidates = []
    for j in range(max(0, expected - window), min(n_head, expected + window) + 1):
        length = min(n_head - j, n_tail, skip + 16)
        if length <= skip:
            continue
        if np.array_equal(head[:, j + skip:j + length], tail[:, skip:length]):
            candidates.append(j)
    if not candidates:
        return None
    j = min(candidates, key=lambda c: abs(c - expected))
    return np.concatenate([head[:, :j], tail], axis=1)


def _keyframe_splits(path: Path, parts: int) -> list[tuple[float, int]] | None:
    """Where to cut a video into ``parts`` stretches of about equal decoding work.

    The work of a frame is a fixed part (decoder bookkeeping, the scale, the output) plus
    a part per byte of its packet; measured on 360p H.264 the fixed part equals about 8 KB,
    so a frame weighs 1 + bytes / 8192 and the cuts go to the keyframes nearest to equal
    shares of the total weight (seconds alone would put a detailed opening and a quiet
    ending in equal stretches, bytes alone the reverse). A seek to a keyframe also decodes
    nothing that is thrown away. Returns
    (seek seconds from the start, index of the first frame there) per stretch, or None when
    the packets cannot be listed.
    """
    cmd = ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
           "packet=pts_time,size,flags", "-of", "csv=p=0", str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return None
    times, sizes, keys = [], [], []
    for line in proc.stdout.splitlines():
        fields = line.split(",")
        if len(fields) < 3 or fields[0] in ("", "N/A"):
            continue
        times.append(float(fields[0]))
        sizes.append(int(fields[1]))
        keys.append("K" in fields[2])
    if len(times) < 2:
        return None
    t = np.asarray(times)
    order = np.sort(t)
    weight = np.cumsum(1.0 + np.asarray(sizes) / 8192.0)  # file order ~ decode order
    share = weight / weight[-1]
    key_idx = np.flatnonzero(keys)
    cuts = [(0.0, 0)]
    for k in range(1, parts):
        i = key_idx[np.argmin(np.abs(share[key_idx] - k / parts))]
        start = float(t[i] - order[0])
        if start <= cuts[-1][0]:
            continue
        cuts.append((start, int(np.searchsorted(order, t[i]))))  # frames shown before it
    return cuts


def decode_views(path: str | os.PathLike[str], names: list[str], *, crop: str | None = None,
                 parts: int | None = None) -> np.ndarray:
    """The ``names`` views of every frame as 32x32 grey, shape (len(names), frames, 32, 32).

    The video is decoded once. A long video is cut at keyframes into ``parts`` stretches of
    about equal bytes (default two per CPU) decoded by single-threaded ffmpegs, one per CPU
    at a time (a single H.264 decoder barely keeps a second core busy); each stretch runs
    32 frames into the next, and they are joined where their frames agree exactly, so the
    result is frame for frame the sequential decode (if they ever disagree, the video is
    decoded sequentially instead). ``crop`` (ffmpeg w:h:x:y in the input's pixels) comes
    first.
    """
    from gifworthy.media.probe import probe

    path = Path(path).absolute()
    workers = max(1, min(os.cpu_count() or 1, 8))
    if parts is None:
        parts = 2 * workers if workers > 1 else 1
    cuts = None
    if parts > 1:
        meta = probe(path)
        parts = min(parts, int(meta["duration"] // 20))  # short videos: not worth a split
        if parts > 1:
            cuts = _keyframe_splits(path, parts)
    with tempfile.TemporaryDirectory(prefix="gifworthy-decode-") as tmp:
        whole = Path(tmp) / "all.raw"
        if not cuts or len(cuts) < 2:
            _run_small(path, crop, whole)
            return _views_of_file(whole, names)
        overlap = 32  # frames each stretch runs into the next
        outs = [Path(tmp) / f"part{i}.raw" for i in range(len(cuts))]
        with ThreadPoolExecutor(workers) as pool:
            jobs = [pool.submit(_run_small, path, crop, outs[i], seek=seek,
                                frames=None if i == len(cuts) - 1
                                else cuts[i + 1][1] - first + overlap, threads=1)
                    for i, (seek, first) in enumerate(cuts)]
            # Views of each stretch as soon as it is decoded, while later ones decode.
            frames = None
            for i, job in enumerate(jobs):
                job.result()
                stretch = _views_of_file(outs[i], names)
                outs[i].unlink()
                frames = stretch if frames is None else _stitch(frames, stretch, cuts[i][1])
                if frames is None:
                    break
        if frames is None:  # not an exact overlap: one sequential decode instead
            _run_small(path, crop, whole)
            return _views_of_file(whole, names)
        return frames
