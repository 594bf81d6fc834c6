"""Manifest stage: one normalised set of tables, whatever the corpus format. It is the sole
writer and reader of these tables; every later stage learns about the corpus only here.

Outputs (all CSV, written atomically):

``downloads.csv``
    One row per file to fetch: ``item_id, youtube_id, url, start, end, split, label, origin``.
    Video2GIF sources are whole videos (``start``/``end`` empty); Kinetics clips carry their
    segment, which the download stage fetches alone when it can.
``gifs.csv``
    Video2GIF GIF annotations (``gif_id, youtube_id, start_sec, end_sec, ..., views, split``).
``videos.csv``
    One row per source video: ``youtube_id, title, category, views, duration, cuts`` (known
    shot starts, space-separated frames, where the corpus knows them).
``gif_files.csv``
    GIF files to align to their videos (``gif_id, youtube_id, file``) and, where the corpus
    knows it, their true segment (``start_frame, end_frame``, ``distortion``, ``decoy``).
``rejected.csv``
    ``origin, reason, raw``: every row that was not accepted, with ``file:line``.
"""

from __future__ import annotations

import csv
import dataclasses
import os
from pathlib import Path
from typing import Any, Iterable

from gifworthy.core.fsutil import csv_text, write_text
from gifworthy.corpus.base import (
    DownloadItem,
    Gif,
    GifFile,
    Rejection,
    VideoInfo,
)
from gifworthy.pipeline import paths

__all__ = [
    "DOWNLOAD_COLUMNS", "GIF_COLUMNS", "GIF_FILE_COLUMNS", "VIDEO_COLUMNS", "GifToAlign",
    "Manifest", "gifs_to_align", "read_download_ids", "read_downloads", "read_gif_files",
    "read_gif_rows", "read_videos", "videos_to_rank", "videos_with_gifs", "write_manifest",
]

DOWNLOAD_COLUMNS = ("item_id", "youtube_id", "url", "start", "end", "split", "label", "origin")
GIF_COLUMNS = (
    "gif_id", "youtube_id", "start_sec", "end_sec", "start_frame", "end_frame", "views",
    "split", "title", "video_title", "video_duration", "video_frame_count", "video_category",
    "origin",
)
VIDEO_COLUMNS = ("youtube_id", "title", "category", "views", "duration", "cuts")
GIF_FILE_COLUMNS = ("gif_id", "youtube_id", "file", "start_frame", "end_frame", "distortion",
                    "decoy")


@dataclasses.dataclass
class Manifest:
    downloads: list[DownloadItem]
    gifs: list[tuple[Gif, str]]  # (gif, split)
    rejections: list[Rejection]
    videos: list[VideoInfo] = dataclasses.field(default_factory=list)
    gif_files: list[GifFile] = dataclasses.field(default_factory=list)


