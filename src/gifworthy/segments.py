"""Segments and labels, as in Video2GIF.

Shots are cut into non-overlapping segments no shorter than ``min_sec`` and no longer than
``max_sec`` (a long shot is split into equal parts; a shot shorter than ``min_sec`` gives no
segment). A segment is *positive* when at least ``positive_overlap`` of it lies inside one
aligned GIF, *negative* when no GIF touches it, and *ignored* otherwise.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any, Collection

from gifworthy.core.fsutil import csv_text, read_json, write_json, write_text
from gifworthy.corpus.manifest import videos_to_rank
from gifworthy.media.probe import frame_rate
from gifworthy.pipeline import paths
from gifworthy.pipeline.stage import Job, Stage, write_index
from gifworthy.shots.stage import load_shots

__all__ = ["COLUMNS", "IGNORED", "NEGATIVE", "POSITIVE", "SegmentsStage", "label_segments",
           "read_table", "segment_video", "split_shots", "summarize"]

POSITIVE, NEGATIVE, IGNORED = 1, 0, -1
COLUMNS = ["segment", "start_frame", "end_frame", "start_sec", "end_sec", "shot", "overlap",
           "label"]


def split_shots(shots: list[tuple[int, int]], fps: float, min_sec: float, max_sec: float
                ) -> list[dict[str, Any]]:
    """Segments of every shot: (start_frame, end_frame) end-exclusive, with the shot index."""
    min_frames = max(1, int(math.ceil(min_sec * fps - 1e-9)))
    max_frames = max(min_frames, int(math.floor(max_sec * fps + 1e-9)))
    segments = []
    for index, (a, b) in enumerate(shots):
        length = b - a
        if length < min_frames:
            continue
        parts = int(math.ceil(length / max_frames))
        edges = [a + round(k * length / parts) for k in range(parts + 1)]
        for s, e in zip(edges[:-1], edges[1:]):
            segments.append({"start_frame": s, "end_frame": e, "shot": index})
    for i, seg in enumerate(segments):
        seg["segment"] = i
        seg["start_sec"] = round(seg["start_frame"] / fps, 4)
        seg["end_sec"] = round(seg["end_frame"] / fps, 4)
    return segments


def label_segments(segments: list[dict[str, Any]], gifs: list[tuple[int, int]], *,
                   positive_overlap: float = 0.66) -> list[dict[str, Any]]:
    """Label each segment against GIF frame intervals [start, end); adds ``overlap`` (the
    largest share of the segment inside one GIF) and ``label``."""
    out = []
    for seg in segments:
        a, b = seg["start_frame"], seg["end_frame"]
        shares = [max(0, min(b, ge) - max(a, gs)) / (b - a) for gs, ge in gifs]
        best = max(shares, default=0.0)
        label = POSITIVE if best >= positive_overlap else NEGATIVE if best == 0 else IGNORED
        out.append({**seg, "overlap": round(best, 4), "label": label})
    return out


def segment_video(shots_file: Path, alignments: list[dict[str, Any]], detector: str,
                  params: dict[str, Any]) -> str:
    """The segment table (CSV text) of one video from its shots file and the alignment
    records of its GIFs (only aligned GIFs label; the best-covering GIF is named)."""
    shots = load_shots(shots_file, detector)
    gifs = [(int(r["start_frame"]), int(r["end_frame"]), str(r["gif_id"]))
            for r in alignments if r.get("aligned")]
    segments = split_shots(shots["shots"], frame_rate(shots["fps"]), params["min_sec"],
                           params["max_sec"])
    labelled = label_segments(segments, [(a, b) for a, b, _ in gifs],
                              positive_overlap=params["positive_overlap"])
    rows = []
    for seg in labelled:
        best = max(gifs, key=lambda g: min(seg["end_frame"], g[1]) - max(seg["start_frame"], g[0]),
                   default=None)
        covering = best[2] if best and seg["overlap"] > 0 else ""
        rows.append([seg[c] for c in COLUMNS] + [covering])
    return csv_text(COLUMNS + ["gif_id"], rows)


def read_table(path: Path) -> list[dict[str, Any]]:
    """A segment table written by :func:`segment_video`, with numbers as numbers."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    ints = ("segment", "start_frame", "end_frame", "shot", "label")
    floats = ("start_sec", "end_sec", "overlap")
    return [{k: int(v) if k in ints else float(v) if k in floats else v for k, v in r.items()}
            for r in rows]


def summarize(tables: list[Path]) -> dict[str, Any]:
    counts: dict[str, Any] = {"videos": 0, "segments": 0, "positive": 0, "negative": 0,
                              "ignored": 0, "videos_without_positive": 0}
    lengths = []
    for path in tables:
        rows = read_table(path)
        counts["videos"] += 1
        counts["segments"] += len(rows)
        for r in rows:
            key = {POSITIVE: "positive", NEGATIVE: "negative", IGNORED: "ignored"}[r["label"]]
            counts[key] += 1
            lengths.append(r["end_sec"] - r["start_sec"])
        counts["videos_without_positive"] += not any(r["label"] == POSITIVE for r in rows)
    counts["mean_segment_sec"] = round(float(sum(lengths) / len(lengths)), 3) if lengths else 0.0
    return counts


class SegmentsStage(Stage):
    """One job per video with GIFs (or per download, :func:`videos_to_rank`): its shots cut
    to length and labelled."""
    reads = ("shots", "align")

    name = "segments"
    pool = "serial"

    def folder(self, params: dict[str, Any]) -> Path:
        return paths.segments_dir(params)

    def variant_levels(self, params: dict[str, Any]) -> list[tuple[Path, Path, str]]:
        return [(paths.SEGMENTS_ROOT, self.folder(params), paths.SHOTS_VARIANT + r"_.+")]

    def _job(self, params: dict[str, Any], video: str) -> Job:
        return Job(self.name, video, paths.item_file(self.folder(params), video, ".csv"),
                   files={"shots": paths.item_file(paths.shots_dir(params), video, ".npz"),
                          "align": paths.item_file(paths.ALIGN_DIR / paths.STATUS, video,
                                                   ".json")},
                   settings={"detector": params["shots"]["detector"],
                             "segments": params["segments"]})

    def jobs(self, params: dict[str, Any], only: Collection[str] | None = None
             ) -> dict[str, Job]:
        return {v: self._job(params, v) for v in videos_to_rank(params)
                if only is None or v in only}

    def item_ids(self, params: dict[str, Any]) -> list[str]:
        return videos_to_rank(params)

    def run_job(self, params: dict[str, Any], job: Job) -> str:
        status = job.files["align"]
        alignments = read_json(status) if status.exists() else []
        table = segment_video(job.files["shots"], alignments, job.settings["detector"],
                              job.settings["segments"])
        write_text(job.output, table)
        self.finish(job)
        return f"{job.item}: {table.count(chr(10)) - 1} segments"

    def report(self, params: dict[str, Any]) -> dict[str, Any]:
        files = paths.item_files(self.folder(params), "*.csv")
        summary = summarize(files)
        write_index(paths.SEGMENTS_ROOT, files)
        write_json(paths.metrics_file(self.name), summary)
        return summary
