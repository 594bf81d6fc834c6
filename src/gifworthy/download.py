"""Download stage: yt-dlp as a library, one item per call, never failing the stage.

Design (see README "Download"):

* One :func:`download_item` call per manifest row (Snakemake runs them in parallel, capped
  by the ``downloads`` resource). It always writes a status record and returns; a bad video is
  a record with a category, not an exception.
* Files are fetched into a private temporary directory and renamed into place, then the status
  record is written (atomically). A kill at any moment leaves either nothing, or a finished
  video without a record (reused on the next run, not downloaded again).
* Throttling (HTTP 429, "Too Many Requests", "not a bot", ...) is never a failure: the
  :class:`ThrottleGate` pauses every concurrent download (a file shared by all processes),
  honouring ``Retry-After``, then the video is tried again.
* Failures are categorised with the Kinetics downloaders' categories from yt-dlp's current
  messages, ``HTTPError.status``, and, for segment downloads (where yt-dlp only says "ffmpeg
  exited with code 1"), from ffmpeg's own stderr, captured at the file-descriptor level.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import re
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from .fsutil import read_json, remove_other_variants, write_json
from .ids import check_youtube_id
from .manifest import SAMPLE_SERVER_PLACEHOLDER, DownloadItem
from .media import MediaError, probe

__all__ = [
    "CATEGORIES",
    "Failure",
    "ThrottleGate",
    "classify",
    "download_item",
    "format_selector",
    "prepare",
    "variant",
]

SAMPLE_SERVER_ENV = "GIFWORTHY_SAMPLE_SERVER"

# --------------------------------------------------------------------------------------------
# Failure categories. Order matters: the first matching row wins, so specific YouTube wordings
# come before the generic "unavailable". ``retry`` says whether the next run tries again
# without being asked (transient) or only when params download.retry_failed names it.
# --------------------------------------------------------------------------------------------
THROTTLE_PATTERNS = (
    r"\b429\b", r"too many requests", r"try again later", r"not a bot", r"rate[- ]?limit",
)


@dataclasses.dataclass(frozen=True)
class Category:
    name: str
    retry: bool
    patterns: tuple[str, ...]
    statuses: tuple[int, ...] = ()


CATEGORIES: tuple[Category, ...] = (
    Category("copyright", False, (r"copyright",)),
    Category("terms violation", False, (r"terms of service", r"violat", r"terminated")),
    Category("removed by user", False, (r"removed by the (uploader|user)",)),
    Category("duplicate", False, (r"duplicate",)),
    Category("private video", False, (r"private video",)),
    Category("content warning", False, (r"confirm your age", r"inappropriate",
                                        r"age[- ]restricted", r"content warning")),
    Category("network", True, (r"timed? ?out", r"connection (reset|refused|aborted)",
                               r"bytes read, \d+ more expected", r"incomplete ?read",
                               r"remote end closed", r"name resolution",
                               r"stream ends prematurely", r"end of file", r"broken pipe",
                               r"did not get any data")),
    Category("corrupt", True, (r"invalid data found", r"moov atom not found",
                               r"no video stream", r"corrupt")),
    Category("HTTP 404", False, (r"\b404\b",), (404, 410)),
    Category("HTTP 403", True, (r"\b403\b", r"forbidden"), (401, 403)),
    Category("HTTP 503", True, (r"\b5\d\d\b", r"\b5xx\b", r"service unavailable",
                                r"bad gateway", r"gateway time"), tuple(range(500, 600))),
    Category("video unavailable", False, (r"unavailable", r"not available",
                                          r"no video formats", r"unsupported url")),
)
MISC = Category("misc", False, ())
THROTTLE = "throttled"
_COMPILED = [(c, [re.compile(p, re.I) for p in c.patterns]) for c in CATEGORIES]
_THROTTLE_RE = [re.compile(p, re.I) for p in THROTTLE_PATTERNS]


@dataclasses.dataclass
class Failure:
    """A classified download error."""

    category: str  # a Category name, or "throttled"
    retry: bool
    message: str
    retry_after: float | None = None

    @property
    def throttled(self) -> bool:
        return self.category == THROTTLE


def classify(message: str, *, status: int | None = None,
             retry_after: float | None = None) -> Failure:
    """Map an error message (and HTTP status, when known) to a failure category."""
    message = " ".join(message.split())[:2000]
    if status == 429 or any(r.search(message) for r in _THROTTLE_RE):
        return Failure(THROTTLE, True, message, retry_after)
    if status is not None:
        for cat in CATEGORIES:
            if status in cat.statuses:
                return Failure(cat.name, cat.retry, message)
    for cat, regexes in _COMPILED:
        if any(r.search(message) for r in regexes):
            return Failure(cat.name, cat.retry, message)
    return Failure(MISC.name, MISC.retry, message)


_FFMPEG_STATUS_RE = re.compile(r"(?:HTTP error|Server returned) (\d{3})\b")


def ffmpeg_http_status(stderr: str) -> int | None:
    """The HTTP status ffmpeg reported in its stderr ("HTTP error 429 ...", "Server returned
    404 Not Found"), if any. A "Stream ends prematurely" line is a cut-short body, not a status.
    """
    codes = [int(m.group(1)) for m in _FFMPEG_STATUS_RE.finditer(stderr)]
    return codes[-1] if codes else None


_FFMPEG_PROBLEM_RE = re.compile(
    r"error|prematurely|server returned|invalid|failed|timed out|refused|reset|not found", re.I)


def ffmpeg_problems(stderr: str, keep: int = 6) -> str:
    """The lines of ffmpeg's stderr that describe a problem (not its progress lines)."""
    lines = [ln.strip() for ln in stderr.splitlines() if _FFMPEG_PROBLEM_RE.search(ln)]
    return " / ".join(lines[-keep:])


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:  # an HTTP date
        from email.utils import parsedate_to_datetime
        when = parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------------------------
# The shared throttle pause
# --------------------------------------------------------------------------------------------
class ThrottleGate:
    """A pause shared by every download process through one small file.

    ``pause(s)`` pushes the shared "resume at" time to at least now + s; ``wait()`` sleeps
    until it has passed. Works across processes on one machine and across cluster nodes on a
    shared file system (fcntl locks).
    """

    def __init__(self, path: str | os.PathLike[str], *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.path = Path(path)
        self._sleep = sleep

    @contextlib.contextmanager
    def _locked(self) -> Iterator[Any]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield fh
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def resume_at(self) -> float:
        with self._locked() as fh:
            fh.seek(0)
            try:
                return float(json.loads(fh.read() or "{}").get("resume_at", 0.0))
            except ValueError:
                return 0.0

    def pause(self, seconds: float, reason: str = "") -> float:
        with self._locked() as fh:
            fh.seek(0)
            try:
                current = float(json.loads(fh.read() or "{}").get("resume_at", 0.0))
            except ValueError:
                current = 0.0
            resume = max(current, time.time() + seconds)
            fh.seek(0)
            fh.truncate()
            fh.write(json.dumps({"resume_at": resume, "reason": reason[:300]}))
            fh.flush()
        return resume

    def wait(self) -> float:
        """Sleep until no pause is in force; return the seconds slept."""
        slept = 0.0
        while True:
            remaining = self.resume_at() - time.time()
            if remaining <= 0:
                return slept
            step = min(remaining, 5.0)
            self._sleep(step)
            slept += step


# --------------------------------------------------------------------------------------------
# yt-dlp
# --------------------------------------------------------------------------------------------
def format_selector(max_height: int) -> str:
    """Best video+audio at most ``max_height`` tall, else the smallest there is."""
    h = int(max_height)
    return f"bv*[height<={h}]+ba/b[height<={h}]/wv*+ba/w"


def variant(download: dict[str, Any]) -> str:
    """Directory name for the params that change downloaded bytes (GUIDE 3, trap 3)."""
    cut = "full"
    if download.get("segments", True):
        cut = "exact" if download.get("exact_cuts", True) else "keyframe"
    return f"h{int(download['max_height'])}_{cut}"


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


def _ydl_params(item: DownloadItem, dl: dict[str, Any], outdir: Path, logger: _Logger, *,
                on_postprocessor: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    import yt_dlp.utils

    params: dict[str, Any] = {
        "format": format_selector(dl["max_height"]),
        "outtmpl": {"default": str(outdir / "media.%(ext)s")},
        "merge_output_format": "mp4",
        "noplaylist": True,
        # Not quiet: yt-dlp would pass "-loglevel quiet" to ffmpeg and hide the HTTP status of
        # a failed segment download. Messages go to our logger, not the terminal.
        "quiet": False,
        "no_warnings": False,
        "noprogress": True,
        "logger": logger,
        "retries": 3,
        "fragment_retries": 3,
        "socket_timeout": float(dl["socket_timeout"]),
        "overwrites": True,
        "continuedl": False,
        "cachedir": False,
        "postprocessor_hooks": [on_postprocessor],
    }
    if item.is_segment and dl.get("segments", True):
        params["download_ranges"] = yt_dlp.utils.download_range_func(
            None, [(float(item.start), float(item.end))])
        params["force_keyframes_at_cuts"] = bool(dl.get("exact_cuts", True))
    return params


def resolve_url(url: str) -> str:
    """Fill in the sample server's address for sample-corpus URLs."""
    if SAMPLE_SERVER_PLACEHOLDER in url:
        base = os.environ.get(SAMPLE_SERVER_ENV)
        if not base:
            raise RuntimeError(
                f"{url}: a sample-corpus URL, but ${SAMPLE_SERVER_ENV} is not set. The sample "
                "corpus is served by `gifworthy with-sample-server -- ...` (dvc repro does it)")
        return url.replace(SAMPLE_SERVER_PLACEHOLDER, base.rstrip("/"))
    return url


@dataclasses.dataclass
class _Attempt:
    ok: bool
    file: Path | None = None
    failure: Failure | None = None
    info: dict[str, Any] = dataclasses.field(default_factory=dict)
    download_seconds: float = 0.0
    ffmpeg_seconds: float = 0.0
    stderr: str = ""


def _attempt(item: DownloadItem, url: str, dl: dict[str, Any], tmpdir: Path) -> _Attempt:
    import yt_dlp

    logger = _Logger()
    timings = {"pp_start": 0.0, "pp_total": 0.0}

    def on_pp(d: dict[str, Any]) -> None:
        if d.get("status") == "started":
            timings["pp_start"] = time.perf_counter()
        elif d.get("status") == "finished" and timings["pp_start"]:
            timings["pp_total"] += time.perf_counter() - timings["pp_start"]
            timings["pp_start"] = 0.0

    params = _ydl_params(item, dl, tmpdir, logger, on_postprocessor=on_pp)
    t0 = time.perf_counter()
    status: int | None = None
    retry_after: float | None = None
    message = ""
    info: dict[str, Any] | None = None
    with _capture_stderr_fd() as read_stderr:
        try:
            with yt_dlp.YoutubeDL(params) as ydl:
                info = ydl.extract_info(url, download=True)
        except yt_dlp.utils.DownloadError as exc:
            message = str(exc)
            cause = exc.exc_info[1] if exc.exc_info else None
            http_error = getattr(yt_dlp.networking.exceptions, "HTTPError", ())
            if isinstance(cause, http_error):
                status = cause.status
                headers = getattr(cause.response, "headers", {}) or {}
                retry_after = _parse_retry_after(headers.get("Retry-After"))
        except Exception as exc:  # yt-dlp surfaces odd things (OSError, ValueError) too
            message = f"{type(exc).__name__}: {exc}"
        stderr = read_stderr()
    elapsed = time.perf_counter() - t0
    if info is None or message:
        detail = message
        if "ffmpeg exited" in message or not message:
            # The real reason of a failed segment download is in ffmpeg's stderr.
            detail = (message + " | ffmpeg: " + ffmpeg_problems(stderr)).strip(" |")
            if status is None:
                status = ffmpeg_http_status(stderr)
        return _Attempt(False, failure=classify(detail, status=status, retry_after=retry_after),
                        download_seconds=elapsed)
    files = [p for p in tmpdir.iterdir() if p.is_file() and not p.name.endswith(
        (".part", ".ytdl", ".temp"))]
    media = [p for p in files if p.name.startswith("media.")]
    if not media:
        return _Attempt(False, failure=classify("no output file written"),
                        download_seconds=elapsed)
    return _Attempt(True, file=max(media, key=lambda p: p.stat().st_size), info=info,
                    download_seconds=elapsed - timings["pp_total"],
                    ffmpeg_seconds=timings["pp_total"], stderr=stderr)


def _validate(path: Path, item: DownloadItem, dl: dict[str, Any]) -> tuple[dict[str, Any] | None,
                                                                          Failure | None]:
    try:
        meta = probe(path)
    except MediaError as exc:
        return None, classify(f"corrupt download: {exc}")
    if meta["duration"] <= 0:
        return None, classify("corrupt download: zero duration")
    if item.is_segment and dl.get("segments", True):
        wanted = float(item.end) - float(item.start)
        # A cut-short transfer yields a shorter clip with exit code 0; a clip may also be
        # short because the video itself ends earlier, which ffmpeg cannot tell us. Require
        # at least half the annotated length; shorter is recorded as a network failure.
        if meta["duration"] < 0.5 * wanted - 0.5:
            return None, classify(
                f"segment is {meta['duration']:.2f} s, annotation wants {wanted:.2f} s: "
                "stream ends prematurely or the video is shorter than the annotation")
    return meta, None


def status_path(out_dir: Path, item_id: str) -> Path:
    return out_dir / "status" / f"{item_id}.json"


def video_path(out_dir: Path, item_id: str) -> Path:
    return out_dir / "videos" / f"{item_id}.mp4"


def _record(item: DownloadItem, dl: dict[str, Any], **fields: Any) -> dict[str, Any]:
    rec = {
        "item_id": item.item_id,
        "youtube_id": item.youtube_id,
        "segment": [item.start, item.end] if item.is_segment else None,
        "segment_download": bool(item.is_segment and dl.get("segments", True)),
        "exact_cuts": bool(dl.get("exact_cuts", True)),
        "status": "failed",
        "category": "",
        "retry": False,
        "message": "",
        "bytes": 0,
        "download_seconds": 0.0,
        "ffmpeg_seconds": 0.0,
        "attempts": 0,
        "throttle_pauses": 0,
        "file": None,
        "finished_at": _iso(time.time()),
    }
    rec.update(fields)
    return rec


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds")


def _finished_at(video: Path) -> str:
    # An ok record's time is the video's own mtime, so a record rebuilt for a finished file
    # (after a kill) is identical and the trims made from it stay valid.
    return _iso(video.stat().st_mtime)


def download_item(
    item: DownloadItem,
    out_dir: str | os.PathLike[str],
    dl: dict[str, Any],
    *,
    gate: ThrottleGate,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
) -> dict[str, Any]:
    """Download one manifest item into ``out_dir`` and write its status record.

    Returns the record. Never raises for a bad video; raises only for programming or
    configuration errors (bad id, unwritable directory).
    """
    check_youtube_id(item.youtube_id)
    out = Path(out_dir)
    final = video_path(out, item.item_id)
    final.parent.mkdir(parents=True, exist_ok=True)
    record_file = status_path(out, item.item_id)

    if final.exists():
        # Finished by a run that was killed before it wrote the record: reuse, don't refetch.
        meta, failure = _validate(final, item, dl)
        if failure is None:
            rec = _record(item, dl, status="ok", bytes=final.stat().st_size,
                          file=str(final.relative_to(out)), reused=True,
                          finished_at=_finished_at(final), **_meta(meta))
            write_json(record_file, rec)
            return rec
        final.unlink()

    url = resolve_url(item.url)
    attempts = 0
    pauses = 0
    download_seconds = ffmpeg_seconds = 0.0
    last: Failure | None = None
    while True:
        gate.wait()
        attempts += 1
        tmpdir = Path(tempfile.mkdtemp(prefix=f".tmp-{item.item_id}-", dir=final.parent))
        try:
            result = _attempt(item, url, dl, tmpdir)
            download_seconds += result.download_seconds
            ffmpeg_seconds += result.ffmpeg_seconds
            if result.ok and result.file is not None:
                t0 = time.perf_counter()
                meta, failure = _validate(result.file, item, dl)
                ffmpeg_seconds += time.perf_counter() - t0
                problems = ffmpeg_problems(result.stderr)
                if failure is not None and problems:
                    # ffmpeg may exit 0 on a cut-short transfer; its stderr says so.
                    failure = classify(f"ffmpeg: {problems} | {failure.message}")
                if failure is None:
                    os.replace(result.file, final)
                    rec = _record(item, dl, status="ok", bytes=final.stat().st_size,
                                  download_seconds=round(download_seconds, 3),
                                  ffmpeg_seconds=round(ffmpeg_seconds, 3), attempts=attempts,
                                  throttle_pauses=pauses, file=str(final.relative_to(out)),
                                  finished_at=_finished_at(final),
                                  format_id=result.info.get("format_id"), **_meta(meta))
                    write_json(record_file, rec)
                    return rec
            else:
                failure = result.failure
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
        assert failure is not None
        last = failure
        if failure.throttled:
            attempts -= 1  # a throttled try is not the video's fault
            pauses += 1
            if pauses > int(dl["throttle_max_pauses"]):
                break
            wait = failure.retry_after
            if wait is None:
                wait = float(dl["throttle_cooldown_seconds"])
            log(f"{item.item_id}: throttled ({failure.message[:120]}); pausing all downloads "
                f"for {wait:g} s")
            gate.pause(wait, reason=failure.message)
            continue
        if not failure.retry or attempts >= int(dl["attempts"]):
            break
        backoff = float(dl["backoff_seconds"]) * 2 ** (attempts - 1)
        log(f"{item.item_id}: {failure.category} (attempt {attempts}); retrying in {backoff:g} s")
        sleep(backoff)

    status = THROTTLE if last.throttled else "failed"
    rec = _record(item, dl, status=status, category=last.category if not last.throttled else "",
                  retry=last.retry, message=last.message, attempts=attempts,
                  throttle_pauses=pauses, download_seconds=round(download_seconds, 3),
                  ffmpeg_seconds=round(ffmpeg_seconds, 3))
    write_json(record_file, rec)
    return rec


def _meta(meta: dict[str, Any] | None) -> dict[str, Any]:
    if not meta:
        return {}
    return {k: meta[k] for k in ("duration", "width", "height", "fps")}


# --------------------------------------------------------------------------------------------
# Reconcile before a run, report after it
# --------------------------------------------------------------------------------------------
def prepare(items: list[DownloadItem], root: str | os.PathLike[str], dl: dict[str, Any],
            *, log: Callable[[str], None] = print) -> dict[str, int]:
    """Make the download directory agree with the manifest and params before Snakemake runs.

    Removes: directories of other variants (other params), files of items no longer in the
    manifest, temporaries of killed runs, and the records of items that should be tried again
    (transient failures, throttled, categories in ``retry_failed``, records whose video is
    gone). Snakemake then sees exactly the items to (re)do as missing outputs.
    """
    root = Path(root)
    current = root / variant(dl)
    removed = remove_other_variants(root, current, r"h\d+_\w+")
    for child in removed:
        log(f"removed downloads of other params: {child}")
    counts = {"removed_variants": len(removed), "removed_items": 0, "requeued": 0,
              "temporaries": 0}
    # The stage's output must exist even when the manifest is empty (DVC requires it).
    for sub in ("videos", "status"):
        (current / sub).mkdir(parents=True, exist_ok=True)
    wanted = {i.item_id for i in items}
    retry_all = "all" in dl.get("retry_failed", [])
    retry_cats = set(dl.get("retry_failed", []))
    for sub in ("videos", "status"):
        folder = current / sub
        if not folder.exists():
            continue
        for path in folder.iterdir():
            if path.name.startswith(".tmp-"):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                counts["temporaries"] += 1
                continue
            if path.stem not in wanted:
                path.unlink()
                counts["removed_items"] += 1
    status_dir = current / "status"
    if status_dir.exists():
        for path in status_dir.glob("*.json"):
            try:
                rec = read_json(path)
            except (OSError, ValueError):
                path.unlink()
                counts["requeued"] += 1
                continue
            again = False
            if rec.get("status") == "ok":
                again = not (current / str(rec.get("file") or "")).is_file()
            elif rec.get("status") == THROTTLE or rec.get("retry"):
                again = True
            elif retry_all or rec.get("category") in retry_cats:
                again = True
            if again:
                path.unlink()
                counts["requeued"] += 1
    return counts


def collect(items: list[DownloadItem], out_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Status records of the manifest's items (missing ones as status "missing")."""
    out = Path(out_dir)
    records = []
    for item in items:
        path = status_path(out, item.item_id)
        try:
            records.append(read_json(path))
        except (OSError, ValueError):
            records.append({"item_id": item.item_id, "youtube_id": item.youtube_id,
                            "status": "missing", "category": "", "message": "no status record"})
    return records


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts by status and category, bytes, and the download-vs-ffmpeg time shares."""
    by_status: dict[str, int] = {}
    by_category: dict[str, int] = {}
    total_bytes = 0
    t_download = t_ffmpeg = 0.0
    for rec in records:
        by_status[rec["status"]] = by_status.get(rec["status"], 0) + 1
        if rec["status"] == "failed":
            by_category[rec["category"]] = by_category.get(rec["category"], 0) + 1
        total_bytes += int(rec.get("bytes") or 0)
        t_download += float(rec.get("download_seconds") or 0.0)
        t_ffmpeg += float(rec.get("ffmpeg_seconds") or 0.0)
    total_time = t_download + t_ffmpeg
    n = len(records)
    return {
        "items": n,
        "ok": by_status.get("ok", 0),
        "failed": by_status.get("failed", 0),
        "throttled": by_status.get(THROTTLE, 0),
        "missing": by_status.get("missing", 0),
        "failed_share": round(by_status.get("failed", 0) / n, 4) if n else 0.0,
        "by_status": dict(sorted(by_status.items())),
        "by_category": dict(sorted(by_category.items())),
        "bytes": total_bytes,
        "download_seconds": round(t_download, 3),
        "ffmpeg_seconds": round(t_ffmpeg, 3),
        "download_time_share": round(t_download / total_time, 4) if total_time else 0.0,
        "ffmpeg_time_share": round(t_ffmpeg / total_time, 4) if total_time else 0.0,
    }