def _fmt(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def write_manifest(manifest: Manifest, out_dir: str | os.PathLike[str]) -> dict[str, int]:
    """Write the manifest's tables; return counts."""
    out = Path(out_dir)
    write_text(out / "downloads.csv", csv_text(DOWNLOAD_COLUMNS, (
        (d.item_id, d.youtube_id, d.url, _fmt(d.start), _fmt(d.end), d.split,
         d.label, d.origin) for d in manifest.downloads)))
    write_text(out / "gifs.csv", csv_text(GIF_COLUMNS, (
        (g.gif_id, g.youtube_id, f"{g.start_sec:g}", f"{g.end_sec:g}", g.start_frame,
         g.end_frame, g.views, split, g.title, g.video_title, _fmt(g.video_duration),
         _fmt(g.video_frame_count), g.video_category, g.origin)
        for g, split in manifest.gifs)))
    write_text(out / "videos.csv", csv_text(VIDEO_COLUMNS, (
        (v.youtube_id, v.title, v.category, _fmt(v.views), _fmt(v.duration),
         "" if v.cuts is None else " ".join(str(c) for c in v.cuts))
        for v in manifest.videos)))
    write_text(out / "gif_files.csv", csv_text(GIF_FILE_COLUMNS, (
        (g.gif_id, g.youtube_id, g.file, _fmt(g.start_frame), _fmt(g.end_frame),
         g.distortion, int(g.decoy)) for g in manifest.gif_files)))
    write_text(out / "rejected.csv", csv_text(("origin", "reason", "raw"), (
        (r.origin, r.reason, r.raw) for r in manifest.rejections)))
    return {
        "downloads": len(manifest.downloads),
        "segments": sum(d.is_segment for d in manifest.downloads),
        "gifs": len(manifest.gifs),
        "rejected": len(manifest.rejections),
        "videos": len({d.youtube_id for d in manifest.downloads}),
    }


def _rows(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    if not Path(path).exists():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        return [dict(zip(header, row)) for row in reader] if header else []


def read_downloads(path: str | os.PathLike[str] = paths.DOWNLOADS_CSV) -> list[DownloadItem]:
    """Read ``downloads.csv`` back (every stage's plan and shard job does: 650,000 rows in
    about a second)."""
    if not Path(path).exists():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            return []
        if tuple(header) != DOWNLOAD_COLUMNS:
            raise ValueError(f"{path}:1: header {header} is not {list(DOWNLOAD_COLUMNS)} "
                             "(run the manifest stage again)")
        return [DownloadItem(r[0], r[1], r[2], float(r[3]) if r[3] else None,
                             float(r[4]) if r[4] else None, r[5], r[6], r[7]) for r in reader]


def read_download_ids(path: str | os.PathLike[str] = paths.DOWNLOADS_CSV, *,
                      segments_only: bool = False) -> list[str]:
    """The item ids of ``downloads.csv`` (only the clips' with ``segments_only``), without
    building items: what planning a stage needs."""
    if not Path(path).exists():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        header = fh.readline().rstrip("\r\n").split(",")
        if header == [""]:
            return []
        if tuple(header) != DOWNLOAD_COLUMNS:
            raise ValueError(f"{path}:1: header {header} is not {list(DOWNLOAD_COLUMNS)} "
                             "(run the manifest stage again)")
        # Item ids are never quoted (their alphabet has no comma or quote), so a plain split
        # reads them; a line with a quoted field (a URL with a comma) goes through csv.
        ids = []
        for line in fh:
            if '"' in line:
                row = next(csv.reader([line]))
                ids.append((row[0], row[3]))
            else:
                item, _, rest = line.partition(",")
                ids.append((item, rest.split(",", 3)[2]))
        return [i for i, start in ids if start or not segments_only]


def read_gif_rows(path: str | os.PathLike[str] = paths.GIFS_CSV) -> list[dict[str, str]]:
    """Rows of ``gifs.csv`` as dicts (``GIF_COLUMNS``); none when the file does not exist."""
    return _rows(path)


def read_videos(path: str | os.PathLike[str] = paths.VIDEOS_CSV) -> dict[str, VideoInfo]:
    """``videos.csv`` by video id."""
    out = {}
    for row in _rows(path):
        out[row["youtube_id"]] = VideoInfo(
            row["youtube_id"], title=row["title"], category=row["category"],
            views=int(row["views"]) if row["views"] else None,
            duration=float(row["duration"]) if row["duration"] else None,
            cuts=tuple(int(c) for c in row["cuts"].split()) if row["cuts"] else None)
    return out


def read_gif_files(path: str | os.PathLike[str] = paths.GIF_FILES_CSV) -> list[GifFile]:
    return [GifFile(row["gif_id"], row["youtube_id"], row["file"],
                    int(row["start_frame"]) if row["start_frame"] else None,
                    int(row["end_frame"]) if row["end_frame"] else None,
                    row["distortion"], row["decoy"] == "1") for row in _rows(path)]


@dataclasses.dataclass(frozen=True)
class GifToAlign:
    """A GIF the align stage places in its video, with what is known of its truth: frames
    (a corpus's own GIF files) or seconds (GIFs regenerated from Video2GIF metadata)."""

    gif_id: str
    youtube_id: str
    file: str
    start_frame: int | None = None
    end_frame: int | None = None
    start_sec: float | None = None
    end_sec: float | None = None
    distortion: str = ""
    decoy: bool = False

    def truth(self) -> dict[str, Any]:
        """The fields a job key and the evaluation use (no path: a package file's path is
        per machine; the GIF counts by its content)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "file"}


def gifs_to_align(params: dict[str, Any]) -> dict[str, list[GifToAlign]]:
    """GIFs to align, by video: the corpus's own GIF files when it has them, else the GIFs
    regenerated from the metadata (an agreement check of the regenerated GIFs)."""
    by_video: dict[str, list[GifToAlign]] = {}
    files = read_gif_files()
    if files:
        for g in files:
            by_video.setdefault(g.youtube_id, []).append(GifToAlign(
                g.gif_id, g.youtube_id, g.file, g.start_frame, g.end_frame,
                distortion=g.distortion or "unknown", decoy=g.decoy))
        return by_video
    gifs_dir = paths.gifs_dir(params)
    for row in read_gif_rows():
        by_video.setdefault(row["youtube_id"], []).append(GifToAlign(
            row["gif_id"], row["youtube_id"],
            str(paths.item_file(gifs_dir / "v2g", row["gif_id"], ".gif")),
            start_sec=float(row["start_sec"]), end_sec=float(row["end_sec"]),
            distortion="regenerated"))
    return by_video


def videos_with_gifs(params: dict[str, Any], items: Iterable[str] | None = None,
                     gifs: dict[str, list[GifToAlign]] | None = None) -> list[str]:
    """The videos the stages after download cover: those with GIFs, among the manifest's
    downloads. ``items`` (the download ids) and ``gifs`` (:func:`gifs_to_align`) save reading
    them again when the caller has them: the Snakefile is parsed again for every cluster
    job."""
    if items is None:
        items = read_download_ids()
    return sorted(set(gifs if gifs is not None else gifs_to_align(params)) & set(items))


def videos_to_rank(params: dict[str, Any], items: Iterable[str] | None = None) -> list[str]:
    """The videos the shots, segments and features stages cover: those with GIFs; with
    ``ranking.target`` heat or both, every download, since a video without GIFs can still
    train on its replay heat (one without a heatmap then drops out in training)."""
    if params["ranking"]["target"] == "gifs":
        return videos_with_gifs(params, items)
    return sorted(set(items if items is not None else read_download_ids()))
