"""Trim stage: cut annotated clips out of downloaded files (the ffmpeg work is
:func:`gifworthy.media.encode.trim`).

A clip whose download already is the exact segment (segment-only download with exact cuts)
is cut from offset 0; a clip of a full download is cut at its annotated start. One job per
clip annotation; its key names the download it was cut from, so a re-download cuts again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Collection, cast

from gifworthy.core.fsutil import read_json, write_json
from gifworthy.corpus.manifest import read_download_ids, read_downloads
from gifworthy.media.encode import TrimError, trim
from gifworthy.pipeline import paths
from gifworthy.pipeline.records import TrimRecord, read_records
from gifworthy.pipeline.stage import Job, Stage

__all__ = ["TrimStage", "summarize", "trim_item"]


def trim_item(download_status: str | os.PathLike[str], download_dir: str | os.PathLike[str],
              out_dir: str | os.PathLike[str], trim_params: dict[str, Any]) -> TrimRecord:
    """Trim the clip of one download record; always write ``out_dir/status/{item}.json``.

    Records ``ok``, ``skipped`` (download failed or not a clip) or ``failed`` (corrupt input).
    """
    rec = read_json(download_status)
    item = rec["item_id"]
    out = Path(out_dir)
    status_file = paths.item_file(out / paths.STATUS, item, ".json")
    base = TrimRecord(item_id=item, youtube_id=rec.get("youtube_id"), mode=trim_params["mode"],
                      segment=rec.get("segment"))
    if rec.get("status") != "ok":
        result: TrimRecord = {**base, "status": "skipped",
                  "message": f"download {rec.get('status')}: {rec.get('category', '')}"}
        write_json(status_file, result)
        return result
    if not rec.get("segment"):
        result: TrimRecord = {**base, "status": "skipped", "message": "not a clip annotation"}
        write_json(status_file, result)
        return result
    start, end = (float(x) for x in rec["segment"])
    # A segment-only download with exact cuts already starts at the annotated time.
    offset = 0.0 if rec.get("segment_download") else start
    src = Path(download_dir) / rec["file"]
    dst = paths.item_file(out / "clips", item, ".mp4")
    try:
        info = trim(src, dst, start=offset, duration=end - start, mode=trim_params["mode"],
                    crf=int(trim_params["crf"]),
                    preset=str(trim_params["preset"]))
    except TrimError as exc:
        dst.unlink(missing_ok=True)
        result: TrimRecord = {**base, "status": "failed", "category": "corrupt",
                              "message": str(exc)}
        write_json(status_file, result)
        return result
    result = cast(TrimRecord, {**base, "status": "ok", "file": str(dst.relative_to(out)),
                               "duration_error": round(info["duration"] - (end - start), 4),
                               **info})
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


class TrimStage(Stage):
    """One job per clip annotation of the manifest."""
    reads = ("download",)

    name = "trim"

    def folder(self, params: dict[str, Any]) -> Path:
        return paths.clips_dir(params)

    def variant_levels(self, params: dict[str, Any]) -> list[tuple[Path, Path, str]]:
        return [(paths.CLIPS_ROOT, self.folder(params), r"fast|exact_\w+")]

    def item_folders(self, params: dict[str, Any]) -> list[Path]:
        return [self.folder(params) / paths.STATUS, self.folder(params) / "clips"]

    def _job(self, params: dict[str, Any], item: str) -> Job:
        folder = self.folder(params)
        return Job(self.name, item, paths.item_file(folder / paths.STATUS, item, ".json"),
                   records={"download": paths.download_record(params, item)},
                   settings={"trim": params["trim"]},
                   media=(paths.item_file(folder / "clips", item, ".mp4"),))

    def jobs(self, params: dict[str, Any], only: Collection[str] | None = None
             ) -> dict[str, Job]:
        return {i.item_id: self._job(params, i.item_id) for i in read_downloads()
                if i.is_segment and (only is None or i.item_id in only)}

    def item_ids(self, params: dict[str, Any]) -> list[str]:
        return read_download_ids(segments_only=True)

    def run_job(self, params: dict[str, Any], job: Job) -> str:
        rec = trim_item(job.records["download"], paths.download_dir(params),
                        self.folder(params), params["trim"])
        self.finish(job)
        return f"{job.item}: {rec.get('status')} {rec.get('message', '')}".rstrip()

    def report(self, params: dict[str, Any]) -> dict[str, Any]:
        ids = sorted(self.item_ids(params))
        records = [r for r in read_records(self.folder(params) / paths.STATUS, ids) if r]
        summary = summarize(records)
        write_json(paths.metrics_file(self.name), summary)
        return summary
