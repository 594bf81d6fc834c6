"""Readers for the annotation formats: Kinetics CSV and JSON, Video2GIF ``metadata.txt``.

Every reader returns the good records and a list of :class:`Rejection` (``file:line`` and a
reason) for the bad ones; a bad row never stops the others. Ids are checked here, so nothing
hostile (``../x``) travels further.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import re
from pathlib import Path
from typing import Iterable

from .ids import YOUTUBE_ID_RE

__all__ = [
    "Clip",
    "Gif",
    "Rejection",
    "KINETICS_SPLITS",
    "V2G_COLUMNS",
    "read_kinetics_csv",
    "read_kinetics_json",
    "read_video2gif_metadata",
    "read_split_file",
]

# Kinetics names its splits train / validate / test; "val" and "validation" appear in
# derived lists. They are normalised to the three canonical names.
KINETICS_SPLITS = {
    "train": "train",
    "training": "train",
    "validate": "validate",
    "val": "validate",
    "validation": "validate",
    "test": "test",
    "testing": "test",
}

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


@dataclasses.dataclass(frozen=True, slots=True)
class Rejection:
    """A row that was not accepted: where it is, why, and (a prefix of) what it said."""

    origin: str
    reason: str
    raw: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class Clip:
    """A Kinetics clip annotation: a labelled segment of one YouTube video."""

    youtube_id: str
    start: float
    end: float
    label: str
    split: str
    origin: str


@dataclasses.dataclass(frozen=True, slots=True)
class Gif:
    """A Video2GIF GIF annotation: a segment of a source video that a user made a GIF of."""

    gif_id: str
    youtube_id: str
    start_sec: float
    end_sec: float
    start_frame: int
    end_frame: int
    views: int
    title: str
    video_title: str
    video_duration: float | None
    video_frame_count: int | None
    video_category: str
    origin: str


class _RowError(ValueError):
    pass


def _time(value: str, name: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise _RowError(f"{name} is not a number: {value!r}") from None
    if not math.isfinite(out):
        raise _RowError(f"{name} is not finite: {value!r}")
    if out < 0:
        raise _RowError(f"{name} is negative: {value!r}")
    return out


def _youtube_id(value: str) -> str:
    if not YOUTUBE_ID_RE.fullmatch(value):
        raise _RowError(f"youtube_id is not 11 characters of [A-Za-z0-9_-]: {value[:40]!r}")
    return value


def _segment(start: float, end: float, what: str = "time") -> None:
    if end <= start:
        raise _RowError(f"end <= start ({what} {start:g} .. {end:g})")


def _split(value: str, *, allowed: dict[str, str] = KINETICS_SPLITS) -> str:
    split = allowed.get(value.strip().lower())
    if split is None:
        raise _RowError(f"unknown split {value[:40]!r} (expected one of train, validate, test)")
    return split


def _clip_checks(
    youtube_id: str, start: str, end: str, label: str, split: str
) -> tuple[str, float, float, str, str]:
    yid = _youtube_id(youtube_id.strip())
    t0, t1 = _time(start, "time_start"), _time(end, "time_end")
    _segment(t0, t1)
    sp = _split(split)
    label = label.strip()
    if not label and sp != "test":
        raise _RowError(f"missing label in split {sp!r} (only test rows may lack one)")
    return yid, t0, t1, label, sp


def _dedupe_clips(clips: Iterable[Clip], rejections: list[Rejection]) -> list[Clip]:
    seen: dict[tuple[str, float, float], str] = {}
    out = []
    for clip in clips:
        key = (clip.youtube_id, clip.start, clip.end)
        if key in seen:
            rejections.append(Rejection(clip.origin, f"duplicate of {seen[key]}"))
            continue
        seen[key] = clip.origin
        out.append(clip)
    return out


def read_kinetics_csv(path: str | Path) -> tuple[list[Clip], list[Rejection]]:
    """Read a Kinetics CSV (``label,youtube_id,time_start,time_end,split[,is_cc]``).

    Columns are found by header name, so the test lists without ``label`` and the lists with
    an extra ``is_cc`` column read too. Lines are 1-based, the header is line 1.
    """
    path = Path(path)
    clips: list[Clip] = []
    rejections: list[Rejection] = []
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            return [], [Rejection(f"{path}:1", "empty file (no header)")]
        required = ["youtube_id", "time_start", "time_end", "split"]
        missing = [c for c in required if c not in header]
        if missing:
            return [], [Rejection(f"{path}:1", f"header lacks column(s) {', '.join(missing)}",
                                  ",".join(header)[:200])]
        i_id, i_t0, i_t1, i_sp = (header.index(c) for c in required)
        i_label = header.index("label") if "label" in header else None
        width = len(header)
        for row in reader:
            origin = f"{path}:{reader.line_num}"
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if len(row) != width:
                rejections.append(Rejection(
                    origin, f"expected {width} fields, found {len(row)}", ",".join(row)[:200]))
                continue
            try:
                yid, t0, t1, label, sp = _clip_checks(
                    row[i_id], row[i_t0], row[i_t1],
                    row[i_label] if i_label is not None else "", row[i_sp])
            except _RowError as exc:
                rejections.append(Rejection(origin, str(exc), ",".join(row)[:200]))
                continue
            clips.append(Clip(yid, t0, t1, label, sp, origin))
    return _dedupe_clips(clips, rejections), rejections


def _json_key_lines(text: str) -> dict[str, int]:
    """Line number of each top-level key's first occurrence (for file:line messages)."""
    lines: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        for match in re.finditer(r'"((?:[^"\\]|\\.)*)"\s*:', line):
            lines.setdefault(match.group(1), lineno)
    return lines


