"""Download stage: one manifest item in, one status record out, never a failed stage.

* One :func:`download_item` call per item (Snakemake runs them in parallel, capped by the
  ``downloads`` resource). It always writes a status record and returns; a bad video is a
  record with a category, not an exception.
* Files are fetched by a source (``sources``: yt-dlp for any URL it knows) into a private
  temporary folder and renamed into place, then the record is written (atomically). A kill
  at any moment leaves either nothing, or a finished video without a record (reused on the
  next run, not downloaded again).
* Throttling is never a failure: the :class:`~gifworthy.download.throttle.ThrottleGate`
  pauses every concurrent download, honouring ``Retry-After``, then the video is tried again.
* A bot check is not throttling (waiting does not lift it): the site is flagged for the rest
  of the run (:class:`~gifworthy.download.throttle.BotCheckFlag`), its items not yet started
  are ``deferred`` (tried again next run) and the report says what to do.
* The record keeps the video's metadata (:data:`~gifworthy.download.ytdlp.INFO_FIELDS`,
  YouTube's "Most replayed" ``heatmap`` included); a download made before records kept it
  gets it on the next run, from the site's page, without fetching the video again.
* The stage's job keys leave the code out: a change to the download code never refetches.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Iterator

from gifworthy.core.fsutil import atomic_path, csv_text, write_json, write_text
from gifworthy.core.ids import check_item_id
from gifworthy.corpus.base import DownloadItem
from gifworthy.corpus.manifest import read_download_ids, read_downloads
from gifworthy.download.access import check_access, with_defaults
from gifworthy.download.failures import (
    BOT_CHECK,
    BOT_CHECK_ADVICE,
    THROTTLE,
    Failure,
    classify,
    ffmpeg_problems,
)
from gifworthy.download.sources import resolve_url, source_for
from gifworthy.download.throttle import BotCheckFlag, ThrottleGate, site_of
from gifworthy.download.ytdlp import kept_info
from gifworthy.media.probe import MediaError, check_complete, probe
from gifworthy.pipeline import paths
from gifworthy.pipeline.records import DownloadRecord, iter_records, read_record
from gifworthy.pipeline.stage import Job, Stage

__all__ = ["MIRROR_MARKER", "MIRROR_PENDING", "DownloadStage", "collect", "download_item",
           "mirror_stage", "status_path", "summarize", "video_path"]


def status_path(out_dir: Path, item_id: str) -> Path:
    return paths.item_file(out_dir / paths.STATUS, item_id, ".json")


def video_path(out_dir: Path, item_id: str) -> Path:
    return paths.item_file(out_dir / "videos", item_id, ".mp4")


def _frames_slack(fps: float) -> float:
    # "Within a frame or two": two frames, plus container rounding.
    return 2.0 / (fps or 25.0) + 0.05


def _validate(path: Path, item: DownloadItem, dl: dict[str, Any],
              source_duration: Callable[[], float | None] = lambda: None, *,
              length_checked: bool = False, bytes_checked: bool = False
              ) -> tuple[dict[str, Any] | None, Failure | None]:
    """A download is done only when it is whole: every packet its index lists is there, and
    a segment lasts what was asked, or up to the source's own end (``length_checked``: an
    ok record says it was checked when it was downloaded; ``bytes_checked``: the bytes are
    known to be the publisher's, as a mirror archive's gzip CRC and md5 show, so one probe
    that the file is a video is enough)."""
    try:
        meta = probe(path)
        if not bytes_checked:
            check_complete(path)
    except MediaError as exc:
        return None, classify(f"corrupt download: {exc}")
    if meta["duration"] <= 0:
        return None, classify("corrupt download: zero duration")
    if item.start is not None and item.end is not None and dl["segments"] and not length_checked:
        wanted = item.end - item.start
        slack = _frames_slack(meta["fps"])
        if meta["duration"] < wanted - slack:
            total = source_duration()
            if total is None:
                why = "the source's length is unknown"
            elif total >= item.end - slack:
                why = f"the source lasts {total:.2f} s"
            elif meta["duration"] >= total - item.start - slack:
                return meta, None  # the video ends before the annotation does
            else:
                why = f"the source ends at {total:.2f} s"
            # ffmpeg exits 0 on a body cut short: the clip is shorter and looks whole.
            return None, classify(
                f"segment is {meta['duration']:.2f} s, annotation wants {wanted:.2f} s and "
                f"{why}: stream ends prematurely")
    return meta, None


def _record(item: DownloadItem, dl: dict[str, Any], **fields: Any) -> DownloadRecord:
    rec = DownloadRecord(
        item_id=item.item_id,
        youtube_id=item.youtube_id,
        segment=[item.start, item.end] if item.start is not None and item.end is not None
        else None,
        segment_download=bool(item.is_segment and dl["segments"]),
        exact_cuts=bool(dl["exact_cuts"]),
        status="failed",
        category="",
        retry=False,
        message="",
        bytes=0,
        download_seconds=0.0,
        ffmpeg_seconds=0.0,
        attempts=0,
        throttle_pauses=0,
        file=None,
        finished_at=_iso(time.time()),
    )
    rec.update(fields)  # type: ignore[typeddict-item]
    return rec


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds")


def _finished_at(video: Path) -> str:
    # An ok record's time is the video's own mtime, so a record rebuilt for a finished file
    # (after a kill) is identical and the trims made from it stay valid.
    return _iso(video.stat().st_mtime)


def _deferred(item: DownloadItem, dl: dict[str, Any], message: str, **fields: Any
              ) -> DownloadRecord:
    return _record(item, dl, status="deferred", category=BOT_CHECK, retry=True,
                   message=f"{message[:300]} | {BOT_CHECK_ADVICE}", **fields)


def _info_fields(info: dict[str, Any] | None, failure: Failure | None) -> dict[str, Any]:
    fields: dict[str, Any] = {"info": kept_info(info) if info else None}
    if failure is not None:
        fields["info_error"] = f"{failure.category}: {failure.message[:300]}"
    return fields


def download_item(
    item: DownloadItem,
    out_dir: str | os.PathLike[str],
    dl: dict[str, Any],
    *,
    gate: ThrottleGate,
    access: dict[str, Any] | None = None,
    bot_check: BotCheckFlag | None = None,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
) -> DownloadRecord:
    """Download one manifest item into ``out_dir`` and write its status record.

    Returns the record. Never raises for a bad video; raises only for programming or
    configuration errors (bad id, unwritable directory, a cookies file that is not there).
    ``access`` is params ``access`` (defaults when None); ``bot_check`` the run's shared
    bot-check flag (a private one beside ``gate`` when None).
    """
    check_item_id(item.item_id)
    access = with_defaults(access)
    out = Path(out_dir)
    final = video_path(out, item.item_id)
    final.parent.mkdir(parents=True, exist_ok=True)
    record_file = status_path(out, item.item_id)
    url = resolve_url(item.url)
    source = source_for(url)
    site = site_of(url)
    flag = bot_check or BotCheckFlag(gate.path.with_name(gate.path.name + ".bot_check"))

    if final.exists():
        # Finished by a run killed before it wrote the record, or a download made before
        # records kept the metadata: reuse the video, fetch only its page.
        old = read_record(record_file) or {}
        info: dict[str, Any] | None = None
        info_failure: Failure | None = None
        if flag.blocked(site) is None:
            info, info_failure = source.info(url, dl, access)
        if info_failure is not None and info_failure.bot_check and flag.flag(
                site, info_failure.message):
            log(f"{item.item_id}: bot check on {site}: {BOT_CHECK_ADVICE}")
        # Metadata not had now (a bot check, a throttle) is asked again next run: no "info".
        later = info is None and (info_failure is None or info_failure.retry)
        was_ok = old.get("status") == "ok"
        meta, failure = _validate(final, item, dl, lambda: _total(info), length_checked=was_ok)
        if failure is None:
            keep = {k: old[k] for k in ("download_seconds", "ffmpeg_seconds", "attempts",
                                        "throttle_pauses", "format_id", "reused") if k in old}
            keep.setdefault("reused", not was_ok)
            rec = _record(item, dl, status="ok", bytes=final.stat().st_size,
                          file=str(final.relative_to(out)),
                          finished_at=_finished_at(final), **keep, **_meta(meta),
                          **({} if later else _info_fields(info, info_failure)))
            write_json(record_file, rec)
            return rec
        final.unlink()

    attempts = 0
    pauses = 0
    download_seconds = ffmpeg_seconds = 0.0
    last: Failure | None = None
    while True:
        gate.wait()
        blocked = flag.blocked(site)
        if blocked is not None:
            # Another download of this site met a bot check: don't start this one.
            rec = _deferred(item, dl, blocked, attempts=attempts, throttle_pauses=pauses)
            write_json(record_file, rec)
            return rec
        attempts += 1
        tmpdir = Path(tempfile.mkdtemp(prefix=f".tmp-{item.item_id}-", dir=final.parent))
        try:
            result = source.fetch(item, url, dl, tmpdir, access)
            download_seconds += result.download_seconds
            ffmpeg_seconds += result.ffmpeg_seconds
            if result.ok and result.file is not None:
                t0 = time.perf_counter()
                meta, failure = _validate(result.file, item, dl, result.source_duration)
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
                                  format_id=result.info.get("format_id"), **_meta(meta),
                                  **_info_fields(result.info, None))
                    write_json(record_file, rec)
                    return rec
            else:
                failure = result.failure
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
        assert failure is not None
        last = failure
        if failure.bot_check:
            if flag.flag(site, failure.message):
                log(f"{item.item_id}: bot check on {site}; no new downloads of it this run. "
                    f"{BOT_CHECK_ADVICE}")
            rec = _deferred(item, dl, failure.message, attempts=attempts,
                            throttle_pauses=pauses,
                            download_seconds=round(download_seconds, 3))
            write_json(record_file, rec)
            return rec
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


def _total(info: dict[str, Any] | None) -> float | None:
    return float(info["duration"]) if info and info.get("duration") else None


def _meta(meta: dict[str, Any] | None) -> dict[str, Any]:
    if not meta:
        return {}
    return {k: meta[k] for k in ("duration", "width", "height", "fps")}


def collect(items: Iterable[DownloadItem],
            out_dir: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Status records of the manifest's items (missing ones as status "missing"), one at a
    time: a report keeps what it counts, not the 650,000 records with their metadata."""
    items = list(items)
    found = iter_records(Path(out_dir) / paths.STATUS, [i.item_id for i in items])
    for item, record in zip(items, found):
        yield record or {"item_id": item.item_id, "youtube_id": item.youtube_id,
                         "status": "missing", "category": "", "message": "no status record"}


