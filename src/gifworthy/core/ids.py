"""Identifiers that become file names. Anything from an annotation file passes through here
before it can reach a path."""

from __future__ import annotations

import hashlib
import re
import urllib.parse

__all__ = ["ITEM_ID_PATTERN", "ITEM_ID_RE", "YOUTUBE_ID_RE", "InvalidId", "check_item_id",
           "check_youtube_id", "clip_id", "path_item_id", "synthetic_id", "url_item_id",
           "youtube_id_of"]

# Any item (a clip, a video, a GIF) is named by a safe id: one path component of letters,
# digits, "_" and "-" (no "." so never ".."), at most 128 characters. A YouTube id is one kind.
ITEM_ID_PATTERN = r"[A-Za-z0-9_-]{1,128}"
ITEM_ID_RE = re.compile(ITEM_ID_PATTERN)
YOUTUBE_ID_RE = re.compile(r"[A-Za-z0-9_-]{11}")


class InvalidId(ValueError):
    """An identifier that is not safe or not well formed."""


def check_item_id(value: str) -> str:
    """Return ``value`` if it is a safe item id (see ``ITEM_ID_PATTERN``), else raise
    :class:`InvalidId`: such an id can never leave the folder it names a file in."""
    if not isinstance(value, str) or not ITEM_ID_RE.fullmatch(value):
        raise InvalidId(f"not a safe id (1-128 characters of [A-Za-z0-9_-]): {value!r}")
    return value


def check_youtube_id(value: str) -> str:
    """Return ``value`` if it is an 11-character YouTube id, else raise :class:`InvalidId`.

    This also guarantees the id is a single path component with no ``.``, ``/`` or ``\\``,
    so ``data/.../{id}.mp4`` can never leave its directory.
    """
    if not isinstance(value, str) or not YOUTUBE_ID_RE.fullmatch(value):
        raise InvalidId(f"not a YouTube id (11 characters of [A-Za-z0-9_-]): {value!r}")
    return value


def clip_id(youtube_id: str, start: float, end: float) -> str:
    """Kinetics' clip naming, ``{id}_{start:06d}_{end:06d}`` (milliseconds if fractional);
    ``youtube_id`` may be any video's safe id (:func:`url_item_id`, :func:`path_item_id`)."""
    if len(youtube_id) > 100:
        raise InvalidId(f"a clip's video id is over 100 characters: {youtube_id[:40]!r}...")
    check_item_id(youtube_id)
    if float(start).is_integer() and float(end).is_integer():
        return f"{youtube_id}_{int(start):06d}_{int(end):06d}"
    return f"{youtube_id}_{round(start * 1000):09d}ms_{round(end * 1000):09d}ms"


# YouTube's URL shapes: watch?v=, youtu.be/, shorts/, embed/, live/, v/ (any subdomain).
_YOUTUBE_URL_RE = re.compile(
    r"^https?://(?:[a-z0-9-]+\.)*(?:youtube\.com|youtube-nocookie\.com|youtu\.be)/"
    r"(?:watch\?(?:[^#]*&)?v=|shorts/|embed/|live/|v/|e/)?([A-Za-z0-9_-]{11})(?![A-Za-z0-9_-])",
    re.I)


def youtube_id_of(url: str) -> str | None:
    """The 11-character id of a YouTube video URL, or None for any other URL."""
    match = _YOUTUBE_URL_RE.match(url.strip())
    return match.group(1) if match else None


def _slug(text: str, limit: int) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-_")[:limit].strip("-_")


def url_item_id(url: str) -> str:
    """A safe, stable id for a video at any URL: the YouTube id for YouTube, else the host
    and the last path part as a readable slug plus 10 hex digits of the URL's SHA-256
    (``vimeo-com-76979871-3f2a9c1b7d``)."""
    yid = youtube_id_of(url)
    if yid:
        return yid
    parts = urllib.parse.urlsplit(url.strip())
    host = (parts.hostname or "").removeprefix("www.")
    tail = [p for p in parts.path.split("/") if p][-1:] or [""]
    slug = _slug(f"{host}-{tail[0].rsplit('.', 1)[0]}", 60) or "url"
    digest = hashlib.sha256(url.strip().encode()).hexdigest()[:10]
    return check_item_id(f"{slug}-{digest}")


def path_item_id(relpath: str) -> str:
    """A safe, stable id for a local video file (its path relative to the folder read): the
    path as a readable slug plus 10 hex digits of its SHA-256 (``holiday-beach-1a2b3c4d5e``);
    the file's bytes play no part, so renaming nothing keeps every id."""
    stem = relpath.rsplit(".", 1)[0] if "." in relpath.rsplit("/", 1)[-1] else relpath
    slug = _slug(stem.replace("/", "-"), 60) or "video"
    digest = hashlib.sha256(relpath.encode()).hexdigest()[:10]
    return check_item_id(f"{slug}-{digest}")


def synthetic_id(name: str) -> str:
    """A stable YouTube-shaped id for a sample-corpus video (never starts with '-')."""
    digest = hashlib.sha256(name.encode()).digest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    chars = [alphabet[b % 62 if i == 0 else b % 64] for i, b in enumerate(digest[:11])]
    return "".join(chars)
