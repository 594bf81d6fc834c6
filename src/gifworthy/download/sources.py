"""Download sources: the protocol every source implements and the registry that picks one
for a URL. A source fetches one item into a private temporary folder and returns an
:class:`Attempt` (the file, or a classified failure); the stage validates, renames into place
and writes the record. Adding a source is one module with a class like
:class:`gifworthy.download.ytdlp.YtDlpSource` and one line in :data:`SOURCES`. The Kinetics
mirror (:mod:`gifworthy.download.mirror`) is not a per-item source: one archive holds
thousands of clips, so it runs once over the archives, after the per-item downloads."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Callable, Protocol

from gifworthy.core.registry import load
from gifworthy.corpus.base import (
    MEDIA_SERVER_ENV,
    MEDIA_SERVER_PLACEHOLDER,
    DownloadItem,
)
from gifworthy.download.failures import Failure

__all__ = ["MEDIA_SERVER_ENV", "MEDIA_SERVER_PLACEHOLDER", "SOURCES", "Attempt", "Source",
           "resolve_url", "source_for"]




@dataclasses.dataclass
class Attempt:
    """What one try of a source gave: a media file, or a classified failure."""

    ok: bool
    file: Path | None = None
    failure: Failure | None = None
    info: dict[str, Any] = dataclasses.field(default_factory=dict)
    download_seconds: float = 0.0
    ffmpeg_seconds: float = 0.0
    stderr: str = ""
    # How long the whole source is, asked only when a segment comes out short (to tell a
    # transfer cut short from a video that ends before the annotation does).
    source_duration: Callable[[], float | None] = lambda: None


class Source(Protocol):
    """Fetches one item: ``fetch`` writes the media file into ``tmpdir`` (nothing else
    there survives) and never raises for a bad video; ``info`` gives the video's metadata
    without the video (an empty dict when the source has none). ``access`` is params
    ``access`` (cookies, pacing, proxies), for the sources that go to the network."""

    name: str

    def handles(self, url: str) -> bool: ...

    def fetch(self, item: DownloadItem, url: str, dl: dict[str, Any], tmpdir: Path,
              access: dict[str, Any]) -> Attempt: ...

    def info(self, url: str, dl: dict[str, Any], access: dict[str, Any]
             ) -> tuple[dict[str, Any] | None, Failure | None]: ...


# Registry: source name -> class, tried in order; the first that handles a URL fetches it.
SOURCES: dict[str, str] = {
    "local": "gifworthy.download.local:LocalFileSource",
    "yt-dlp": "gifworthy.download.ytdlp:YtDlpSource",
}


def source_for(url: str) -> Source:
    """The first registered source that handles ``url``."""
    for name in SOURCES:
        source = load(SOURCES, name, "download source")()
        if source.handles(url):
            return source
    raise ValueError(f"{url}: no download source handles this URL")


def resolve_url(url: str) -> str:
    """Fill in the local media server's address (see :data:`MEDIA_SERVER_PLACEHOLDER`)."""
    if MEDIA_SERVER_PLACEHOLDER in url:
        base = os.environ.get(MEDIA_SERVER_ENV)
        if not base:
            raise RuntimeError(
                f"{url}: a URL of a locally served corpus, but ${MEDIA_SERVER_ENV} is not set. "
                "Such a corpus is served by `gifworthy with-media-server -- ...` (the download "
                "stage does it)")
        return url.replace(MEDIA_SERVER_PLACEHOLDER, base.rstrip("/"))
    return url