def summarize(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Counts by status and category, bytes, and the download-vs-ffmpeg time shares, in one
    pass over ``records``."""
    n = 0
    by_status: dict[str, int] = {}
    by_category: dict[str, int] = {}
    total_bytes = 0
    t_download = t_ffmpeg = 0.0
    with_info = with_heatmap = bot_checks = 0
    for rec in records:
        n += 1
        by_status[rec["status"]] = by_status.get(rec["status"], 0) + 1
        bot_checks += rec.get("category") == BOT_CHECK
        info = rec.get("info")
        if info:
            with_info += 1
            with_heatmap += bool(info.get("heatmap"))
        if rec["status"] == "failed":
            by_category[rec["category"]] = by_category.get(rec["category"], 0) + 1
        total_bytes += int(rec.get("bytes") or 0)
        t_download += float(rec.get("download_seconds") or 0.0)
        t_ffmpeg += float(rec.get("ffmpeg_seconds") or 0.0)
    total_time = t_download + t_ffmpeg
    return {
        "items": n,
        "ok": by_status.get("ok", 0),
        "failed": by_status.get("failed", 0),
        "throttled": by_status.get(THROTTLE, 0),
        "missing": by_status.get("missing", 0),
        "deferred": by_status.get("deferred", 0),
        # Bot checks stopped these; what to do about it (empty when none did).
        "advice": BOT_CHECK_ADVICE if bot_checks else "",
        "with_info": with_info,
        "with_heatmap": with_heatmap,
        "failed_share": round(by_status.get("failed", 0) / n, 4) if n else 0.0,
        "by_status": dict(sorted(by_status.items())),
        "by_category": dict(sorted(by_category.items())),
        "bytes": total_bytes,
        "download_seconds": round(t_download, 3),
        "ffmpeg_seconds": round(t_ffmpeg, 3),
        "download_time_share": round(t_download / total_time, 4) if total_time else 0.0,
        "ffmpeg_time_share": round(t_ffmpeg / total_time, 4) if total_time else 0.0,
    }


# ------------------------------------------------------------------------------------------
# The Kinetics mirror, after the per-item shards
# ------------------------------------------------------------------------------------------
MIRROR_PENDING = "mirror pending"
# Written when the mirror step of a run is done (Snakemake's target between the shards and
# the report); removed when the next run is prepared.
MIRROR_MARKER = Path(".gifworthy/mirror/synced.json")


def _place_mirror_clip(params: dict[str, Any], item: DownloadItem, file: Path,
                       archive: str) -> None:
    stage = DownloadStage()
    dl = params["download"]
    folder = stage.folder(params)
    job = stage._job(params, item)
    old = read_record(job.output) or {}
    meta, failure = _validate(file, item, dl, length_checked=True, bytes_checked=True)
    if failure is not None:
        if old.get("status") != "failed":
            write_json(job.output, _record(item, dl, status="failed", category="corrupt",
                                           retry=False, source="mirror", archive=archive,
                                           message=f"mirror: {failure.message}"))
            stage.finish(job)
        return
    final = video_path(folder, item.item_id)
    final.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(final) as tmp:  # the archive may be on another file system
        shutil.copyfile(file, tmp)
    youtube = {"youtube_failure": f"{old.get('category')}: {str(old.get('message'))[:200]}"} \
        if old.get("status") == "failed" else {}
    rec = _record(item, dl, status="ok", bytes=final.stat().st_size, attempts=1,
                  file=str(final.relative_to(folder)), finished_at=_finished_at(final),
                  segment_download=False, source="mirror", archive=archive, **youtube,
                  **_meta(meta), info={"id": item.youtube_id, "extractor_key": "KineticsMirror",
                                       "duration": meta["duration"] if meta else None,
                                       "webpage_url": item.url})
    write_json(job.output, rec)
    stage.finish(job)


def _mirror_gave_up(params: dict[str, Any], item: DownloadItem, reason: str) -> None:
    stage = DownloadStage()
    job = stage._job(params, item)
    old = read_record(job.output) or {}
    if old.get("status") == "failed":  # YouTube's reason stays the category
        rec = dict(old, mirror=reason, message=f"{old.get('message', '')} | mirror: {reason}")
    else:
        rec = _record(item, params["download"], status="failed", category="not in mirror",
                      retry=False, message=reason, source="mirror")
    write_json(job.output, rec)
    stage.finish(job)


def mirror_stage(params: dict[str, Any]) -> dict[str, Any]:
    """``gifworthy mirror-sync``: the clips the per-item downloads leave to the Kinetics
    mirror (:mod:`gifworthy.download.mirror`), then the marker Snakemake waits for."""
    from gifworthy.download.mirror import sync_mirror

    counts = sync_mirror(params, _items(),
                         place=lambda item, file, archive: _place_mirror_clip(
                             params, item, file, archive),
                         give_up=lambda item, reason: _mirror_gave_up(params, item, reason))
    write_json(MIRROR_MARKER, counts)
    return counts


def _check_manifest(path: Path = paths.DOWNLOADS_CSV) -> None:
    if not Path(path).exists():
        raise FileNotFoundError(f"{path}: manifest not found (run the manifest stage first)")


def _items(path: Path = paths.DOWNLOADS_CSV) -> list[DownloadItem]:
    _check_manifest(path)
    return read_downloads(path)


class DownloadStage(Stage):
    """Every manifest item, fetched once: other params' variant folders, items no longer in
    the manifest and temporaries are removed; transient failures, throttled items, the
    categories named in ``download.retry_failed`` and records whose video is gone are tried
    again; everything else is never fetched again."""

    name = "download"
    code_in_key = False

    def folder(self, params: dict[str, Any]) -> Path:
        return paths.download_dir(params)

    def variant_levels(self, params: dict[str, Any]) -> list[tuple[Path, Path, str]]:
        return [(paths.DOWNLOAD_ROOT, self.folder(params), r"h\d+_\w+")]

    def item_folders(self, params: dict[str, Any]) -> list[Path]:
        folder = self.folder(params)
        return [folder / paths.STATUS, folder / "videos"]

    def _job(self, params: dict[str, Any], item: DownloadItem) -> Job:
        folder = self.folder(params)
        dl = params["download"]
        return Job(self.name, item.item_id, status_path(folder, item.item_id), source=item,
                   settings={"max_height": dl["max_height"], "segments": dl["segments"],
                             "exact_cuts": dl["exact_cuts"], "url": item.url,
                             "start": item.start, "end": item.end},
                   media=(video_path(folder, item.item_id),))

    def jobs(self, params: dict[str, Any], only: Collection[str] | None = None
             ) -> dict[str, Job]:
        return {item.item_id: self._job(params, item) for item in _items()
                if only is None or item.item_id in only}

    def item_ids(self, params: dict[str, Any]) -> list[str]:
        _check_manifest()
        return read_download_ids()

    def begin(self, params: dict[str, Any]) -> None:
        # A new run: the sites that asked for a bot check last run are tried again, the mirror
        # is looked at again, and a cookies file or plugin folder that is not there fails
        # now, not once per item.
        BotCheckFlag(paths.BOT_CHECK_FILE).clear()
        MIRROR_MARKER.unlink(missing_ok=True)
        check_access(params["access"])

    def refresh(self, params: dict[str, Any], job: Job) -> bool:
        # An ok download from before records kept the metadata: its page is fetched next.
        record = read_record(job.output) or {}
        return record.get("status") == "ok" and "info" not in record

    def keep(self, params: dict[str, Any], job: Job) -> bool:
        record = read_record(job.output)
        if record is None:
            return False
        if record.get("status") == "ok":
            return (self.folder(params) / str(record.get("file") or "")).is_file()
        if record.get("status") == THROTTLE or record.get("retry"):
            return False
        retry = set(params["download"]["retry_failed"])
        return not ("all" in retry or record.get("category") in retry)

    def adopt(self, job: Job) -> bool:
        # Records written before job keys existed: a record of the same item and segment is
        # that item's download (finished or failed; ``keep`` then applies the retry policy),
        # so nothing is fetched again because keys were introduced.
        record = read_record(job.output)
        if record is None:
            return False
        start, end = job.settings["start"], job.settings["end"]
        return record.get("segment") == ([start, end] if start is not None else None)

    def relocated(self, params: dict[str, Any], job: Job) -> None:
        # A record from before bucket folders names its video by the flat path.
        record = read_record(job.output)
        video = job.media[0]
        if record is not None and record.get("file") and video.is_file():
            record["file"] = str(video.relative_to(self.folder(params)))
            write_json(job.output, record)

    def run_job(self, params: dict[str, Any], job: Job) -> str:
        if params["download"]["kinetics_source"] == "mirror" and job.source.is_segment:
            # Clips come from the mirror's archives, after the shards (``mirror-sync``).
            write_json(job.output, _record(job.source, params["download"], status="deferred",
                                           category=MIRROR_PENDING, retry=True,
                                           message="waiting for the Kinetics mirror"))
            self.finish(job)
            return f"{job.item}: deferred to the Kinetics mirror"
        record = download_item(job.source, self.folder(params), params["download"],
                               gate=ThrottleGate(paths.THROTTLE_FILE), access=params["access"],
                               bot_check=BotCheckFlag(paths.BOT_CHECK_FILE))
        self.finish(job)
        return (f"{job.item}: {record.get('status')} {record.get('category', '')} "
                f"{record.get('message', '')[:200]}").rstrip()

    def outcome(self, job: Job) -> tuple[str, int]:
        record = read_record(job.output) or {}
        status = str(record.get("status", "missing"))
        category = status if status != "failed" else str(record.get("category") or "failed")
        return category, int(record.get("throttle_pauses") or 0)

    def report(self, params: dict[str, Any]) -> dict[str, Any]:
        stats: list[list[Any]] = []
        failed: list[list[Any]] = []

        def rows(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
            for r in records:  # the tables' rows, kept while the summary counts
                if r["status"] == "ok":
                    stats.append([r["item_id"], r.get("bytes", 0), r.get("download_seconds", 0.0),
                                  r.get("ffmpeg_seconds", 0.0), r.get("finished_at", "")])
                else:
                    failed.append([r["item_id"], r.get("category") or r["status"],
                                   r.get("message", "")])
                yield r

        summary = summarize(rows(collect(_items(), self.folder(params))))
        root = paths.DOWNLOAD_ROOT
        write_text(root / "stats.csv", csv_text(
            ["id", "bytes", "download_seconds", "ffmpeg_seconds", "when"], stats))
        write_text(root / "failed.csv", csv_text(["id", "category", "message"], failed))
        if params["download"]["kinetics_source"] != "youtube":
            summary["mirror"] = read_record(MIRROR_MARKER) or {}
        write_text(root / "time_share.csv", csv_text(
            ["phase", "seconds"], [["download", summary["download_seconds"]],
                                   ["ffmpeg", summary["ffmpeg_seconds"]]]))
        write_json(paths.metrics_file(self.name), summary)
        if summary["advice"]:
            print(f"download: items deferred by bot checks: {BOT_CHECK_ADVICE}",
                  file=sys.stderr)
        return {k: summary[k] for k in ("items", "ok", "failed", "throttled", "deferred",
                                        "with_heatmap", "bytes")}
