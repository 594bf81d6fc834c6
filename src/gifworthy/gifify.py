"""GIF stage: Kinetics-explorer animations of every trimmed clip (kind ``clips``) and every
Video2GIF GIF segment (kind ``v2g``, regenerated from the source video: the original GIF
links are dead), in every format of ``gifify.formats``. The encoding itself, one ffmpeg
call with a palette made per clip and an ordered dither, and why it beats the explorer's
method per byte, is :mod:`gifworthy.media.encode`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Collection

from gifworthy.core.fsutil import write_json
from gifworthy.corpus.manifest import read_download_ids, read_downloads, read_gif_rows
from gifworthy.media.encode import GififyError, gifify
from gifworthy.pipeline import paths
from gifworthy.pipeline.records import GifRecord, read_records, source_of_record
from gifworthy.pipeline.stage import Job, Stage

__all__ = ["KINDS", "GififyStage", "gifify_item", "summarize"]

KINDS = ("clips", "v2g")


def gifify_item(kind: str, item_id: str, source: str | os.PathLike[str] | None, *,
                out_dir: str | os.PathLike[str], params: dict[str, Any],
                start: float | None = None, end: float | None = None,
                skip_reason: str = "") -> GifRecord:
    """Make every configured format for one clip or GIF segment; always write a record.

    ``kind`` is ``clips`` (trimmed Kinetics clips) or ``v2g`` (Video2GIF GIF segments,
    regenerated from the source video because the original GIF links are dead).
    """
    out = Path(out_dir)
    record_path = paths.item_file(out / paths.STATUS / kind, item_id, ".json")
    base = GifRecord(kind=kind, item_id=item_id, start=start, end=end)
    if source is None:
        rec: GifRecord = {**base, "status": "skipped", "message": skip_reason}
        write_json(record_path, rec)
        return rec
    files: dict[str, dict[str, Any]] = {}
    try:
        for fmt in params["formats"]:
            dst = paths.item_file(out / kind, item_id, f".{fmt}")
            files[fmt] = gifify(source, dst, start=start, end=end,
                                sample_fps=params["sample_fps"], play_fps=params["play_fps"],
                                width=params["width"], colors=params["colors"],
                                dither=params["dither"])
            files[fmt]["file"] = str(dst.relative_to(out))
    except GififyError as exc:
        for fmt in files:
            paths.item_file(out / kind, item_id, f".{fmt}").unlink(missing_ok=True)
        rec: GifRecord = {**base, "status": "failed", "category": "corrupt", "message": str(exc)}
        write_json(record_path, rec)
        return rec
    rec: GifRecord = {**base, "status": "ok", "outputs": files}
    write_json(record_path, rec)
    return rec


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


class GififyStage(Stage):
    """One job per clip (``clips/<item>``) and per Video2GIF GIF (``v2g/<gif_id>``)."""
    reads = ("download", "trim")

    name = "gifify"

    def folder(self, params: dict[str, Any]) -> Path:
        return paths.gifs_dir(params)

    def variant_levels(self, params: dict[str, Any]) -> list[tuple[Path, Path, str]]:
        return [(paths.GIFS_ROOT, self.folder(params), r"w\d+_s.+")]

    def item_folders(self, params: dict[str, Any]) -> list[Path]:
        folder = self.folder(params)
        return [folder / paths.STATUS / k for k in KINDS] + [folder / k for k in KINDS]

    def key_prefix(self, folder: Path) -> str:
        return f"{folder.name}/"

    def item_ids(self, params: dict[str, Any]) -> list[str]:
        rows = read_gif_rows()
        sources = set(read_download_ids()) if rows else set()
        return ([f"clips/{i}" for i in read_download_ids(segments_only=True)]
                + [f"v2g/{row['gif_id']}" for row in rows if row["youtube_id"] in sources])

    def jobs(self, params: dict[str, Any], only: Collection[str] | None = None
             ) -> dict[str, Job]:
        folder, formats = self.folder(params), params["gifify"]["formats"]
        g = {k: params["gifify"][k] for k in ("sample_fps", "play_fps", "width", "colors",
                                             "dither")}
        items = read_downloads()
        jobs = {}
        for item in items:
            if item.is_segment and (only is None or f"clips/{item.item_id}" in only):
                jobs[f"clips/{item.item_id}"] = Job(
                    self.name, f"clips/{item.item_id}",
                    paths.item_file(folder / paths.STATUS / "clips", item.item_id, ".json"),
                    records={"clip": paths.item_file(paths.clips_dir(params) / paths.STATUS,
                                                     item.item_id, ".json")},
                    settings={"gifify": g, "formats": formats},
                    media=tuple(paths.item_file(folder / "clips", item.item_id, f".{f}")
                                for f in formats))
        sources = {i.item_id for i in items}
        for row in read_gif_rows():
            gif_id = row["gif_id"]
            if row["youtube_id"] not in sources or (only is not None
                                                    and f"v2g/{gif_id}" not in only):
                continue
            jobs[f"v2g/{gif_id}"] = Job(
                self.name, f"v2g/{gif_id}",
                paths.item_file(folder / paths.STATUS / "v2g", gif_id, ".json"),
                records={"download": paths.download_record(params, row["youtube_id"])},
                # The times are part of the key: a corpus update can move a GIF in its video.
                settings={"gifify": g, "formats": formats,
                          "start": float(row["start_sec"]), "end": float(row["end_sec"])},
                media=tuple(paths.item_file(folder / "v2g", gif_id, f".{f}") for f in formats))
        return jobs

    def run_job(self, params: dict[str, Any], job: Job) -> str:
        kind, _, item_id = job.item.partition("/")
        if kind == "clips":
            source, reason = source_of_record(job.records["clip"], paths.clips_dir(params),
                                              "trim")
            start = end = None
        else:
            source, reason = source_of_record(job.records["download"],
                                              paths.download_dir(params))
            start, end = float(job.settings["start"]), float(job.settings["end"])
        rec = gifify_item(kind, item_id, source, out_dir=self.folder(params),
                          params=params["gifify"], start=start, end=end, skip_reason=reason)
        self.finish(job)
        return f"{job.item}: {rec.get('status')} {rec.get('message', '')}".rstrip()

    def report(self, params: dict[str, Any]) -> dict[str, Any]:
        by_kind: dict[str, list[str]] = {}
        for item in self.item_ids(params):
            kind, _, item_id = item.partition("/")
            by_kind.setdefault(kind, []).append(item_id)
        records = [r for kind, ids in by_kind.items()
                   for r in read_records(self.folder(params) / paths.STATUS / kind, ids) if r]
        summary = summarize(records)
        write_json(paths.metrics_file(self.name), summary)
        return summary
