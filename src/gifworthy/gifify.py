"""GIF stage: Kinetics-explorer GIFs (sample 4 fps, play 16 fps, width 180), better per byte.

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
import numpy as np

from .fsutil import atomic_path, read_json, remove_other_variants, write_json
from .media import MediaError, count_frames, probe

__all__ = ["DITHERS", "FORMATS", "GififyError", "gifify", "gifify_item", "variant"]

DITHERS = {
    "none": "none",
    **{f"bayer{i}": f"bayer:bayer_scale={i}" for i in range(6)},
    "sierra2_4a": "sierra2_4a",
    "floyd_steinberg": "floyd_steinberg",
}
FORMATS = ("gif", "webp", "mp4")


class GififyError(RuntimeError):
    """ffmpeg could not make the animation (corrupt input, nothing in the range)."""


def variant(p: dict[str, Any]) -> str:
    """Directory name for every param that changes a GIF's bytes."""
    return (f"w{int(p['width'])}_s{p['sample_fps']:g}_p{p['play_fps']:g}"
            f"_c{int(p['colors'])}_{p['dither']}")


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
    in_args: dict[str, Any] = {}
    if start:
        in_args["ss"] = f"{start:.6f}"
    if end is not None:
        in_args["t"] = f"{end - (start or 0.0):.6f}"
    t0 = time.perf_counter()
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
                cmd.overwrite_output().global_args("-nostdin", "-v", "error").run(
                    capture_stdout=True, capture_stderr=True)
            except ffmpeg.Error as exc:
                lines = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
                message = lines[-1] if lines else "ffmpeg failed"
                if single or "empty" not in message:
                    raise GififyError(f"{video}: {message}") from None
                continue  # nothing at the sampling rate: take the range's first frame
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
        size = os.path.getsize(tmp)
    return {"format": fmt, "frames": frames, "width": meta["width"], "height": meta["height"],
            "bytes": size, "seconds": round(time.perf_counter() - t0, 3)}


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


def gifify_item(kind: str, item_id: str, source: str | os.PathLike[str] | None, *,
                out_dir: str | os.PathLike[str], params: dict[str, Any],
                start: float | None = None, end: float | None = None,
                skip_reason: str = "", source_key: str = "", code: str = "") -> dict[str, Any]:
    """Make every configured format for one clip or GIF segment; always write a record.

    ``kind`` is ``clips`` (trimmed Kinetics clips) or ``v2g`` (Video2GIF GIF segments,
    regenerated from the source video because the original GIF links are dead).
    """
    out = Path(out_dir)
    record_path = out / "status" / kind / f"{item_id}.json"
    # source_key names the exact upstream file version, code this stage's code; gifify-prepare
    # requeues the item when either no longer matches (a re-trim with other params, a
    # re-download, a change to the GIF code).
    base = {"kind": kind, "item_id": item_id, "start": start, "end": end,
            "source_key": source_key, "code": code}
    if source is None:
        rec = {**base, "status": "skipped", "message": skip_reason}
        write_json(record_path, rec)
        return rec
    files = {}
    try:
        for fmt in params["formats"]:
            dst = out / kind / f"{item_id}.{fmt}"
            files[fmt] = gifify(source, dst, start=start, end=end,
                                sample_fps=params["sample_fps"], play_fps=params["play_fps"],
                                width=params["width"], colors=params["colors"],
                                dither=params["dither"])
            files[fmt]["file"] = f"{kind}/{item_id}.{fmt}"
    except GififyError as exc:
        for fmt in files:
            (out / kind / f"{item_id}.{fmt}").unlink(missing_ok=True)
        rec = {**base, "status": "failed", "category": "corrupt", "message": str(exc)}
        write_json(record_path, rec)
        return rec
    rec = {**base, "status": "ok", "outputs": files}
    write_json(record_path, rec)
    return rec


def source_key(upstream_status: str | os.PathLike[str]) -> str:
    """Identity of the upstream record: its path (names the params) and its version."""
    try:
        rec = read_json(upstream_status)
    except (OSError, ValueError):
        return f"{upstream_status}@missing"
    version = rec.get("download_finished_at") or rec.get("finished_at") or ""
    return f"{Path(upstream_status).as_posix()}@{rec.get('status')}@{version}"


def segment_source_key(download_status: str | os.PathLike[str], start: float | str,
                       end: float | str) -> str:
    """Identity of a Video2GIF GIF segment's source: the video's record and the segment's
    times (a corpus update can move a GIF within the same video)."""
    return f"{source_key(download_status)}@{float(start):.3f}-{float(end):.3f}"


def source_of_clip(trim_status: str | os.PathLike[str], clips_dir: str | os.PathLike[str]
                   ) -> tuple[Path | None, str]:
    rec = read_json(trim_status)
    if rec.get("status") != "ok":
        return None, f"trim {rec.get('status')}: {rec.get('message', '')}"[:300]
    return Path(clips_dir) / rec["file"], ""


def source_of_video(download_status: str | os.PathLike[str],
                    download_dir: str | os.PathLike[str]) -> tuple[Path | None, str]:
    rec = read_json(download_status)
    if rec.get("status") != "ok":
        return None, f"download {rec.get('status')}: {rec.get('category', '')}"
    return Path(download_dir) / rec["file"], ""


def prepare(gifs_root: str | os.PathLike[str], current: str | os.PathLike[str],
            expected: dict[tuple[str, str], str], code: str = "") -> dict[str, int]:
    """Reconcile persisted GIFs before a run.

    ``expected`` maps (kind, item id) to the source key the GIF must have been made from.
    Removes other variants, items no longer wanted, temporaries, and records made from
    another version of their source or by other GIF code (``code``), so Snakemake redoes
    exactly those.
    """
    current = Path(current)
    removed = remove_other_variants(gifs_root, current, r"w\d+_s.+")
    counts = {"removed_variants": len(removed), "removed_items": 0, "requeued": 0}
    for kind in ("clips", "v2g"):
        status_dir = current / "status" / kind
        status_dir.mkdir(parents=True, exist_ok=True)  # exists even for an empty corpus
        media_dir = current / kind
        if media_dir.exists():
            for path in media_dir.iterdir():
                if path.name.startswith(".tmp-") or (kind, path.stem) not in expected:
                    path.unlink(missing_ok=True)
                    counts["removed_items"] += 1
        for path in status_dir.glob("*.json"):
            key = expected.get((kind, path.stem))
            if key is None:
                path.unlink()
                counts["removed_items"] += 1
                continue
            try:
                rec = read_json(path)
            except (OSError, ValueError):
                rec = {}
            if rec.get("source_key") != key or rec.get("code", "") != code:
                path.unlink()
                counts["requeued"] += 1
    return counts


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in records if r.get("status") == "ok"]
    by_format: dict[str, dict[str, float]] = {}
    for rec in ok:
        for fmt, info in rec["outputs"].items():
            entry = by_format.setdefault(fmt, {"files": 0, "bytes": 0, "frames": 0})
            entry["files"] += 1
            entry["bytes"] += info["bytes"]
            entry["frames"] += info["frames"]
    for entry in by_format.values():
        entry["mean_kb"] = round(entry["bytes"] / entry["files"] / 1024, 1)
    return {"items": len(records), "ok": len(ok),
            "skipped": sum(r.get("status") == "skipped" for r in records),
            "failed": sum(r.get("status") == "failed" for r in records),
            "by_format": by_format}
