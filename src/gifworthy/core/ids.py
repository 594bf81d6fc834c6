"""Identifiers that become file names. Anything from an annotation file passes through here
before it can reach a path."""

from __future__ import annotations

import hashlib
import re

__all__ = ["ITEM_ID_PATTERN", "ITEM_ID_RE", "YOUTUBE_ID_RE", "InvalidId", "check_item_id",
           "check_youtube_id", "clip_id", "synthetic_id"]

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
    """Kinetics' clip naming, ``{id}_{start:06d}_{end:06d}`` (milliseconds if fractional)."""
    check_youtube_id(youtube_id)
    if float(start).is_integer() and float(end).is_integer():
        return f"{youtube_id}_{int(start):06d}_{int(end):06d}"
    return f"{youtube_id}_{round(start * 1000):09d}ms_{round(end * 1000):09d}ms"


def synthetic_id(name: str) -> str:
    """A stable YouTube-shaped id for a sample-corpus video (never starts with '-')."""
    digest = hashlib.sha256(name.encode()).digest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    chars = [alphabet[b % 62 if i == 0 else b % 64] for i, b in enumerate(digest[:11])]
    return "".join(chars)
