"""Small ffprobe helpers. Frame counts are decoded or counted from packets, never read from the
container header (several real files disagree with their own metadata)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

from gifworthy.core.errors import GifworthyError

__all__ = ["DEFAULT_FPS", "MediaError", "check_complete", "count_frames", "decode_problems",
           "frame_rate", "probe", "remote_duration"]

# The one place a missing frame rate is decided: a container that reports none (some
# streams, empty files) is taken as 25 fps, the PAL rate most such files come from.
DEFAULT_FPS = 25.0


def frame_rate(fps: float | str | None) -> float:
    """``fps`` as a positive float, or :data:`DEFAULT_FPS` when it is missing or zero."""
    try:
        value = float(fps or 0.0)
    except (TypeError, ValueError):
        value = 0.0
    return value if value > 0 else DEFAULT_FPS


class MediaError(GifworthyError, RuntimeError):
    """ffmpeg/ffprobe could not read a file."""


def _abs(path: str | os.PathLike[str]) -> str:
    # Absolute paths: a file named "-abc.mp4" (a legal YouTube id) must never parse as a flag.
    return str(Path(path).absolute())


def probe(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return ``duration`` (s), ``width``, ``height``, ``fps`` and ``has_audio`` of a file.

    Raises :class:`MediaError` naming the file when it is not a readable video.
    """
    cmd = ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
           _abs(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        msg = (proc.stderr.strip().splitlines() or ["unreadable"])[-1]
        raise MediaError(f"{path}: {msg}")
    info = json.loads(proc.stdout or "{}")
    video = next((s for s in info.get("streams", []) if s.get("codec_type") == "video"), None)
    if video is None:
        raise MediaError(f"{path}: no video stream")
    duration = float(info.get("format", {}).get("duration") or video.get("duration") or 0.0)
    rate = video.get("avg_frame_rate") or video.get("r_frame_rate") or "0/1"
    try:
        fps = float(Fraction(rate)) if rate != "0/0" else 0.0
    except (ValueError, ZeroDivisionError):
        fps = 0.0
    return {
        "duration": duration,
        "width": int(video.get("width") or 0),
        "height": int(video.get("height") or 0),
        "fps": fps,
        "codec": video.get("codec_name", ""),
        "has_audio": any(s.get("codec_type") == "audio" for s in info.get("streams", [])),
    }


def count_frames(path: str | os.PathLike[str]) -> int:
    """Number of video frames, counted by demuxing every packet (exact for the files we write)."""
    cmd = ["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
           "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", _abs(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise MediaError(f"{path}: cannot count frames: {proc.stderr.strip()[-200:]}")
    return int(proc.stdout.strip().split(",")[0])


# ffmpeg's words for data that is not there or not decodable. It exits 0 on a file cut short
# with its index intact (the first half of a +faststart MP4) and only says so on stderr.
_DECODE_PROBLEM_RE = re.compile(
    r"partial file|invalid data found|error while decoding|corrupt|truncat|"
    r"moov atom not found|premature|invalid nal|missing picture", re.I)


def decode_problems(stderr: str | bytes, keep: int = 3) -> str:
    """The lines of ffmpeg's stderr that say input data is missing or undecodable ("" when
    there are none)."""
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    lines = [ln.strip() for ln in stderr.splitlines() if _DECODE_PROBLEM_RE.search(ln)]
    return " / ".join(dict.fromkeys(lines[:keep]))


def check_complete(path: str | os.PathLike[str]) -> None:
    """Raise :class:`MediaError` unless every packet the container's index lists is in the
    file: a file cut short with its index intact probes as whole (duration, size), so the
    packets are demuxed and counted (no decoding: tens of milliseconds for a clip)."""
    cmd = ["ffprobe", "-v", "error", "-count_packets", "-show_entries",
           "stream=index,codec_type,nb_frames,nb_read_packets", "-of", "json", _abs(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        msg = (proc.stderr.strip().splitlines() or ["unreadable"])[-1]
        raise MediaError(f"{path}: {msg}")
    problems = decode_problems(proc.stderr)
    for stream in json.loads(proc.stdout or "{}").get("streams", []):
        try:
            listed, present = int(stream["nb_frames"]), int(stream["nb_read_packets"])
        except (KeyError, TypeError, ValueError):
            continue  # a container without a frame count (MPEG-TS, WebM): nothing to compare
        if present < listed:
            raise MediaError(f"{path}: truncated: {present} of {listed} "
                             f"{stream.get('codec_type', 'stream')} packets present"
                             + (f" ({problems})" if problems else ""))
    if problems:
        raise MediaError(f"{path}: {problems}")


def remote_duration(url: str, *, timeout: float,
                    headers: dict[str, str] | None = None) -> float | None:
    """The duration a media URL's container declares (ffprobe reads its header, a few
    requests), or None when it cannot be read within ``timeout`` seconds a request."""
    cmd = ["ffprobe", "-v", "error", "-rw_timeout", str(int(timeout * 1e6))]
    if headers:
        cmd += ["-headers", "".join(f"{k}: {v}\r\n" for k, v in headers.items())]
    cmd += ["-show_entries", "format=duration", "-of", "csv=p=0", url]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=4 * timeout + 5)
        return float(proc.stdout.strip()) if proc.returncode == 0 else None
    except (subprocess.TimeoutExpired, ValueError):
        return None
