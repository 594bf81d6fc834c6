"""ffmpeg encoders: clips cut out of videos (``trim``) and animations of a stretch of video
(``gifify``: GIF, WebP or MP4).

Trim modes: ``exact`` is input seek plus re-encode (the clip starts on the annotated time and
lasts the annotated duration to within one frame, whatever the keyframe layout); ``fast`` is
stream copy (I/O-bound, but the cut snaps to the keyframe at or before the start).

Animations: Kinetics-explorer GIFs (sample 4 fps, play 16 fps, width 180), better per byte.

The Kinetics explorer made each GIF with two ffmpeg calls, a PNG round trip, and ffmpeg's
default GIF palette (a fixed 3-3-2 colour cube). Here one ffmpeg call does everything:

* ``fps`` samples, ``scale`` keeps the display aspect ratio (non-square pixels included),
  ``settb``/``setpts`` re-time frames to the play rate *exactly* (a ``setpts=PTS/4`` in the
  sampled time base would round timestamps and silently drop frames), and a final ``fps``
  at the play rate sets the stream's rate, without which the encoder keeps the sampling
  rate's time base and the GIF's frame delays come out as 1,1,1,22 cs instead of 6,6,6,7;
* a palette made for the clip (``palettegen``), estimated on frames quantised to RGB555:
  32k possible colours instead of 16M make palettegen several times cheaper at no visible
  cost, which is what makes the one-pass method faster than the PNG round trip;
* ``paletteuse`` with an *ordered* dither by default (``bayer5``): its pattern is fixed from
  frame to frame, so the GIF encoder's inter-frame transparency (``transdiff``) and LZW still
  compress static areas, while error-diffusion dithers (Floyd-Steinberg, sierra) make every
  frame differ and cost 20-30% more bytes for no PSNR gain (measured: benchmarks/).

The same timing chain also writes animated WebP and looping H.264 MP4 (yuv420p, even sizes,
no audio, ``+faststart``), chosen by the output's suffix.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import ffmpeg

from gifworthy.core.errors import GifworthyError
from gifworthy.core.fsutil import atomic_path
from gifworthy.media.gif import gif_info, webp_info
from gifworthy.media.probe import MediaError, count_frames, decode_problems, probe

__all__ = ["DITHERS", "FORMATS", "TRIM_MODES", "GififyError", "TrimError", "gifify", "trim"]

TRIM_MODES = ("exact", "fast")


DITHERS = {
    "none": "none",
    **{f"bayer{i}": f"bayer:bayer_scale={i}" for i in range(6)},
    "sierra2_4a": "sierra2_4a",
    "floyd_steinberg": "floyd_steinberg",
}


FORMATS = ("gif", "webp", "mp4")


class GififyError(GifworthyError, RuntimeError):
    """ffmpeg could not make the animation (corrupt input, nothing in the range)."""


class TrimError(GifworthyError, RuntimeError):
    """ffmpeg could not cut the clip (corrupt or unreadable input)."""


def trim(src: str | os.PathLike[str], dst: str | os.PathLike[str], *, start: float,
         duration: float, mode: str = "exact", crf: int = 20,
         preset: str = "veryfast") -> dict[str, Any]:
    """Cut ``duration`` seconds from ``start`` of ``src`` into ``dst`` (written atomically).

    Raises :class:`TrimError` with ffmpeg's own explanation when the input is unreadable.
    """
    if duration <= 0:
        raise TrimError(f"{src}: non-positive duration {duration}")
    src_path = Path(src).absolute()
    t0 = time.perf_counter()
    try:
        # What the source says it holds: a clip may end early only where the source does.
        source_duration = probe(src_path)["duration"]
    except MediaError as exc:
        raise TrimError(f"{src}: unreadable: {exc}") from None
    stream = ffmpeg.input(str(src_path), ss=f"{start:.6f}")
    with atomic_path(dst) as tmp:
        if mode == "exact":
            out = ffmpeg.output(stream, str(tmp), t=f"{duration:.6f}", vcodec="libx264",
                                crf=crf, preset=preset, pix_fmt="yuv420p", acodec="aac",
                                movflags="+faststart", map_metadata=-1,
                                **{"b:a": "96k", "fflags": "+bitexact"})
        elif mode == "fast":
            out = ffmpeg.output(stream, str(tmp), t=f"{duration:.6f}", c="copy",
                                avoid_negative_ts="make_zero", movflags="+faststart",
                                map_metadata=-1)
        else:
            raise ValueError(f"unknown trim mode {mode!r}")
        try:
            _, stderr = out.overwrite_output().global_args("-nostdin", "-v", "error").run(
                capture_stdout=True, capture_stderr=True)
        except ffmpeg.Error as exc:
            msg = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
            raise TrimError(f"{src}: {msg[-1] if msg else 'ffmpeg failed'}") from None
        problems = decode_problems(stderr)
        if problems:
            # ffmpeg exits 0 on a source cut short with its index intact; the clip would look
            # complete and be short.
            raise TrimError(f"{src}: source damaged: {problems}")
        try:
            frames = count_frames(tmp)
            meta = probe(tmp)
        except MediaError as exc:
            raise TrimError(f"{src}: output unreadable: {exc}") from None
        if frames == 0:
            raise TrimError(f"{src}: no frames between {start:g} s and {start + duration:g} s")
        expected = min(duration, source_duration - start)
        got = frames / meta["fps"] if meta["fps"] else meta["duration"]
        slack = 2.0 / meta["fps"] if meta["fps"] else 0.1
        if mode == "exact" and got < expected - slack:
            raise TrimError(f"{src}: decoded {got:.3f} s of the {expected:.3f} s asked for "
                            f"(the source says it lasts {source_duration:.3f} s): source "
                            "truncated")
    # Video duration from the decoded frame count: the container's duration includes audio
    # priming and rounding and would hide a one-frame error.
    video_duration = frames / meta["fps"] if meta["fps"] else meta["duration"]
    return {"frames": frames, "duration": round(video_duration, 6), "fps": meta["fps"],
            "width": meta["width"], "height": meta["height"],
            "ffmpeg_seconds": round(time.perf_counter() - t0, 3)}


def _filters(fmt: str, *, sample_fps: float, play_fps: float, width: int, colors: int,
             dither: str, single_frame: bool) -> str:
    # Height from the display aspect ratio; even for H.264 (yuv420p needs it), exact otherwise.
    if fmt == "mp4":
        width = max(2, width // 2 * 2)
        height = f"max(2\\,trunc({width}/dar/2+0.5)*2)"
    else:
        height = f"max(1\\,round({width}/dar))"
    sample = "" if single_frame else f"fps={sample_fps:g},"
    chain = (f"{sample}scale={width}:'{height}':flags=bicubic,setsar=1,"
             f"settb=1/{play_fps:g},setpts=N,fps={play_fps:g}")
    if fmt == "gif":
        return (f"{chain},split[a][b];"
                f"[a]format=rgb555le,format=rgb24,palettegen=max_colors={colors}:"
                f"stats_mode=full[p];[b][p]paletteuse=dither={DITHERS[dither]}:"
                f"diff_mode=rectangle")
    if fmt == "mp4":
        return f"{chain},format=yuv420p"
    return chain


def _output_args(fmt: str, play_fps: float) -> dict[str, Any]:
    common = {"fps_mode": "passthrough", "map_metadata": -1, "an": None}
    if fmt == "gif":
        return {**common, "loop": 0, "f": "gif"}
    if fmt == "webp":
        return {**common, "vcodec": "libwebp_anim", "loop": 0, "lossless": 0, "quality": 70,
                "compression_level": 4, "f": "webp"}
    return {**common, "vcodec": "libx264", "crf": 26, "preset": "veryfast", "r": f"{play_fps:g}",
            "movflags": "+faststart", "f": "mp4", "fflags": "+bitexact"}


def gifify(video: str | os.PathLike[str], out: str | os.PathLike[str], *,
           start: float | None = None, end: float | None = None, sample_fps: float = 4,
           play_fps: float = 16, width: int = 180, colors: int = 48,
           dither: str = "bayer5") -> dict[str, Any]:
    """Write ``video[start:end]`` as an animation to ``out`` (format from its suffix).

    Returns frames, size and timing. A range shorter than one sample interval still gives
    one frame. Raises :class:`GififyError` naming the input when ffmpeg cannot read it.
    """
    fmt = Path(out).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise GififyError(f"{out}: unknown format {fmt!r} (use .gif, .webp or .mp4)")
    if dither not in DITHERS:
        raise GififyError(f"unknown dither {dither!r} (one of {', '.join(DITHERS)})")
    if start is not None and end is not None and end <= start:
        raise GififyError(f"{video}: end {end:g} <= start {start:g}")
    src = str(Path(video).absolute())
    t0 = time.perf_counter()
    try:
        source_duration = probe(src)["duration"]
    except MediaError as exc:
        raise GififyError(f"{video}: unreadable: {exc}") from None
    in_args: dict[str, Any] = {}
    if start:
        in_args["ss"] = f"{start:.6f}"
    if end is not None:
        in_args["t"] = f"{end - (start or 0.0):.6f}"
    frames = 0
    meta: dict[str, Any] = {}
    with atomic_path(out) as tmp:
        for single in (False, True):
            graph = _filters(fmt, sample_fps=sample_fps, play_fps=play_fps, width=width,
                             colors=colors, dither=dither, single_frame=single)
            extra = {"frames:v": 1} if single else {}
            cmd = ffmpeg.output(ffmpeg.input(src, **in_args), str(tmp), filter_complex=graph,
                                **_output_args(fmt, play_fps), **extra)
            try:
                _, stderr = cmd.overwrite_output().global_args("-nostdin", "-v", "error").run(
                    capture_stdout=True, capture_stderr=True)
            except ffmpeg.Error as exc:
                lines = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
                message = lines[-1] if lines else "ffmpeg failed"
                if single or "empty" not in message:
                    raise GififyError(f"{video}: {message}") from None
                continue  # nothing at the sampling rate: take the range's first frame
            problems = decode_problems(stderr)
            if problems:
                # Exit code 0 on a source cut short with its index intact: the animation
                # would look complete and stop early.
                raise GififyError(f"{video}: source damaged: {problems}")
            try:
                if fmt == "gif":
                    frames, w, h = gif_info(tmp)
                    meta = {"width": w, "height": h}
                elif fmt == "webp":
                    frames, w, h = webp_info(tmp)
                    meta = {"width": w, "height": h}
                else:
                    frames, meta = count_frames(tmp), probe(tmp)
            except (MediaError, ValueError):
                frames = 0
            if frames:
                break
        if not frames:
            raise GififyError(f"{video}: no frames between {start or 0:g} s and "
                              f"{'the end' if end is None else f'{end:g} s'}")
        span = min(source_duration if end is None else end, source_duration) - (start or 0.0)
        expected = int(span * sample_fps)
        if frames < expected - 1:
            raise GififyError(f"{video}: {frames} frames made of the {expected} the "
                              f"{span:.2f} s asked for should give: source truncated")
        size = os.path.getsize(tmp)
    return {"format": fmt, "frames": frames, "width": meta["width"], "height": meta["height"],
            "bytes": size, "seconds": round(time.perf_counter() - t0, 3)}
