"""Trim stage: cut annotated clips out of downloaded files with ffmpeg-python.

Two modes:

``exact``
    Input seek plus re-encode: the clip starts on the annotated time and lasts the annotated
    duration to within one frame, whatever the keyframe layout.
``fast``
    Stream copy: no re-encode, so it is I/O-bound, but the cut snaps to the keyframe at or
    before the start (the clip may begin up to one GOP early).

A clip whose download already is the exact segment (segment-only download with exact cuts)
is cut from offset 0; a clip of a full download is cut at its annotated start.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import ffmpeg

from .fsutil import atomic_path, read_json, remove_other_variants, write_json
from .media import MediaError, count_frames, probe

__all__ = ["TrimError", "trim", "trim_item", "variant"]


class TrimError(RuntimeError):
    """ffmpeg could not cut the clip (corrupt or unreadable input)."""


def variant(trim_params: dict[str, Any]) -> str:
    """Directory name for the params that change a clip's bytes."""
    if trim_params["mode"] == "fast":
        return "fast"
    return f"exact_crf{int(trim_params['crf'])}_{trim_params['preset']}"


def trim(src: str | os.PathLike[str], dst: str | os.PathLike[str], *, start: float,
         duration: float, mode: str = "exact", crf: int = 20,
         preset: str = "veryfast") -> dict[str, Any]:
    """Cut ``duration`` seconds from ``start`` of ``src`` into ``dst`` (written atomically).

    Raises :class:`TrimError` with ffmpeg's own explanation when the input is unreadable.
    """
    if duration <= 0:
        raise TrimError(f"{src}: non-positive duration {duration}")
    src_path = Path(src).absolute()
    stream = ffmpeg.input(str(src_path), ss=f"{start:.6f}")
    t0 = time.perf_counter()
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
            out.overwrite_output().global_args("-nostdin", "-v", "error").run(
                capture_stdout=True, capture_stderr=True)
        except ffmpeg.Error as exc:
            msg = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
            raise TrimError(f"{src}: {msg[-1] if msg else 'ffmpeg failed'}") from None
        try:
            frames = count_frames(tmp)
            meta = probe(tmp)
        except MediaError as exc:
            raise TrimError(f"{src}: output unreadable: {exc}") from None
        if frames == 0:
            raise TrimError(f"{src}: no frames between {start:g} s and {start + duration:g} s")
    # Video duration from the decoded frame count: the container's duration includes audio
    # priming and rounding and would hide a one-frame error.
    video_duration = frames / meta["fps"] if meta["fps"] else meta["duration"]
    return {"frames": frames, "duration": round(video_duration, 6), "fps": meta["fps"],
            "width": meta["width"], "height": meta["height"],
            "ffmpeg_seconds": round(time.perf_counter() - t0, 3)}


def trim_item(download_status: str | os.PathLike[str], download_dir: str | os.PathLike[str],
              out_dir: str | os.PathLike[str], trim_params: dict[str, Any],
              code: str = "") -> dict[str, Any]:
    """Trim the clip of one download record; always write ``out_dir/status/{item}.json``.

    Records ``ok``, ``skipped`` (download failed or not a clip) or ``failed`` (corrupt input),
    and ``code``, the fingerprint of the trim code (a change requeues the clip).
    """
    rec = read_json(download_status)
    item = rec["item_id"]
    out = Path(out_dir)
    status_file = out / "status" / f"{item}.json"
    base = {"item_id": item, "youtube_id": rec.get("youtube_id"), "mode": trim_params["mode"],
            "segment": rec.get("segment"),
            # Which download this trim was made from: a re-download invalidates it.
            "download_finished_at": rec.get("finished_at"), "code": code}
    if rec.get("status") != "ok":
        result = {**base, "status": "skipped",
                  "message": f"download {rec.get('status')}: {rec.get('category', '')}"}
        write_json(status_file, result)
        return result
    if not rec.get("segment"):
        result = {**base, "status": "skipped", "message": "not a clip annotation"}
        write_json(status_file, result)
        return result
    start, end = (float(x) for x in rec["segment"])
    # A segment-only download with exact cuts already starts at the annotated time.
    offset = 0.0 if rec.get("segment_download") else start
    src = Path(download_dir) / rec["file"]
    dst = out / "clips" / f"{item}.mp4"
    try:
        info = trim(src, dst, start=offset, duration=end - start, mode=trim_params["mode"],
                    crf=int(trim_params.get("crf", 20)),
                    preset=str(trim_params.get("preset", "veryfast")))
    except TrimError as exc:
        dst.unlink(missing_ok=True)
        result = {**base, "status": "failed", "category": "corrupt", "message": str(exc)}
        write_json(status_file, result)
        return result
    result = {**base, "status": "ok", "file": f"clips/{item}.mp4",
              "duration_error": round(info["duration"] - (end - start), 4), **info}
    write_json(status_file, result)
    return result


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in records if r.get("status") == "ok"]
    errors = [abs(r["duration_error"]) for r in ok]
    fps = [r["fps"] for r in ok if r.get("fps")]
    within = sum(1 for r in ok if r.get("fps") and abs(r["duration_error"]) <= 1.0 / r["fps"])
    return {
        "clips": len(records),
        "ok": len(ok),
        "skipped": sum(r.get("status") == "skipped" for r in records),
        "failed": sum(r.get("status") == "failed" for r in records),
        "mean_abs_duration_error": round(sum(errors) / len(errors), 4) if errors else 0.0,
        "max_abs_duration_error": round(max(errors), 4) if errors else 0.0,
        "within_one_frame_share": round(within / len(fps), 4) if fps else 0.0,
        "ffmpeg_seconds": round(sum(r.get("ffmpeg_seconds", 0.0) for r in ok), 3),
    }


def prepare(item_ids: set[str], root: str | os.PathLike[str], download_dir: str | os.PathLike[str],
            trim_params: dict[str, Any], code: str = "") -> dict[str, int]:
    """Reconcile the persisted clips with the manifest, params and downloads before a run.

    Removes other variants' directories, clips of items no longer in the manifest,
    temporaries, and the records of clips whose download was redone since (so they are cut
    again from the new file), that were skipped for a download that now exists, or that
    other trim code made (``code``, see :func:`gifworthy.fingerprint.code_fingerprint`).
    """
    root = Path(root)
    current = root / variant(trim_params)
    removed = remove_other_variants(root, current, r"fast|exact_\w+")
    counts = {"removed_variants": len(removed), "removed_items": 0, "requeued": 0}
    for sub in ("clips", "status"):
        folder = current / sub
        folder.mkdir(parents=True, exist_ok=True)  # exists even for an empty corpus
        for path in folder.iterdir():
            if path.name.startswith(".tmp-") or path.stem not in item_ids:
                path.unlink(missing_ok=True)
                counts["removed_items"] += 1
    status_dir = current / "status"
    if status_dir.exists():
        for path in status_dir.glob("*.json"):
            try:
                rec = read_json(path)
                dl = read_json(Path(download_dir) / "status" / path.name)
            except (OSError, ValueError):
                path.unlink(missing_ok=True)
                counts["requeued"] += 1
                continue
            if rec.get("download_finished_at") != dl.get("finished_at") or rec.get(
                    "code", "") != code or (
                    rec.get("status") == "ok" and not (current / rec.get("file", "")).is_file()):
                path.unlink()
                counts["requeued"] += 1
    return counts
