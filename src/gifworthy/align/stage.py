"""The align stage: every GIF of a video against that video, decoded once (one job per
video), and its evaluation: accuracy against known segments where the corpus knows them (its
own GIF files with their truth), or agreement with the metadata's times (GIFs regenerated
from Video2GIF metadata)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Collection, cast

import numpy as np

from gifworthy.align.aligner import NoMatch, align, index_video
from gifworthy.core.errors import GifworthyError
from gifworthy.core.fsutil import csv_text, read_json, write_json, write_text
from gifworthy.core.resources import resolve_ref
from gifworthy.corpus.manifest import GifToAlign, gifs_to_align, videos_with_gifs
from gifworthy.media.probe import DEFAULT_FPS, frame_rate
from gifworthy.pipeline import paths
from gifworthy.pipeline.records import AlignmentRecord, read_record, source_video
from gifworthy.pipeline.stage import Job, Stage

__all__ = ["ALIGNMENT_COLUMNS", "AlignStage", "align_video_gifs", "evaluate",
           "metadata_agreement"]

ALIGNMENT_COLUMNS = ["gif_id", "youtube_id", "aligned", "start_sec", "end_sec", "start_frame",
                     "end_frame", "speed", "mean_distance", "confidence", "reason"]


# --------------------------------------------------------------------------------------------
# The align stage: every GIF of a video against that video, decoded once
# --------------------------------------------------------------------------------------------
def align_video_gifs(video: str | os.PathLike[str] | None,
                     gifs: list[dict[str, Any]]) -> list[AlignmentRecord]:
    """Align each GIF (``{"gif_id", "path", ...}``) to ``video``; one record per GIF.

    A record has ``aligned`` (bool) and either the alignment or the reason it was rejected.
    A missing video (download failed) or an unreadable GIF is a record too, never an error.
    """
    records: list[AlignmentRecord] = []
    index = None
    video_error = ""
    if video is None:
        video_error = "source video not downloaded"
    else:
        try:
            index = index_video(video)
        except (GifworthyError, ValueError, OSError) as exc:  # MediaError is a GifworthyError
            video_error = f"source video unreadable: {exc}"
    for gif in gifs:
        gif_id, video_id = str(gif.get("gif_id", "")), str(gif.get("youtube_id", ""))
        reason = video_error
        if index is not None:
            try:
                result = align(gif["path"], index=index)
            except NoMatch as exc:
                reason = str(exc)
            except (GifworthyError, ValueError, OSError) as exc:
                reason = f"unreadable GIF: {exc}"
            else:
                records.append(cast(AlignmentRecord, {
                    "gif_id": gif_id, "youtube_id": video_id, "aligned": True,
                    **result.as_dict()}))
                continue
        records.append(AlignmentRecord(gif_id=gif_id, youtube_id=video_id, aligned=False,
                                       reason=reason))
    return records


def evaluate(records: list[dict[str, Any]], truth: dict[str, dict[str, Any]],
             fps: dict[str, float]) -> dict[str, Any]:
    """Accuracy against known segments, per distortion kind.

    ``truth[gif_id]`` has ``start_frame``, ``end_frame`` (exclusive), ``distortion`` and
    ``decoy`` (a GIF that does not come from its video, which must be rejected).
    """
    kinds: dict[str, dict[str, Any]] = {}
    all_errors: list[float] = []
    within = total = 0
    decoys = decoys_rejected = 0
    for rec in records:
        t = truth.get(rec["gif_id"])
        if t is None:
            continue
        if t.get("decoy"):
            decoys += 1
            decoys_rejected += not rec["aligned"]
            continue
        k = kinds.setdefault(t["distortion"], {"gifs": 0, "aligned": 0, "within_one_frame": 0,
                                               "max_error_s": 0.0})
        k["gifs"] += 1
        total += 1
        if not rec["aligned"]:
            continue
        k["aligned"] += 1
        frame_errors = (abs(rec["start_frame"] - t["start_frame"]),
                        abs(rec["end_frame"] - t["end_frame"]))
        ok = max(frame_errors) <= 1
        k["within_one_frame"] += ok
        within += ok
        err_s = max(frame_errors) / fps[rec["youtube_id"]]
        k["max_error_s"] = round(max(k["max_error_s"], err_s), 3)
        all_errors.append(err_s)
    for k in kinds.values():
        k["within_one_frame_share"] = round(k["within_one_frame"] / k["gifs"], 4)
    return {
        "gifs": total,
        "aligned": sum(k["aligned"] for k in kinds.values()),
        "within_one_frame_share": round(within / total, 4) if total else 0.0,
        "max_error_s": round(max(all_errors), 3) if all_errors else 0.0,
        "decoys": decoys,
        "decoys_rejected": decoys_rejected,
        "by_distortion": dict(sorted(kinds.items())),
    }


def metadata_agreement(records: list[dict[str, Any]], truth: dict[str, dict[str, Any]],
                       fps: dict[str, float]) -> dict[str, Any]:
    """How well alignment agrees with a corpus's own times (Video2GIF metadata).

    ``truth[gif_id]`` has ``start_sec`` and ``end_sec`` from the metadata. Reports, over the
    aligned GIFs, the share whose start and end both lie within one source frame and within
    0.34 s, and the median and worst absolute error; and how many GIFs could not be aligned.
    """
    errors = []
    within_frame = 0
    for rec in records:
        t = truth.get(rec["gif_id"])
        if t is None or not rec.get("aligned"):
            continue
        err = max(abs(float(rec["start_sec"]) - float(t["start_sec"])),
                  abs(float(rec["end_sec"]) - float(t["end_sec"])))
        errors.append(err)
        within_frame += err <= 1.0 / fps.get(rec["youtube_id"], DEFAULT_FPS) + 1e-6
    n = len(errors)
    return {
        "gifs": sum(1 for r in records if r["gif_id"] in truth),
        "aligned": n,
        "within_one_frame_share": round(within_frame / n, 4) if n else 0.0,
        "within_0_34s_share": round(sum(e <= 0.34 for e in errors) / n, 4) if n else 0.0,
        "median_error_s": round(float(np.median(errors)), 3) if n else 0.0,
        "max_error_s": round(max(errors), 3) if n else 0.0,
    }


class AlignStage(Stage):
    """One job per video with GIFs; its output is the list of its GIFs' alignments."""
    reads = ("download", "gifify")

    name = "align"
    pool = "processes"

    def folder(self, params: dict[str, Any]) -> Path:
        return paths.ALIGN_DIR / paths.STATUS

    def variant_levels(self, params: dict[str, Any]) -> list[tuple[Path, Path, str]]:
        return []

    def _job(self, params: dict[str, Any], video: str, gifs: list[GifToAlign]) -> Job:
        # A GIF counts by its content, not its path (a package file's path is per machine).
        return Job(self.name, video, paths.item_file(self.folder(params), video, ".json"),
                   records={"download": paths.download_record(params, video)},
                   files={f"gif:{g.gif_id}": resolve_ref(g.file) for g in gifs},
                   settings={"gifs": [g.truth() for g in gifs]}, source=gifs)

    def jobs(self, params: dict[str, Any], only: Collection[str] | None = None
             ) -> dict[str, Job]:
        gifs = gifs_to_align(params)
        return {v: self._job(params, v, gifs.get(v, []))
                for v in videos_with_gifs(params, gifs=gifs) if only is None or v in only}

    def item_ids(self, params: dict[str, Any]) -> list[str]:
        return videos_with_gifs(params)

    def run_job(self, params: dict[str, Any], job: Job) -> str:
        gifs: list[GifToAlign] = job.source or []
        records = align_video_gifs(source_video(params, job.item),
                                   [{**g.truth(), "path": str(resolve_ref(g.file))}
                                    for g in gifs])
        write_json(job.output, records)
        self.finish(job)
        return f"{job.item}: {sum(bool(r.get('aligned')) for r in records)}/{len(records)} aligned"

    def report(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = gifs_to_align(params)
        records: list[dict[str, Any]] = []
        for video in sorted(wanted):
            path = paths.item_file(self.folder(params), video, ".json")
            if path.exists():
                records += read_json(path)
        truth = {g.gif_id: g.truth() for gifs in wanted.values() for g in gifs}
        fps: dict[str, float] = {}
        for video in wanted:
            record = read_record(paths.download_record(params, video)) or {}
            fps[video] = frame_rate(record.get("fps"))
        write_text(paths.ALIGN_DIR / "alignments.csv", csv_text(
            ALIGNMENT_COLUMNS, [[r.get(c, "") for c in ALIGNMENT_COLUMNS] for r in records]))
        framed = {g: t for g, t in truth.items() if t.get("start_frame") is not None}
        if framed:  # GIFs whose true frames are known: accuracy per distortion kind
            summary = evaluate(records, framed, fps)
        else:  # agreement of the regenerated GIFs with the metadata's own times
            summary = metadata_agreement(records, truth, fps)
        write_json(paths.metrics_file(self.name), summary)
        return {k: v for k, v in summary.items() if k != "by_distortion"}
