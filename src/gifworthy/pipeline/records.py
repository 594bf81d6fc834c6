"""Status records: the small JSON file each job writes for success and failure alike, so one
bad item is a record, never a failed stage (GUIDE 3, trap 2). Typed here, once."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal, TypedDict

import orjson

from gifworthy.core.fsutil import read_json
from gifworthy.pipeline.paths import bucket

__all__ = ["AlignmentRecord", "DownloadRecord", "GifRecord", "Status", "TrimRecord",
           "source_of_record", "source_video",
           "iter_records", "read_record", "read_records", "record_version"]

Status = Literal["ok", "failed", "skipped", "throttled", "deferred", "missing"]


class DownloadRecord(TypedDict, total=False):
    """One download item: what was asked, what happened, how long it took."""

    item_id: str
    youtube_id: str
    segment: list[float] | None
    segment_download: bool
    exact_cuts: bool
    status: str
    category: str
    retry: bool
    message: str
    bytes: int
    download_seconds: float
    ffmpeg_seconds: float
    attempts: int
    throttle_pauses: int
    file: str | None
    finished_at: str
    reused: bool
    format_id: str | None
    duration: float
    width: int
    height: int
    fps: float
    # The video's metadata from its site (gifworthy.download.ytdlp.INFO_FIELDS; None when the
    # site gave none), and why it is missing when fetching it failed.
    info: dict[str, Any] | None
    info_error: str


class TrimRecord(TypedDict, total=False):
    """One trimmed clip (``file`` relative to the trim variant folder)."""

    item_id: str
    youtube_id: str | None
    mode: str
    segment: list[float] | None
    status: str
    category: str
    message: str
    file: str
    duration_error: float
    frames: int
    duration: float
    fps: float
    width: int
    height: int
    ffmpeg_seconds: float


class GifRecord(TypedDict, total=False):
    """The animations of one clip (``kind`` clips) or Video2GIF GIF segment (``kind`` v2g)."""

    kind: str
    item_id: str
    start: float | None
    end: float | None
    status: str
    category: str
    message: str
    outputs: dict[str, dict[str, Any]]


class AlignmentRecord(TypedDict, total=False):
    """Where one GIF lies in its source video, or why it could not be placed."""

    gif_id: str
    youtube_id: str
    aligned: bool
    start_sec: float
    end_sec: float
    start_frame: int
    end_frame: int
    speed: float
    mean_distance: float
    confidence: float
    reason: str


def read_record(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """A status record, or None when it is missing or unreadable."""
    try:
        record = read_json(path)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def iter_records(folder: str | os.PathLike[str], ids: Iterable[str],
                 suffix: str = ".json") -> Iterator[dict[str, Any] | None]:
    """The records of many items of one folder (``folder/<bucket>/<id><suffix>``), one at a
    time in the order of ``ids``, None where one is missing or unreadable: what a report over
    650,000 items reads. A report that keeps only what it counts holds one record at a time
    (the 650,000 download records with their metadata took 5.6 GB held in a list). Plain
    string paths and orjson (pathlib objects and the json module took three quarters of a
    report's time); a record orjson refuses (NaN, which Python's json writes) is read again by
    the json module."""
    base = os.fspath(folder)
    for item in ids:
        try:
            with open(f"{base}/{bucket(item)}/{item}{suffix}", "rb") as fh:
                data = fh.read()
        except OSError:
            yield None
            continue
        try:
            record = orjson.loads(data)
        except orjson.JSONDecodeError:
            try:
                record = json.loads(data)
            except ValueError:
                record = None
        yield record if isinstance(record, dict) else None


def read_records(folder: str | os.PathLike[str], ids: Iterable[str],
                 suffix: str = ".json") -> list[dict[str, Any] | None]:
    """:func:`iter_records` as a list, for the reports whose records are small."""
    return list(iter_records(folder, ids, suffix))


def record_version(path: str | os.PathLike[str]) -> str:
    """Identity of a finished upstream record, for the keys of the jobs made from it: its path
    (which names the params), its status and time, and the key of the job that wrote it.
    Re-recording the same download (a kill between video and record) keeps the version, so
    nothing made from it is redone; a new download or new upstream code changes it."""
    path = Path(path)
    record = read_record(path)
    if record is None:
        return f"{path.as_posix()}@missing"
    key_file = path.with_name(path.name + ".key")
    key = key_file.read_text(encoding="utf-8").strip() if key_file.exists() else ""
    return f"{path.as_posix()}@{record.get('status')}@{record.get('finished_at', '')}@{key}"


def source_of_record(record_file: str | os.PathLike[str], folder: str | os.PathLike[str],
                     what: str = "download") -> tuple[Path | None, str]:
    """The media file an upstream ``ok`` record names (relative to its variant ``folder``),
    or None and the reason there is none."""
    record = read_record(record_file)
    if record is None:
        return None, f"no record {record_file}"
    if record.get("status") != "ok":
        reason = record.get("category") if what == "download" else record.get("message", "")
        return None, f"{what} {record.get('status')}: {reason or ''}"[:300]
    return Path(folder) / str(record["file"]), ""


def source_video(params: dict[str, Any], video_id: str) -> Path | None:
    """The downloaded full video of ``video_id``, or None when its download is missing or
    failed."""
    from gifworthy.pipeline import paths

    return source_of_record(paths.download_record(params, video_id),
                            paths.download_dir(params))[0]
