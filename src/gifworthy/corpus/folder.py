"""``corpus.format: folder``: every video file under a folder (``corpus.source``) is a
source video, with no download: the download stage links or copies it into the same layout
(``download.local_files``), never moving or modifying the original.

Ids come from each file's path relative to the folder (:func:`gifworthy.core.ids.
path_item_id`), so they are stable as the folder grows. The folder may lie outside the
repository (a collection too large to copy in); its files then are not tracked by DVC, the
copies in the layout are. Hidden files and folders are skipped; so are files whose suffix is
not a video container's.
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path
from typing import Any

from gifworthy.core.ids import path_item_id
from gifworthy.corpus.base import CorpusData, CorpusError, NoMediaServer, Rejection, VideoInfo

__all__ = ["LOCAL_SCHEME", "VIDEO_SUFFIXES", "FolderReader", "local_path", "local_url",
           "read_folder"]

VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg",
                            ".ts", ".mts", ".m2ts", ".flv", ".wmv", ".3gp", ".ogv"})

# A file on this machine: ``local:`` and the path as params name it (relative to the
# repository when the folder is), so the manifest is the same on every clone.
LOCAL_SCHEME = "local:"


def local_url(path: str) -> str:
    return LOCAL_SCHEME + urllib.parse.quote(path)


def local_path(url: str) -> Path:
    return Path(urllib.parse.unquote(url[len(LOCAL_SCHEME):]))


def read_folder(folder: str, root: Path) -> CorpusData:
    base = Path(folder) if Path(folder).is_absolute() else root / folder
    if not base.is_dir():
        raise CorpusError(f"corpus.source: {folder}: not a folder (corpus.format folder reads "
                          "every video under a folder)")
    data = CorpusData()
    found: list[tuple[str, str]] = []

    def unreadable(exc: OSError) -> None:
        data.rejections.append(Rejection(str(exc.filename or folder), f"unreadable: "
                                         f"{exc.strerror or exc}"))

    for dirpath, dirnames, filenames in os.walk(base, onerror=unreadable):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or Path(name).suffix.lower() not in VIDEO_SUFFIXES:
                continue
            full = Path(dirpath) / name
            rel = full.relative_to(base).as_posix()
            if not os.access(full, os.R_OK):
                data.rejections.append(Rejection(f"{folder}/{rel}", "unreadable file"))
                continue
            found.append((rel, f"{folder.rstrip('/')}/{rel}"))
    for rel, named in found:
        vid = path_item_id(rel)
        data.videos[vid] = VideoInfo(vid, title=Path(rel).stem, url=local_url(named))
        data.sources.append((vid, named))
    return data


class FolderReader(NoMediaServer):
    """``corpus.format: folder``: ``corpus.source`` is the folder."""

    def read(self, corpus: dict[str, Any], root: Path) -> CorpusData:
        return read_folder(str(corpus["source"]), root)
