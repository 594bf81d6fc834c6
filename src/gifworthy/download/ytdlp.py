"""The yt-dlp source: yt-dlp embedded as a library, <=``max_height`` formats, segment-only
downloads for clip annotations (``download_ranges``, exact cuts with
``force_keyframes_at_cuts``), and the failure of a try classified from yt-dlp's error, its
``HTTPError`` and, for segment downloads, ffmpeg's stderr captured at the file-descriptor
level (yt-dlp only says "ffmpeg exited with code 1")."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator

from gifworthy.corpus.base import DownloadItem
from gifworthy.download.access import access_options
from gifworthy.download.failures import Failure, classify, ffmpeg_http_status, ffmpeg_problems
from gifworthy.download.sources import Attempt
from gifworthy.download.throttle import parse_retry_after
from gifworthy.media.probe import remote_duration

__all__ = ["INFO_FIELDS", "YtDlpSource", "compact_heatmap", "fetch_info", "format_selector",
           "kept_info"]


# The info dict's fields a status record keeps (downstream stages read them: the features'
# context reads title and categories; ``heatmap`` is YouTube's "Most replayed" curve, about
# 100 points of {start_time, end_time, value}, present on popular videos only, kept as
# :func:`compact_heatmap` makes it: 650,000 records of 100 dicts would be 4 GB of JSON).
INFO_FIELDS = ("id", "title", "duration", "fps", "width", "height", "view_count",
               "like_count", "comment_count", "categories", "tags", "upload_date", "uploader",
               "channel_id", "webpage_url", "extractor_key", "heatmap")


def compact_heatmap(points: Any) -> dict[str, Any] | None:
    """yt-dlp's heatmap as ``{"step": s, "values": [...]}`` when its markers are the usual
    equal steps from 0 (YouTube's are), else ``{"points": [[start, end, value], ...]}``;
    values rounded to 4 places. None when there is no usable point."""
    rows = [(float(p["start_time"]), float(p["end_time"]), float(p["value"]))
            for p in points or [] if isinstance(p, dict)
            and {"start_time", "end_time", "value"} <= set(p)]
    if not rows:
        return None
    # The step from the whole span: markers written with rounded times still read as equal.
    step = (rows[-1][1] - rows[0][0]) / len(rows)
    uniform = rows[0][0] == 0 and step > 0 and all(
        abs(a - i * step) < 0.01 and abs(b - (i + 1) * step) < 0.01
        for i, (a, b, _) in enumerate(rows))
    if uniform:
        return {"step": round(step, 6), "values": [round(v, 4) for _, _, v in rows]}
    return {"points": [[round(a, 3), round(b, 3), round(v, 4)] for a, b, v in rows]}


def kept_info(info: dict[str, Any] | None) -> dict[str, Any]:
    """The :data:`INFO_FIELDS` of a yt-dlp info dict (JSON types only, none left empty)."""
    if not info:
        return {}
    out: dict[str, Any] = {}
    for name in INFO_FIELDS:
        value = info.get(name)
        if value is None or value == [] or value == "":
            continue
        if name == "heatmap":
            value = compact_heatmap(value)
            if not value:
                continue
        elif isinstance(value, (list, tuple)):
            value = [str(v) for v in value]
        elif not isinstance(value, (str, int, float, bool)):
            value = str(value)
        out[name] = value
    return out


# --------------------------------------------------------------------------------------------
# yt-dlp
# --------------------------------------------------------------------------------------------
def format_selector(max_height: int) -> str:
    """Best video+audio at most ``max_height`` tall, else the smallest there is."""
    h = int(max_height)
    return f"bv*[height<={h}]+ba/b[height<={h}]/wv*+ba/w"


class _Logger:
    """Collects yt-dlp's messages instead of printing progress noise."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def debug(self, msg: str) -> None:
        pass

    def info(self, msg: str) -> None:
        pass

    def warning(self, msg: str) -> None:
        self.warnings.append(msg)

    def error(self, msg: str) -> None:
        self.errors.append(msg)


@contextlib.contextmanager
def _capture_stderr_fd() -> Iterator[Callable[[], str]]:
    """Redirect file descriptor 2 (inherited by ffmpeg children) to a temporary file.

    yt-dlp runs ffmpeg for segment downloads without capturing its stderr, and reports only
    "ffmpeg exited with code 1"; the HTTP status that explains it is in that stderr.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)

        def read() -> str:
            sys.stderr.flush()
            tmp.seek(0)
            return tmp.read().decode("utf-8", "replace")

        try:
            yield read
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def _base_params(dl: dict[str, Any], logger: _Logger, access: dict[str, Any],
                 private_dir: Path) -> dict[str, Any]:
    return {
        # Not quiet: yt-dlp would pass "-loglevel quiet" to ffmpeg and hide the HTTP status of
        # a failed segment download. Messages go to our logger, not the terminal.
        "quiet": False,
        "no_warnings": False,
        "noprogress": True,
        "logger": logger,
        "noplaylist": True,
        "socket_timeout": float(dl["socket_timeout"]),
        "cachedir": False,
        **access_options(access, private_dir),
    }


def _ydl_params(item: DownloadItem, dl: dict[str, Any], outdir: Path, logger: _Logger, *,
                on_postprocessor: Callable[[dict[str, Any]], None], access: dict[str, Any],
                private_dir: Path) -> dict[str, Any]:
    import yt_dlp.utils

    params: dict[str, Any] = {
        **_base_params(dl, logger, access, private_dir),
        "format": format_selector(dl["max_height"]),
        "outtmpl": {"default": str(outdir / "media.%(ext)s")},
        "merge_output_format": "mp4",
        "retries": 3,
        "fragment_retries": 3,
        "overwrites": True,
        "continuedl": False,
        "postprocessor_hooks": [on_postprocessor],
        # ffmpeg (the downloader of segments) has no read timeout of its own: without this a
        # stalled host holds the download slot until it hangs up, or forever.
        "external_downloader_args": {
            "ffmpeg_i": ["-rw_timeout", str(int(float(dl["socket_timeout"]) * 1e6))]},
    }
    if item.start is not None and item.end is not None and dl["segments"]:
        # yt-dlp takes float seconds and no chapters (its stubs say ints and a list).
        ranges: Any = [(float(item.start), float(item.end))]
        no_chapters: Any = None
        params["download_ranges"] = yt_dlp.utils.download_range_func(no_chapters, ranges)
        params["force_keyframes_at_cuts"] = bool(dl["exact_cuts"])
    return params


def _failure(exc: Exception) -> tuple[str, int | None, float | None]:
    """yt-dlp's error as (message, HTTP status, Retry-After)."""
    import yt_dlp.networking.exceptions
    import yt_dlp.utils

    if not isinstance(exc, yt_dlp.utils.DownloadError):
        return f"{type(exc).__name__}: {exc}", None, None
    cause = exc.exc_info[1] if exc.exc_info else None
    http_error = getattr(yt_dlp.networking.exceptions, "HTTPError", ())
    if http_error and isinstance(cause, http_error):
        headers = getattr(getattr(cause, "response", None), "headers", {}) or {}
        return (str(exc), getattr(cause, "status", None),
                parse_retry_after(headers.get("Retry-After")))
    return str(exc), None, None


def fetch_info(url: str, dl: dict[str, Any], access: dict[str, Any]
               ) -> tuple[dict[str, Any] | None, Failure | None]:
    """The info dict of ``url`` without downloading the video (to keep the metadata of a
    download made before records kept it)."""
    import yt_dlp

    logger = _Logger()
    private_dir = Path(tempfile.mkdtemp(prefix="gifworthy-access-"))
    try:
        params = _base_params(dl, logger, access, private_dir)
        with yt_dlp.YoutubeDL(params) as ydl:  # type: ignore[arg-type]  # yt-dlp's TypedDict
            info = ydl.extract_info(url, download=False)
        clean: Any = ydl.sanitize_info(info) if info else None  # yt-dlp's TypedDict
        return clean, None
    except Exception as exc:  # yt-dlp surfaces odd things (OSError, ValueError) too
        message, status, retry_after = _failure(exc)
        return None, classify(message, status=status, retry_after=retry_after)
    finally:
        shutil.rmtree(private_dir, ignore_errors=True)


def _attempt(item: DownloadItem, url: str, dl: dict[str, Any], tmpdir: Path,
             access: dict[str, Any]) -> Attempt:
    import yt_dlp

    logger = _Logger()
    timings = {"pp_start": 0.0, "pp_total": 0.0}

    def on_pp(d: dict[str, Any]) -> None:
        if d.get("status") == "started":
            timings["pp_start"] = time.perf_counter()
        elif d.get("status") == "finished" and timings["pp_start"]:
            timings["pp_total"] += time.perf_counter() - timings["pp_start"]
            timings["pp_start"] = 0.0

    # Cookies are copied outside the data folder, for this try only.
    private_dir = Path(tempfile.mkdtemp(prefix="gifworthy-access-"))
    t0 = time.perf_counter()
    status: int | None = None
    retry_after: float | None = None
    message = ""
    info: Any = None
    try:
        params = _ydl_params(item, dl, tmpdir, logger, on_postprocessor=on_pp, access=access,
                             private_dir=private_dir)
        with _capture_stderr_fd() as read_stderr:
            try:
                with yt_dlp.YoutubeDL(params) as ydl:  # type: ignore[arg-type]  # yt-dlp's TypedDict
                    info = ydl.extract_info(url, download=True)
                    if info:
                        info = ydl.sanitize_info(info)
            except Exception as exc:  # yt-dlp surfaces odd things (OSError, ValueError) too
                message, status, retry_after = _failure(exc)
            stderr = read_stderr()
    finally:
        shutil.rmtree(private_dir, ignore_errors=True)
    elapsed = time.perf_counter() - t0
    if info is None or message:
        detail = message
        if "ffmpeg exited" in message or not message:
            # The real reason of a failed segment download is in ffmpeg's stderr.
            detail = (message + " | ffmpeg: " + ffmpeg_problems(stderr)).strip(" |")
            if status is None:
                status = ffmpeg_http_status(stderr)
            if status == 429 and retry_after is None:
                retry_after = _ask_retry_after(stderr, dl)
        return Attempt(False, failure=classify(detail, status=status, retry_after=retry_after),
                        download_seconds=elapsed)
    files = [p for p in tmpdir.iterdir() if p.is_file() and not p.name.endswith(
        (".part", ".ytdl", ".temp"))]
    media = [p for p in files if p.name.startswith("media.")]
    if not media:
        return Attempt(False, failure=classify("no output file written"),
                        download_seconds=elapsed)
    return Attempt(True, file=max(media, key=lambda p: p.stat().st_size), info=info,
                    download_seconds=elapsed - timings["pp_total"],
                    ffmpeg_seconds=timings["pp_total"], stderr=stderr,
                    source_duration=lambda: _source_duration(info, dl))


def _source_duration(info: dict[str, Any], dl: dict[str, Any]) -> float | None:
    """The whole video's length: yt-dlp's (YouTube and most sites say), else what the media
    URL's own header says (plain files, the loopback sample)."""
    if info.get("duration"):
        return float(info["duration"])
    formats = info.get("requested_formats") or [info]
    video = next((f for f in formats if f.get("vcodec") != "none" and f.get("url")), None)
    if video is None:
        return None
    return remote_duration(str(video["url"]), timeout=float(dl["socket_timeout"]),
                           headers=video.get("http_headers") or info.get("http_headers"))


_FFMPEG_URL_RE = re.compile(r"(https?://\S+?): Server returned")


def _ask_retry_after(stderr: str, dl: dict[str, Any]) -> float | None:
    """The ``Retry-After`` of a 429 that ffmpeg met (ffmpeg drops the header): ask the same
    URL once more, for one byte. None (the configured cool-down applies) when the host does
    not say; the host's own wait when it answers 429 with one; no wait beyond the backoff
    when it answers, since the throttle has lifted."""
    urls = _FFMPEG_URL_RE.findall(stderr)
    if not urls:
        return None
    request = urllib.request.Request(urls[-1], headers={"Range": "bytes=0-0",
                                                        "User-Agent": _user_agent()})
    try:
        with urllib.request.urlopen(request, timeout=float(dl["socket_timeout"])):
            return float(dl["backoff_seconds"])
    except urllib.error.HTTPError as exc:
        return parse_retry_after(exc.headers.get("Retry-After")) if exc.code == 429 else None
    except (OSError, ValueError):
        return None


def _user_agent() -> str:
    import yt_dlp.utils.networking

    return str(yt_dlp.utils.networking.std_headers.get("User-Agent", "Mozilla/5.0"))


class YtDlpSource:
    """Any URL yt-dlp knows (YouTube and some 1,800 other sites, plain HTTP files)."""

    name = "yt-dlp"

    def handles(self, url: str) -> bool:
        return url.startswith(("http://", "https://"))

    def fetch(self, item: DownloadItem, url: str, dl: dict[str, Any], tmpdir: Path,
              access: dict[str, Any]) -> Attempt:
        return _attempt(item, url, dl, tmpdir, access)

    def info(self, url: str, dl: dict[str, Any], access: dict[str, Any]
             ) -> tuple[dict[str, Any] | None, Failure | None]:
        return fetch_info(url, dl, access)
