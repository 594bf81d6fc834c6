"""The local-file source (``local:`` URLs of ``corpus.format: folder``): a video on this
machine is put into the download layout without a download, never moved or modified.

An MP4 (or MOV / M4V, the same container family) is copied, or hard-linked with
``download.local_files: hardlink`` (no extra disk; a DVC cache of type ``hardlink`` or
``symlink`` would then make the original read-only, so keep DVC's default ``reflink,copy``).
Any other container is rewritten as MP4 with its streams copied, or re-encoded to H.264 when
MP4 cannot hold them. The result is validated like every download.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from gifworthy.corpus.base import DownloadItem
from gifworthy.corpus.folder import LOCAL_SCHEME, local_path
from gifworthy.download.failures import Failure, classify
from gifworthy.download.sources import Attempt
from gifworthy.media.probe import MediaError, probe

__all__ = ["LocalFileSource"]

_MP4_FAMILY = {".mp4", ".m4v", ".mov"}


def _ffmpeg(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args],
                          capture_output=True, text=True, timeout=24 * 3600)


def _place(src: Path, dst: Path, how: str) -> str:
    """Put ``src`` at ``dst`` as MP4; the method used."""
    if src.suffix.lower() in _MP4_FAMILY:
        if how == "hardlink":
            try:
                os.link(src, dst)
                return "hardlink"
            except OSError:
                pass  # another file system, or links not allowed: copy
        shutil.copyfile(src, dst)
        return "copy"
    copied = _ffmpeg(["-i", str(src), "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy",
                      "-movflags", "+faststart", str(dst)])
    if copied.returncode == 0:
        return "remux"
    encoded = _ffmpeg(["-i", str(src), "-map", "0:v:0", "-map", "0:a:0?", "-c:v", "libx264",
                       "-crf", "18", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a",
                       "aac", "-movflags", "+faststart", str(dst)])
    if encoded.returncode != 0:
        raise MediaError(f"{src}: cannot be rewritten as MP4: "
                         f"{(encoded.stderr or copied.stderr).strip()[-300:]}")
    return "re-encode"


def _info(src: Path, url: str) -> dict[str, Any]:
    meta = probe(src)
    return {"id": src.stem, "title": src.stem, "duration": meta["duration"],
            "width": meta["width"], "height": meta["height"], "fps": meta["fps"],
            "extractor_key": "LocalFile", "webpage_url": url}


class LocalFileSource:
    """Videos on this machine (``local:<path>``)."""

    name = "local"

    def handles(self, url: str) -> bool:
        return url.startswith(LOCAL_SCHEME)

    def fetch(self, item: DownloadItem, url: str, dl: dict[str, Any], tmpdir: Path,
              access: dict[str, Any]) -> Attempt:
        src = local_path(url)
        if not src.is_file():
            return Attempt(False, failure=classify(f"local file not found: {src} (video "
                                                   "unavailable)"))
        t0 = time.perf_counter()
        out = tmpdir / "media.mp4"
        try:
            how = _place(src, out, str(dl["local_files"]))
            info = {**_info(src, url), "placed_by": how}
        except (MediaError, OSError, subprocess.SubprocessError) as exc:
            return Attempt(False, failure=classify(f"corrupt local file: {exc}"),
                           ffmpeg_seconds=time.perf_counter() - t0)
        # A whole file: its length is the source's.
        return Attempt(True, file=out, info=info, ffmpeg_seconds=time.perf_counter() - t0,
                       source_duration=lambda: info["duration"])

    def info(self, url: str, dl: dict[str, Any], access: dict[str, Any]
             ) -> tuple[dict[str, Any] | None, Failure | None]:
        src = local_path(url)
        try:
            return _info(src, url), None
        except (MediaError, OSError) as exc:
            return None, classify(f"local file: {exc} (video unavailable)")