def read_kinetics_json(path: str | Path) -> tuple[list[Clip], list[Rejection]]:
    """Read a Kinetics JSON: ``{id: {"annotations": {"label", "segment"}, "subset", ...}}``."""
    path = Path(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [Rejection(f"{path}:{exc.lineno}", f"not valid JSON: {exc.msg}")]
    if not isinstance(data, dict):
        return [], [Rejection(f"{path}:1", "top level is not an object of videos")]
    key_lines = _json_key_lines(text)
    clips: list[Clip] = []
    rejections: list[Rejection] = []
    for key, entry in data.items():
        origin = f"{path}:{key_lines.get(key, 1)}"
        try:
            if not isinstance(entry, dict):
                raise _RowError("entry is not an object")
            ann = entry.get("annotations")
            if not isinstance(ann, dict):
                raise _RowError("missing 'annotations' object")
            segment = ann.get("segment")
            if not (isinstance(segment, (list, tuple)) and len(segment) == 2):
                raise _RowError("annotations.segment is not [start, end]")
            yid, t0, t1, label, sp = _clip_checks(
                str(key), str(segment[0]), str(segment[1]),
                str(ann.get("label") or ""), str(entry.get("subset", "")))
        except _RowError as exc:
            rejections.append(Rejection(origin, str(exc), str(key)[:80]))
            continue
        clips.append(Clip(yid, t0, t1, label, sp, origin))
    return _dedupe_clips(clips, rejections), rejections


def _int(value: str, name: str, *, default: int | None = None) -> int | None:
    value = value.strip()
    if not value:
        return default
    try:
        out = int(float(value))
    except ValueError:
        raise _RowError(f"{name} is not a number: {value[:40]!r}") from None
    if out < 0:
        raise _RowError(f"{name} is negative: {value!r}")
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
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
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
                yid = _youtube_id(row["youtube_id"].strip())
                gif_id = row["gif_id"].strip()
                if not _GIF_ID_RE.fullmatch(gif_id):
                    raise _RowError(f"gif_id is not [A-Za-z0-9_-]{{1,64}}: {gif_id[:40]!r}")
                t0 = _time(row["gif_start_sec"], "gif_start_sec")
                t1 = _time(row["gif_end_sec"], "gif_end_sec")
                _segment(t0, t1)
                f0 = _int(row["gif_start_frame"], "gif_start_frame", default=0)
                f1 = _int(row["gif_end_frame"], "gif_end_frame", default=0)
                if f1 and f1 <= f0:
                    raise _RowError(f"gif_end_frame <= gif_start_frame ({f0} .. {f1})")
                views = _int(row["gif_views"], "gif_views", default=0)
                duration = row["video_duration"].strip()
                video_duration = _time(duration, "video_duration") if duration else None
                if video_duration is not None and t0 >= video_duration > 0:
                    raise _RowError(
                        f"GIF starts at {t0:g} s, after the video's end ({video_duration:g} s)")
                frames = _int(row["video_frame_count"], "video_frame_count")
            except _RowError as exc:
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
                video_category=row["video_category"].strip(), origin=origin))
    return gifs, rejections


def read_split_file(path: str | Path) -> tuple[set[str], list[Rejection]]:
    """Read a list of YouTube ids, one a line (Video2GIF ``testset.txt``)."""
    path = Path(path)
    ids: set[str] = set()
    rejections: list[Rejection] = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            value = line.strip()
            if not value or value.startswith("#"):
                continue
            if not YOUTUBE_ID_RE.fullmatch(value):
                rejections.append(Rejection(f"{path}:{lineno}", "not a YouTube id", value[:80]))
                continue
            ids.add(value)
    return ids, rejections
