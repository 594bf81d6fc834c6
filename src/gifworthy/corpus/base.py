"""What a corpus is made of, and the protocol of a corpus reader.

A reader turns one corpus format into a :class:`CorpusData`: clip annotations (Kinetics),
GIF annotations (Video2GIF), per-video facts (title, category, views, known cuts, the URL to
fetch it from), GIF files to align (with their true segment where known) and a
:class:`Rejection` (``file:line`` and a reason) for every bad row; a bad row never stops the
others. Ids are checked by the readers, so nothing hostile (``../x``) travels further.
The manifest stage writes this into the tables every later stage reads; nothing downstream
opens a corpus file itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, NamedTuple, Protocol

from gifworthy.core.errors import GifworthyError
from gifworthy.core.ids import YOUTUBE_ID_RE

__all__ = ["KINETICS_SPLITS", "MEDIA_SERVER_ENV", "MEDIA_SERVER_PLACEHOLDER", "YOUTUBE_URL",
           "Clip", "CorpusData", "CorpusError", "CorpusReader", "DownloadItem", "Gif", "GifFile",
           "NoMediaServer", "Rejection", "RowError", "VideoInfo", "check_segment", "corpus_file",
           "dedupe_clips", "inside", "parse_split", "parse_time", "parse_youtube_id"]

YOUTUBE_URL = "https://www.youtube.com/watch?v={youtube_id}"
# A corpus served from this machine (a mirror, or the embedded sample over loopback) names
# its URLs with this placeholder; the download stage fills in the base URL from the
# environment, so the manifest does not depend on a port.
MEDIA_SERVER_PLACEHOLDER = "{media_server}"
MEDIA_SERVER_ENV = "GIFWORTHY_MEDIA_SERVER"


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


class CorpusError(GifworthyError, ValueError):
    """The corpus named in params.yaml cannot be read at all."""


@dataclasses.dataclass(frozen=True, slots=True)
class Rejection:
    """A row that was not accepted: where it is, why, and (a prefix of) what it said."""

    origin: str
    reason: str
    raw: str = ""


class Clip(NamedTuple):
    """A Kinetics clip annotation: a labelled segment of one YouTube video (a named tuple:
    650,000 of them in a Kinetics-700 list)."""

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
    video_views: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class VideoInfo:
    """What a corpus knows of one source video beyond its annotations. ``cuts`` are known
    shot starts in decoded frames (for the shot detectors' metrics), when the corpus has
    them."""

    youtube_id: str
    title: str = ""
    category: str = ""
    views: int | None = None
    duration: float | None = None
    url: str = ""
    cuts: tuple[int, ...] | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class GifFile:
    """A GIF file said to come from ``youtube_id`` (to align). ``file`` is a path or a
    package reference (:mod:`gifworthy.core.resources`); the truth fields are set where the
    corpus knows where the GIF really comes from (``decoy``: from no part of that video)."""

    gif_id: str
    youtube_id: str
    file: str
    start_frame: int | None = None
    end_frame: int | None = None
    distortion: str = ""
    decoy: bool = False


class DownloadItem(NamedTuple):
    """One file to fetch: a clip (``start``/``end`` set) or a whole source video. A named
    tuple, not a dataclass: a Kinetics-700 manifest makes 650,000 of them in every stage's
    plan, and a tuple is built three times as fast."""

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
class CorpusData:
    """Everything a reader found. ``test_ids``: the videos of the test split, when the corpus
    names one (Video2GIF); every other GIF video is train. ``videos`` holds each video's
    URL when it is not YouTube's default for its id (``local:`` for a file on this machine)."""

    clips: list[Clip] = dataclasses.field(default_factory=list)
    gifs: list[Gif] = dataclasses.field(default_factory=list)
    # Whole videos to fetch that have neither clips nor GIFs (a URL list, a folder), in order:
    # (video id, origin "file:line" or the file's path).
    sources: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    rejections: list[Rejection] = dataclasses.field(default_factory=list)
    test_ids: set[str] | None = None
    videos: dict[str, VideoInfo] = dataclasses.field(default_factory=dict)
    gif_files: list[GifFile] = dataclasses.field(default_factory=list)


class CorpusReader(Protocol):
    """One corpus format (``corpus.format`` in params.yaml names it in
    :data:`gifworthy.corpus.readers.READERS`)."""

    def read(self, corpus: dict[str, Any], root: Path) -> CorpusData:
        """Read the corpus that params ``corpus`` names; paths are relative to ``root``."""
        ...

    def media_server(self, corpus: dict[str, Any], root: Path
                     ) -> contextlib.AbstractContextManager[str | None]:
        """A local server for the corpus's media while it downloads (its base URL), or a
        context yielding None when the media is fetched from where the URLs point."""
        ...


class NoMediaServer:
    """The default: media is fetched from its URLs."""

    @contextlib.contextmanager
    def media_server(self, corpus: dict[str, Any], root: Path) -> Iterator[str | None]:
        yield None


def inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def corpus_file(value: str | os.PathLike[str], root: Path) -> Path:
    """A corpus file named in params: it must lie inside the repository (so DVC can track
    it) and exist."""
    text = os.fspath(value)
    path = Path(text) if Path(text).is_absolute() else root / text
    if not inside(path, root):
        raise CorpusError(f"corpus path {text!r} is outside the repository; copy it under "
                          "data/annotations/ and `dvc add` it")
    if not path.is_file():
        raise CorpusError(f"corpus file not found: {text}")
    return path


class RowError(ValueError):
    """A bad row; the reader records it as a :class:`Rejection` and goes on."""


def parse_time(value: str, name: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise RowError(f"{name} is not a number: {value!r}") from None
    if not math.isfinite(out):
        raise RowError(f"{name} is not finite: {value!r}")
    if out < 0:
        raise RowError(f"{name} is negative: {value!r}")
    return out


def parse_youtube_id(value: str) -> str:
    if not YOUTUBE_ID_RE.fullmatch(value):
        raise RowError(f"youtube_id is not 11 characters of [A-Za-z0-9_-]: {value[:40]!r}")
    return value


def check_segment(start: float, end: float, what: str = "time") -> None:
    if end <= start:
        raise RowError(f"end <= start ({what} {start:g} .. {end:g})")


def parse_split(value: str, *, allowed: dict[str, str] = KINETICS_SPLITS) -> str:
    split = allowed.get(value.strip().lower())
    if split is None:
        raise RowError(f"unknown split {value[:40]!r} (expected one of train, validate, test)")
    return split


def dedupe_clips(clips: Iterable[Clip], rejections: list[Rejection]) -> list[Clip]:
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
