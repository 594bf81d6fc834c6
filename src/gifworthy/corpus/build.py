"""The manifest stage's reading half: the corpus that params ``corpus`` names, read by the
reader ``corpus.format`` chooses, limited to ``corpus.max_videos``, into a
:class:`~gifworthy.corpus.manifest.Manifest` (which ``write_manifest`` turns into the
tables). Only the manifest stage imports this module: the later stages read the tables."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Iterable

from gifworthy.core.ids import clip_id
from gifworthy.corpus.base import (
    YOUTUBE_URL,
    Clip,
    CorpusData,
    DownloadItem,
    Gif,
    VideoInfo,
)
from gifworthy.corpus.manifest import Manifest
from gifworthy.corpus.readers import get_reader

__all__ = ["build_manifest", "manifest_stage"]


def _limit_videos(ids_in_order: Iterable[str], max_videos: int) -> set[str] | None:
    if not max_videos:
        return None
    keep: dict[str, None] = {}
    for yid in ids_in_order:
        if len(keep) >= max_videos:
            break
        keep.setdefault(yid)
    return set(keep)


def _relative_origin(origin: str, root: Path) -> str:
    path, _, line = origin.rpartition(":")
    try:
        rel = Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return origin
    return f"{rel}:{line}"


def _url(data: CorpusData, youtube_id: str) -> str:
    info = data.videos.get(youtube_id)
    return info.url if info is not None and info.url else YOUTUBE_URL.format(
        youtube_id=youtube_id)


def _clip_items(clips: list[Clip], data: CorpusData) -> list[DownloadItem]:
    return [DownloadItem(clip_id(c.youtube_id, c.start, c.end), c.youtube_id,
                         _url(data, c.youtube_id), c.start, c.end, c.split, c.label, c.origin)
            for c in clips]


def build_manifest(corpus: dict[str, Any], *, root: str | os.PathLike[str] = ".") -> Manifest:
    """Read the corpus that params ``corpus`` names (``corpus.format`` chooses the reader)
    into a :class:`Manifest`. Corpus files must lie inside ``root`` (the repository), so DVC
    can track them."""
    root = Path(root)
    data = get_reader(str(corpus["format"])).read(corpus, root)
    # Keep paths in messages relative to the repository, as users see them.
    rejections = [dataclasses.replace(r, origin=_relative_origin(r.origin, root))
                  for r in data.rejections]
    gifs, clips, sources = data.gifs, data.clips, data.sources
    keep = _limit_videos([g.youtube_id for g in gifs] + [c.youtube_id for c in clips]
                         + [v for v, _ in sources], int(corpus.get("max_videos") or 0))
    if keep is not None:
        gifs = [g for g in gifs if g.youtube_id in keep]
        clips = [c for c in clips if c.youtube_id in keep]
        sources = [(v, o) for v, o in sources if v in keep]

    downloads: list[DownloadItem] = []
    seen_sources: set[str] = set()
    gif_rows: list[tuple[Gif, str]] = []
    for gif in gifs:
        split = "test" if data.test_ids is not None and gif.youtube_id in data.test_ids \
            else "train"
        gif_rows.append((gif, split))
        if gif.youtube_id not in seen_sources:
            seen_sources.add(gif.youtube_id)
            downloads.append(DownloadItem(gif.youtube_id, gif.youtube_id,
                                          _url(data, gif.youtube_id), None, None, split, "",
                                          gif.origin))
    downloads += _clip_items(clips, data)
    for video, origin in sources:
        if video not in seen_sources:
            seen_sources.add(video)
            downloads.append(DownloadItem(video, video, _url(data, video), None, None, "train",
                                          "", origin))
    video_ids = sorted({d.youtube_id for d in downloads})
    videos = [data.videos.get(v) or VideoInfo(v) for v in video_ids]
    wanted = set(video_ids)
    gif_files = [g for g in data.gif_files if g.youtube_id in wanted]
    return Manifest(downloads, gif_rows, rejections, videos, gif_files)


def manifest_stage(corpus: dict[str, Any], out_dir: str | os.PathLike[str],
                   metrics: str | os.PathLike[str], *, root: str | os.PathLike[str] = "."
                   ) -> tuple[dict[str, int], list[Any]]:
    """The DVC stage: build the manifest, write its tables and ``metrics/manifest.json``;
    returns the counts and the rejections (for the log)."""
    from gifworthy.core.fsutil import write_json
    from gifworthy.corpus.manifest import write_manifest

    result = build_manifest(corpus, root=root)
    counts = write_manifest(result, out_dir)
    write_json(metrics, counts)
    return counts, result.rejections
