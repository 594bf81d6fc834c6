"""``corpus.format: urls``: a CSV list of videos on any site yt-dlp knows (some 1,800, plus
plain media files): ``url`` and, optionally, ``time_start``/``time_end`` (a clip, as in
Kinetics; ``start``/``end`` also read), ``label`` and ``split``.

A YouTube URL (watch, youtu.be, shorts, embed) is its 11-character id, so its clips have
Kinetics' names; any other URL gets a safe, stable id from the URL itself
(:func:`gifworthy.core.ids.url_item_id`). Rows with a segment become clips, rows without one
whole videos. Like every reader: one damaged line is one ``file:line`` rejection.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any

from gifworthy.core.ids import InvalidId, url_item_id, youtube_id_of
from gifworthy.corpus.base import (
    KINETICS_SPLITS,
    YOUTUBE_URL,
    Clip,
    CorpusData,
    NoMediaServer,
    Rejection,
    RowError,
    VideoInfo,
    check_segment,
    corpus_file,
    dedupe_clips,
    parse_split,
    parse_time,
)
from gifworthy.corpus.kinetics import split_csv_line

__all__ = ["UrlListReader", "read_url_list"]

_ALIASES = {"start": "time_start", "end": "time_end", "time_begin": "time_start"}


def _check_url(value: str) -> str:
    url = value.strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RowError(f"url is not an http(s) URL: {url[:80]!r}")
    if any(c.isspace() for c in url):
        raise RowError(f"url contains white space: {url[:80]!r}")
    return url


def read_url_list(path: str | Path) -> CorpusData:
    path = Path(path)
    data = CorpusData()
    clips: list[Clip] = []
    whole: dict[str, str] = {}
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        header_line = fh.readline()
        if not header_line.strip():
            data.rejections.append(Rejection(f"{path}:1", "empty file (no header)"))
            return data
        try:
            header = [_ALIASES.get(h.strip().lower(), h.strip().lower())
                      for h in split_csv_line(header_line.rstrip("\r\n"))]
        except RowError as exc:
            data.rejections.append(Rejection(f"{path}:1", f"header: {exc}", header_line[:200]))
            return data
        if "url" not in header:
            data.rejections.append(Rejection(f"{path}:1", "header lacks column url",
                                             ",".join(header)[:200]))
            return data
        col = {name: header.index(name) for name in
               ("url", "time_start", "time_end", "label", "split") if name in header}
        if ("time_start" in col) != ("time_end" in col):
            data.rejections.append(Rejection(f"{path}:1", "header has only one of time_start "
                                             "and time_end", ",".join(header)[:200]))
            return data
        for lineno, line in enumerate(fh, start=2):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            origin = f"{path}:{lineno}"
            try:
                row = split_csv_line(line)
                if len(row) != len(header):
                    raise RowError(f"expected {len(header)} fields, found {len(row)}")
                url = _check_url(row[col["url"]])
                try:
                    vid = url_item_id(url)
                except InvalidId as exc:
                    raise RowError(str(exc)) from None
                if youtube_id_of(url):  # every form of a YouTube URL is the one video
                    url = YOUTUBE_URL.format(youtube_id=vid)
                label = row[col["label"]].strip() if "label" in col else ""
                split = parse_split(row[col["split"]], allowed=KINETICS_SPLITS) \
                    if "split" in col and row[col["split"]].strip() else "train"
                start = row[col["time_start"]].strip() if "time_start" in col else ""
                end = row[col["time_end"]].strip() if "time_end" in col else ""
                if bool(start) != bool(end):
                    raise RowError("only one of time_start and time_end is given")
                if start:
                    t0, t1 = parse_time(start, "time_start"), parse_time(end, "time_end")
                    check_segment(t0, t1)
            except RowError as exc:
                data.rejections.append(Rejection(origin, str(exc), line[:200]))
                continue
            known = data.videos.get(vid)
            if known is not None and known.url != url:
                data.rejections.append(Rejection(origin, f"id {vid} already names another URL "
                                                 f"({known.url[:80]})", line[:200]))
                continue
            data.videos[vid] = VideoInfo(vid, url=url)
            if start:
                clips.append(Clip(vid, t0, t1, label, split, origin))
            elif vid in whole:
                data.rejections.append(Rejection(origin, f"duplicate of {whole[vid]}"))
            else:
                whole[vid] = origin
    data.clips = dedupe_clips(clips, data.rejections)
    data.sources = list(whole.items())
    return data


class UrlListReader(NoMediaServer):
    """``corpus.format: urls``: ``corpus.source`` is the CSV."""

    def read(self, corpus: dict[str, Any], root: Path) -> CorpusData:
        return read_url_list(corpus_file(corpus["source"], root))
