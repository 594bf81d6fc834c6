"""Manifest stage: one normalised table of what to download, whatever the corpus format.

Outputs (all CSV, written atomically):

``downloads.csv``
    One row per file to fetch: ``item_id, youtube_id, url, start, end, split, label, origin``.
    Video2GIF sources are whole videos (``start``/``end`` empty); Kinetics clips carry their
    segment, which the download stage fetches alone when it can.
``gifs.csv``
    Video2GIF GIF annotations (``gif_id, youtube_id, start_sec, end_sec, ..., views, split``).
``rejected.csv``
    ``origin, reason, raw``: every row that was not accepted, with ``file:line``.
"""

from __future__ import annotations

import csv
import dataclasses
import os
from pathlib import Path
from typing import Any, Iterable

from .annotations import (
    Clip,
    Gif,
    Rejection,
    read_kinetics_csv,
    read_kinetics_json,
    read_split_file,
    read_video2gif_metadata,
)
from .fsutil import csv_text, write_text
from .ids import clip_id

__all__ = [
    "DOWNLOAD_COLUMNS",
    "GIF_COLUMNS",
    "SAMPLE_SERVER_PLACEHOLDER",
    "CorpusError",
    "DownloadItem",
    "build_manifest",
    "read_downloads",
    "read_gif_rows",
    "write_manifest",
]

SAMPLE_SERVER_PLACEHOLDER = "{sample_server}"
YOUTUBE_URL = "https://www.youtube.com/watch?v={youtube_id}"

DOWNLOAD_COLUMNS = ("item_id", "youtube_id", "url", "start", "end", "split", "label", "origin")
GIF_COLUMNS = (
    "gif_id", "youtube_id", "start_sec", "end_sec", "start_frame", "end_frame", "views",
    "split", "title", "video_title", "video_duration", "video_frame_count", "video_category",
    "origin",
)


class CorpusError(ValueError):
    """The corpus named in params.yaml cannot be read at all."""


@dataclasses.dataclass(frozen=True, slots=True)
class DownloadItem:
    item_id: str
    youtube_id: str
    url: str
    start: float | None
    end: float | None
    split: str
    label: str
    origin: str

    @property
    def is_segment(self) -> bool:
        return self.start is not None


@dataclasses.dataclass
class Manifest:
    downloads: list[DownloadItem]
    gifs: list[tuple[Gif, str]]  # (gif, split)
    rejections: list[Rejection]


