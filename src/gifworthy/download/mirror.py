"""The Kinetics mirror: clips from the Common Visual Data Foundation's frozen tar.gz archives
of Kinetics-400, -600 and -700-2020 (the copies the Kinetics maintainers point to when
YouTube has lost a video), put into the same clip layout with the same status records.

``download.kinetics_source`` picks, per corpus: ``youtube`` (the per-item downloads only),
``mirror`` (every clip from the archives) or ``youtube_then_mirror`` (the archives for the
clips YouTube can no longer give: failures that are not transient). The mirror runs once per
download stage, after the per-item shards (``gifworthy mirror-sync``, a Snakemake rule):

* Each split's archive list is ``{base_url}/{version}/{split}/k{N}_{split}_path.txt``, as the
  CVDF publishes it (``k700_2020_train_path.txt`` lists ``k700_train_001.tar.gz`` ...).
* An archive is fetched once, resumably (a ``.part`` file continued with HTTP ``Range``),
  checked against ``download.mirror.checksums`` (an md5sum-style list) when one is given,
  then read as a stream: only the members the manifest names (``<clip_id>.mp4``, in any
  folder: the 700-2020 archives have one per class) are written, each validated, renamed
  into place, recorded (``source: mirror``) and keyed, one at a time, so a kill loses at most
  the clip being written. Its member list is kept (``.gifworthy/mirror/``), so a later run
  fetches only the archives that hold clips it still wants; the archive itself is deleted
  unless ``keep_archives``.
* When every archive of a split is listed, a wanted clip in none of them is ``failed`` with
  category ``not in mirror`` (for ``youtube_then_mirror`` the record keeps YouTube's reason).
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import os
import re
import shutil
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterable

from gifworthy.core.fsutil import write_json
from gifworthy.corpus.base import DownloadItem
from gifworthy.download.sources import resolve_url
from gifworthy.pipeline import paths
from gifworthy.pipeline.records import read_record

__all__ = ["MIRROR_DIR", "MIRROR_SPLITS", "archive_list_url", "mirror_split", "sync_mirror",
           "wanted_from_mirror"]

MIRROR_DIR = Path(".gifworthy/mirror")
# Kinetics' split names -> the mirror's folder names.
MIRROR_SPLITS = {"train": "train", "validate": "val", "test": "test"}
_CHUNK = 1 << 20


def mirror_split(split: str) -> str:
    return MIRROR_SPLITS.get(split, split)


def archive_list_url(base_url: str, version: str, split: str) -> str:
    """The CVDF's list of archives of one split (``400`` -> ``k400``, ``700_2020`` ->
    ``k700_2020``)."""
    return f"{base_url.rstrip('/')}/{version}/{split}/k{version}_{split}_path.txt"


def _get(url: str, timeout: float, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(url, headers={"User-Agent": "gifworthy", **(headers or {})})
    return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - http(s) by params


def _read_list(url: str, timeout: float) -> list[str]:
    with _get(url, timeout) as answer:
        text = answer.read().decode("utf-8-sig", "replace")
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.startswith("#")]


def _checksums(url: str | None, timeout: float) -> dict[str, str]:
    """``name -> md5`` from an md5sum-style list (``<hex>  <name>``), when there is one."""
    if not url:
        return {}
    sums = {}
    for line in _read_list(resolve_url(url), timeout):
        match = re.match(r"([0-9a-fA-F]{32})\s+\*?(\S+)$", line)
        if match:
            sums[Path(match.group(2)).name] = match.group(1).lower()
    return sums


def _fetch_archive(url: str, target: Path, timeout: float, attempts: int,
                   log: Callable[[str], None]) -> None:
    """Download ``url`` to ``target``, continuing a ``.part`` left by an earlier try or run
    (HTTP Range); a server that ignores Range restarts it."""
    part = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, attempts + 1):
        have = part.stat().st_size if part.exists() else 0
        try:
            headers = {"Range": f"bytes={have}-"} if have else {}
            with _get(url, timeout, headers) as answer:
                resumed = have and answer.status == 206
                with open(part, "ab" if resumed else "wb") as fh:
                    while chunk := answer.read(_CHUNK):
                        fh.write(chunk)
                total = answer.headers.get("Content-Range", "").rpartition("/")[2] \
                    if resumed else answer.headers.get("Content-Length")
            if total and total.isdigit() and part.stat().st_size != int(total):
                raise OSError(f"{url}: {part.stat().st_size} of {total} bytes")
            os.replace(part, target)
            return
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:  # the .part is already whole
                os.replace(part, target)
                return
            if exc.code < 500 and exc.code != 429:
                raise
            error: Exception = exc
        except OSError as exc:
            error = exc
        log(f"mirror: {Path(url).name}: {error} (try {attempt} of {attempts}; the next "
            "continues where this one stopped)")
        time.sleep(min(30.0, 2.0 ** attempt))
    raise OSError(f"{url}: not fetched after {attempts} tries")


def _md5(path: Path) -> str:
    digest = hashlib.md5()  # noqa: S324 - the mirror's published checksums are md5
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def wanted_from_mirror(items: Iterable[DownloadItem], out_dir: Path, mode: str
                       ) -> dict[str, DownloadItem]:
    """The clips to take from the mirror: for ``mirror`` every clip not done (no ok record,
    no lasting failure: ``download.retry_failed`` brings those back); for
    ``youtube_then_mirror`` the clips YouTube failed for good (not transient, not deferred)."""
    from gifworthy.download.stage import status_path

    wanted = {}
    for item in items:
        if not item.is_segment:
            continue  # the archives hold clips only
        record = read_record(status_path(out_dir, item.item_id))
        status = (record or {}).get("status")
        lasting = status == "failed" and not (record or {}).get("retry")
        if status == "ok" or (lasting and (mode == "mirror" or "mirror" in (record or {}))):
            continue  # done, or failed for good (the mirror's answer is already in it)
        if mode == "mirror" or lasting:
            wanted[item.item_id] = item
    return wanted


# Clips validated and recorded at once while the archive streams on (the work is two
# ffprobes a clip, about 0.2 s of process start-up: in one thread that, not the archive,
# bounds the rate).
PLACE_WORKERS = max(2, min(8, 2 * (os.cpu_count() or 1)))


def _extract(archive: Path, wanted: dict[str, DownloadItem],
             place: Callable[[DownloadItem, Path, str], None]) -> list[str]:
    """Stream ``archive``: every member's name, and each wanted clip placed as it passes
    (by a small pool; at most twice its size of clips wait on disk)."""
    members = []
    slots = threading.BoundedSemaphore(2 * PLACE_WORKERS)

    def placed(item: DownloadItem, tmp: Path) -> None:
        try:
            place(item, tmp, archive.name)
        finally:
            tmp.unlink(missing_ok=True)
            slots.release()

    with cf.ThreadPoolExecutor(PLACE_WORKERS) as pool, tarfile.open(archive, mode="r|gz") as tar:
        futures = []
        for member in tar:
            if not member.isfile():
                continue
            name = Path(member.name).name
            members.append(name)
            clip = name[:-4] if name.endswith(".mp4") else None
            if clip is None or clip not in wanted:
                continue
            source = tar.extractfile(member)
            if source is None:
                continue
            slots.acquire()
            fd, tmp = tempfile.mkstemp(prefix=f".tmp-{clip}-", suffix=".mp4",
                                       dir=archive.parent)
            with os.fdopen(fd, "wb") as fh:
                shutil.copyfileobj(source, fh, _CHUNK)
            futures.append(pool.submit(placed, wanted[clip], Path(tmp)))
        for future in futures:
            future.result()  # a placing error is the archive's error
    return members


def sync_mirror(params: dict[str, Any], items: list[DownloadItem], *,
                place: Callable[[DownloadItem, Path, str], None],
                give_up: Callable[[DownloadItem, str], None],
                log: Callable[[str], None] = lambda m: print(m, file=sys.stderr)
                ) -> dict[str, Any]:
    """Take the wanted clips from the mirror's archives (see the module's docstring).
    ``place(item, file, archive)`` validates and records one extracted clip; ``give_up``
    records a clip no archive of its split holds. Returns counts."""
    dl = params["download"]
    mode = str(dl["kinetics_source"])
    counts = {"wanted": 0, "archives": 0, "fetched": 0, "placed": 0, "not_in_mirror": 0,
              "failed_archives": 0}
    if mode == "youtube":
        return counts
    mirror = dl["mirror"]
    wanted = wanted_from_mirror(items, paths.download_dir(params), mode)
    counts["wanted"] = len(wanted)
    if not wanted:
        return counts
    timeout = float(dl["socket_timeout"])
    base = resolve_url(str(mirror["base_url"]))
    version = str(mirror["version"])
    root = MIRROR_DIR / version
    sums = _checksums(mirror.get("checksums"), timeout)
    by_split: dict[str, dict[str, DownloadItem]] = {}
    for clip, item in wanted.items():
        by_split.setdefault(mirror_split(item.split), {})[clip] = item

    for split, clips in sorted(by_split.items()):
        urls = _read_list(archive_list_url(base, version, split), timeout)
        counts["archives"] += len(urls)
        index_dir = root / "index" / split
        complete = True

        def one(url: str, clips: dict[str, DownloadItem] = clips,
                index_dir: Path = index_dir, split: str = split) -> tuple[int, bool]:
            name = url.rsplit("/", 1)[-1]
            index = read_record(index_dir / f"{name}.json")
            if index is not None and not set(clips) & set(m[:-4] for m in index["members"]):
                return 0, False  # listed before, holds nothing still wanted
            archive = root / "archives" / split / name
            if not archive.exists():
                _fetch_archive(url, archive, timeout, int(dl["attempts"]), log)
            if name in sums and _md5(archive) != sums[name]:
                archive.unlink()
                raise OSError(f"{name}: md5 differs from the published checksum (deleted; "
                              "fetched again next run)")
            before = len(clips)
            members = _extract(archive, clips, place)
            write_json(index_dir / f"{name}.json", {"archive": url, "members": members})
            if not mirror["keep_archives"]:
                archive.unlink(missing_ok=True)
            log(f"mirror: {split}/{name}: {len(members)} clips, "
                f"{sum(1 for m in members if m[:-4] in clips)} wanted")
            return before, True

        workers = max(1, min(int(mirror["parallel_archives"]), len(urls) or 1))
        with cf.ThreadPoolExecutor(workers) as pool:
            futures = {pool.submit(one, url): url for url in urls}
            for future in cf.as_completed(futures):
                try:
                    _, fetched = future.result()
                    counts["fetched"] += fetched
                except (OSError, tarfile.TarError, urllib.error.URLError) as exc:
                    complete = False
                    counts["failed_archives"] += 1
                    log(f"mirror: {futures[future]}: {exc}")
        if not complete:
            continue  # clips of an archive not read yet may still be in it: next run
        listed: set[str] = set()
        for index_file in index_dir.glob("*.json"):
            listed.update(m[:-4] for m in (read_record(index_file) or {}).get(
                "members", []))
        for clip, item in sorted(clips.items()):
            if clip not in listed:
                give_up(item, f"not in the mirror's {version} {split} archives")
                counts["not_in_mirror"] += 1
    counts["placed"] = _placed(wanted, paths.download_dir(params))
    return counts


def _placed(wanted: dict[str, DownloadItem], out_dir: Path) -> int:
    from gifworthy.download.stage import status_path

    records = (read_record(status_path(out_dir, clip)) or {} for clip in wanted)
    return sum(1 for r in records if r.get("source") == "mirror" and r.get("status") == "ok")
