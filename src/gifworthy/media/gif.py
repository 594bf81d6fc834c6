"""GIF and WebP readers: frame counts, sizes and per-frame timing, read from the files' own
blocks (sparing an ffprobe process per GIF)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["gif_delays", "gif_info", "gif_timing", "webp_info"]


def _gif_frames(path: str | os.PathLike[str]) -> tuple[int, int, list[int]]:
    """Walk a GIF's blocks: (width, height, each frame's delay in centiseconds).

    A frame's delay comes from the Graphic Control Extension before it (0 if none). Reading
    the file directly spares an ffprobe process per GIF.
    """
    data = Path(path).read_bytes()
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError(f"{path}: not a GIF file")
    width = int.from_bytes(data[6:8], "little")
    height = int.from_bytes(data[8:10], "little")
    pos = 13
    if data[10] & 0x80:
        pos += 3 * (2 << (data[10] & 7))
    delays: list[int] = []
    pending = 0

    def skip_sub_blocks(at: int) -> int:
        while at < len(data) and data[at]:
            at += data[at] + 1
        return at + 1

    while pos < len(data):
        block = data[pos]
        if block == 0x21:  # extension: label, then sub-blocks
            if data[pos + 1] == 0xF9 and data[pos + 2] >= 4:
                pending = int.from_bytes(data[pos + 4:pos + 6], "little")
            pos = skip_sub_blocks(pos + 2)
        elif block == 0x2C:  # image descriptor (+ local colour table) + LZW data
            flags = data[pos + 9]
            pos += 10
            if flags & 0x80:
                pos += 3 * (2 << (flags & 7))
            pos = skip_sub_blocks(pos + 1)
            delays.append(pending)
            pending = 0
        elif block == 0x3B:  # trailer
            break
        else:
            raise ValueError(f"{path}: corrupt GIF block 0x{block:02x} at byte {pos}")
    return width, height, delays


def gif_info(path: str | os.PathLike[str]) -> tuple[int, int, int]:
    """(frames, width, height) of a GIF."""
    width, height, delays = _gif_frames(path)
    return len(delays), width, height


def gif_delays(path: str | os.PathLike[str]) -> list[int]:
    """Each frame's delay in centiseconds (0 if the frame has none)."""
    return _gif_frames(path)[2]


def gif_timing(path: str | os.PathLike[str], n_frames: int) -> tuple[list[float], float]:
    """Display time (s) of each of ``n_frames`` decoded frames and the GIF's duration.

    Delays of 0 or 1 cs play as 10 cs in browsers, as they did when the GIFs were watched.
    If the decoder returned another number of frames than the file holds, frames are
    spread evenly over the file's duration.
    """
    delays = [d if d > 1 else 10 for d in gif_delays(path)]
    total = sum(delays) / 100.0
    if len(delays) == n_frames and max(delays) - min(delays) <= 1:
        # A constant rate stored in whole centiseconds (1/16 s as 6,6,6,7): the rounding is
        # the encoder's, not the maker's, so spread the frames evenly.
        step = total / n_frames
        return [i * step for i in range(n_frames)], total
    if len(delays) == n_frames:
        times = np.cumsum([0] + delays[:-1]) / 100.0
        return [float(t) for t in times], total
    step = total / max(1, n_frames)
    return [i * step for i in range(n_frames)], total


def webp_info(path: str | os.PathLike[str]) -> tuple[int, int, int]:
    """(frames, width, height) of a WebP file, from its RIFF chunks (ANMF = one frame)."""
    data = Path(path).read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError(f"{path}: not a WebP file")
    pos, frames, width, height = 12, 0, 0, 0
    while pos + 8 <= len(data):
        tag, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "little")
        body = data[pos + 8:pos + 8 + size]
        if tag == b"VP8X" and len(body) >= 10:
            width = int.from_bytes(body[4:7], "little") + 1
            height = int.from_bytes(body[7:10], "little") + 1
        elif tag == b"ANMF":
            frames += 1
        elif tag in (b"VP8 ", b"VP8L"):
            frames = max(frames, 1)
        pos += 8 + size + (size & 1)
    return frames, width, height
