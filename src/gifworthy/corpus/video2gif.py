"""The Video2GIF dataset: ``metadata.txt`` (one GIF a row, ``';\t'``-separated, 21 columns)
and the split file (``testset.txt``: one test-set YouTube id a line)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gifworthy.core.ids import YOUTUBE_ID_RE
from gifworthy.corpus.base import (
    YOUTUBE_URL,
    CorpusData,
    Gif,
    NoMediaServer,
    Rejection,
    RowError,
    VideoInfo,
    check_segment,
    corpus_file,
    parse_time,
    parse_youtube_id,
)

__all__ = ["V2G_COLUMNS", "V2G_SEPARATOR", "Video2GifReader", "read_split_file",
           "read_video2gif_metadata", "video_infos"]


V2G_COLUMNS = (
    "youtube_id",
    "is_creative_commons",
    "gif_id",
    "gif_url",
    "gif_start_frame",
    "gif_end_frame",
    "gif_start_sec",
    "gif_end_sec",
    "gif_title",
    "gif_views",
    "gif_age",
    "video_title",
    "video_views",
    "video_publish_date",
    "video_likes",
    "video_duration",
    "video_frame_count",
    "video_category",
    "video_rating",
    "video_description",
    "video_retrieved_date",
)


V2G_SEPARATOR = ";\t"


_GIF_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _int(value: str, name: str, *, default: int | None = None) -> int | None:
    value = value.strip()
    if not value:
        return default
    try:
        out = int(float(value))
    except ValueError:
        raise RowError(f"{name} is not a number: {value[:40]!r}") from None
    if out < 0:
        raise RowError(f"{name} is negative: {value!r}")
    return out


def read_video2gif_metadata(path: str | Path) -> tuple[list[Gif], list[Rejection]]:
    """Read a Video2GIF ``metadata.txt`` (``';\\t'``-separated, 21 columns, a header line).

    Times are taken from the seconds columns: frame indices refer to the original upload,
    whose frame rate a re-download may not share. A description that itself contains the
    separator is re-joined instead of rejecting the row.
    """
    path = Path(path)
    gifs: list[Gif] = []
    rejections: list[Rejection] = []
    seen: dict[str, str] = {}
    ncol = len(V2G_COLUMNS)
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        header = fh.readline()
        if not header:
            return [], [Rejection(f"{path}:1", "empty file (no header)")]
        names = [h.strip() for h in header.rstrip("\r\n").split(V2G_SEPARATOR)]
        if names[:3] != list(V2G_COLUMNS[:3]):
            return [], [Rejection(f"{path}:1", "header is not the Video2GIF metadata header "
                                  f"(first columns {names[:3]})", header[:200])]
        for lineno, line in enumerate(fh, start=2):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            origin = f"{path}:{lineno}"
            fields = line.split(V2G_SEPARATOR)
            if len(fields) > ncol:
                fields = fields[:19] + [V2G_SEPARATOR.join(fields[19:-1]), fields[-1]]
            if len(fields) != ncol:
                rejections.append(Rejection(
                    origin, f"expected {ncol} fields separated by ';\\t', found {len(fields)}",
                    line[:200]))
                continue
            row = dict(zip(V2G_COLUMNS, fields))
            try:
                yid = parse_youtube_id(row["youtube_id"].strip())
                gif_id = row["gif_id"].strip()
                if not _GIF_ID_RE.fullmatch(gif_id):
                    raise RowError(f"gif_id is not [A-Za-z0-9_-]{{1,64}}: {gif_id[:40]!r}")
                t0 = parse_time(row["gif_start_sec"], "gif_start_sec")
                t1 = parse_time(row["gif_end_sec"], "gif_end_sec")
                check_segment(t0, t1)
                f0 = _int(row["gif_start_frame"], "gif_start_frame", default=0)
                f1 = _int(row["gif_end_frame"], "gif_end_frame", default=0)
                if f1 and f1 <= (f0 or 0):
                    raise RowError(f"gif_end_frame <= gif_start_frame ({f0} .. {f1})")
                views = _int(row["gif_views"], "gif_views", default=0)
                duration = row["video_duration"].strip()
                video_duration = parse_time(duration, "video_duration") if duration else None
                if video_duration is not None and t0 >= video_duration > 0:
                    raise RowError(
                        f"GIF starts at {t0:g} s, after the video's end ({video_duration:g} s)")
                frames = _int(row["video_frame_count"], "video_frame_count")
                video_views = _int(row["video_views"], "video_views")
            except RowError as exc:
                rejections.append(Rejection(origin, str(exc), line[:200]))
                continue
            if gif_id in seen:
                rejections.append(Rejection(origin, f"duplicate gif_id {gif_id} (first at "
                                            f"{seen[gif_id]})", line[:200]))
                continue
            seen[gif_id] = origin
            gifs.append(Gif(
                gif_id=gif_id, youtube_id=yid, start_sec=t0, end_sec=t1,
                start_frame=f0 or 0, end_frame=f1 or 0, views=views or 0,
                title=row["gif_title"], video_title=row["video_title"],
                video_duration=video_duration, video_frame_count=frames,
                video_category=row["video_category"].strip(), origin=origin,
                video_views=video_views))
    return gifs, rejections


def read_split_file(path: str | Path) -> tuple[set[str], list[Rejection]]:
    """Read a list of YouTube ids, one a line (Video2GIF ``testset.txt``)."""
    path = Path(path)
    ids: set[str] = set()
    rejections: list[Rejection] = []
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            value = line.strip()
            if not value or value.startswith("#"):
                continue
            if not YOUTUBE_ID_RE.fullmatch(value):
                rejections.append(Rejection(f"{path}:{lineno}", "not a YouTube id", value[:80]))
                continue
            ids.add(value)
    return ids, rejections


def video_infos(gifs: list[Gif], url: str = YOUTUBE_URL) -> dict[str, VideoInfo]:
    """Per-video facts from the GIF rows (the metadata repeats them on every GIF)."""
    videos: dict[str, VideoInfo] = {}
    for g in gifs:
        if g.youtube_id not in videos:
            videos[g.youtube_id] = VideoInfo(
                g.youtube_id, title=g.video_title, category=g.video_category,
                views=g.video_views, duration=g.video_duration,
                url=url.format(youtube_id=g.youtube_id))
    return videos


class Video2GifReader(NoMediaServer):
    """``corpus.format: video2gif``: ``corpus.source`` is ``metadata.txt``, ``split_file``
    the test ids (every other video is train)."""

    def read(self, corpus: dict[str, Any], root: Path) -> CorpusData:
        gifs, rejections = read_video2gif_metadata(corpus_file(corpus["source"], root))
        test_ids = None
        if corpus.get("split_file"):
            test_ids, rej = read_split_file(corpus_file(corpus["split_file"], root))
            rejections += rej
        return CorpusData(gifs=gifs, rejections=rejections, test_ids=test_ids,
                          videos=video_infos(gifs))