def _fmt_time(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _url(youtube_id: str, sample: bool) -> str:
    if sample:
        return f"{SAMPLE_SERVER_PLACEHOLDER}/watch?v={youtube_id}"
    return YOUTUBE_URL.format(youtube_id=youtube_id)


def _limit_videos(ids_in_order: Iterable[str], max_videos: int) -> set[str] | None:
    if not max_videos:
        return None
    keep: dict[str, None] = {}
    for yid in ids_in_order:
        if len(keep) >= max_videos:
            break
        keep.setdefault(yid)
    return set(keep)


def _clip_items(clips: list[Clip], sample: bool) -> list[DownloadItem]:
    return [
        DownloadItem(clip_id(c.youtube_id, c.start, c.end), c.youtube_id,
                     _url(c.youtube_id, sample), c.start, c.end, c.split, c.label, c.origin)
        for c in clips
    ]


def build_manifest(
    corpus: dict[str, Any], *, root: str | os.PathLike[str] = ".",
    sample_dir: str | os.PathLike[str] = "data/sample",
) -> Manifest:
    """Read the corpus named by params ``corpus`` into a :class:`Manifest`.

    ``corpus.source`` is ``"sample"`` (the sample stage's ``metadata.txt`` + ``kinetics.csv``
    + ``testset.txt``), a Kinetics ``.csv``/``.json``, or a Video2GIF ``metadata.txt``.
    Paths must lie inside ``root`` (the repository), so DVC can track them.
    """
    root = Path(root)
    source = str(corpus["source"])
    sample = source == "sample"
    rejections: list[Rejection] = []
    clips: list[Clip] = []
    gifs: list[Gif] = []
    test_ids: set[str] | None = None

    def resolve(p: str) -> Path:
        path = (root / p) if not Path(p).is_absolute() else Path(p)
        if not _inside(path, root):
            raise CorpusError(f"corpus path {p!r} is outside the repository; copy it under "
                              "data/annotations/ and `dvc add` it")
        if not path.is_file():
            raise CorpusError(f"corpus file not found: {p}")
        return path

    if sample:
        base = Path(sample_dir)
        meta, kin, split = base / "metadata.txt", base / "kinetics.csv", base / "testset.txt"
        for p in (meta, kin, split):
            if not (root / p).is_file():
                raise CorpusError(f"sample corpus file missing: {p} (run the `sample` stage)")
        gifs, rej = read_video2gif_metadata(root / meta)
        rejections += rej
        clips, rej = read_kinetics_csv(root / kin)
        rejections += rej
        test_ids, rej = read_split_file(root / split)
        rejections += rej
    else:
        path = resolve(source)
        name = path.name.lower()
        if name.endswith(".json"):
            clips, rejections = read_kinetics_json(path)
        elif name.endswith(".csv"):
            clips, rejections = read_kinetics_csv(path)
        elif name.endswith(".txt"):
            gifs, rejections = read_video2gif_metadata(path)
            if corpus.get("split_file"):
                test_ids, rej = read_split_file(resolve(corpus["split_file"]))
                rejections += rej
        else:
            raise CorpusError(f"corpus.source {source!r}: expected 'sample', a Kinetics .csv or "
                              ".json, or a Video2GIF metadata .txt")
        # Keep paths in messages relative to the repository, as users see them.
        rejections = [dataclasses.replace(r, origin=_relative_origin(r.origin, root))
                      for r in rejections]

    keep = _limit_videos([g.youtube_id for g in gifs] + [c.youtube_id for c in clips],
                         int(corpus.get("max_videos") or 0))
    if keep is not None:
        gifs = [g for g in gifs if g.youtube_id in keep]
        clips = [c for c in clips if c.youtube_id in keep]

    downloads: list[DownloadItem] = []
    seen_sources: set[str] = set()
    gif_rows: list[tuple[Gif, str]] = []
    for gif in gifs:
        split = "test" if test_ids is not None and gif.youtube_id in test_ids else "train"
        gif_rows.append((gif, split))
        if gif.youtube_id not in seen_sources:
            seen_sources.add(gif.youtube_id)
            downloads.append(DownloadItem(gif.youtube_id, gif.youtube_id,
                                          _url(gif.youtube_id, sample), None, None, split, "",
                                          gif.origin))
    downloads += _clip_items(clips, sample)
    return Manifest(downloads, gif_rows, rejections)


def _relative_origin(origin: str, root: Path) -> str:
    path, _, line = origin.rpartition(":")
    try:
        rel = Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return origin
    return f"{rel}:{line}"


def write_manifest(manifest: Manifest, out_dir: str | os.PathLike[str]) -> dict[str, int]:
    """Write ``downloads.csv``, ``gifs.csv`` and ``rejected.csv``; return counts."""
    out = Path(out_dir)
    write_text(out / "downloads.csv", csv_text(DOWNLOAD_COLUMNS, (
        (d.item_id, d.youtube_id, d.url, _fmt_time(d.start), _fmt_time(d.end), d.split,
         d.label, d.origin) for d in manifest.downloads)))
    write_text(out / "gifs.csv", csv_text(GIF_COLUMNS, (
        (g.gif_id, g.youtube_id, f"{g.start_sec:g}", f"{g.end_sec:g}", g.start_frame,
         g.end_frame, g.views, split, g.title, g.video_title,
         "" if g.video_duration is None else f"{g.video_duration:g}",
         "" if g.video_frame_count is None else g.video_frame_count, g.video_category,
         g.origin) for g, split in manifest.gifs)))
    write_text(out / "rejected.csv", csv_text(("origin", "reason", "raw"), (
        (r.origin, r.reason, r.raw) for r in manifest.rejections)))
    return {
        "downloads": len(manifest.downloads),
        "segments": sum(d.is_segment for d in manifest.downloads),
        "gifs": len(manifest.gifs),
        "rejected": len(manifest.rejections),
        "videos": len({d.youtube_id for d in manifest.downloads}),
    }


def read_downloads(path: str | os.PathLike[str]) -> list[DownloadItem]:
    """Read ``downloads.csv`` back (the Snakefile does this to fan out)."""
    items = []
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            items.append(DownloadItem(
                row["item_id"], row["youtube_id"], row["url"],
                float(row["start"]) if row["start"] else None,
                float(row["end"]) if row["end"] else None,
                row["split"], row["label"], row["origin"]))
    return items


def read_gif_rows(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Rows of ``gifs.csv`` as dicts (``GIF_COLUMNS``); none when the file does not exist."""
    if not Path(path).exists():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
