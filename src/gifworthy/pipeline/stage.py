"""The one shape of a persisted stage, its job keys, the one reconciler, and the registry.

Every fan-out stage (download, trim, gifify, align, shots, segments, features) is a
:class:`Stage`: ``folder(params)`` (its variant folder), ``jobs(params)`` (one :class:`Job`
per item), ``run_job(params, job)`` (do one job, write its output, then its key) and
``report(params)`` (gather the per-item results into tables and ``metrics/<stage>.json``).
DVC runs ``gifworthy prepare <stage>`` first (which also plans the stage's shards,
:mod:`gifworthy.pipeline.shards`), Snakemake then runs ``gifworthy run-shard <stage> <shard>``
per shard (:func:`gifworthy.pipeline.shards.run_shard`) and ``gifworthy report <stage>`` once.
Per-item files live in bucket folders (:func:`gifworthy.pipeline.paths.item_file`).

Why keys: these stages keep their outputs between runs (``persist: true``: a params change
must never delete what took days to download, and a failed or interrupted run resumes with
only the missing items). Snakemake cannot tell a stale file from a valid one here: its inputs
are ``ancient()`` (DVC checkouts give meaningless mtimes, GUIDE 3, trap 4) and its metadata
is not shared between clones (trap 3). So every job writes ``<output>.key`` after its output:
a hash of the stage's code (the ``src/`` deps dvc.yaml lists for it; a download leaves code
out, so a code change never refetches), the settings the job reads, and the identity of each
input (upstream records by version, files by content). :func:`prepare` deletes every output
whose key is missing or differs from the one the job would write now, and every file no job
wants; Snakemake then redoes exactly the missing outputs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any, ClassVar, Collection, Iterator, Literal, Mapping

from gifworthy.core.fingerprint import code_fingerprint, content_digest
from gifworthy.core.fsutil import csv_text, remove_other_variants, write_text
from gifworthy.core.ids import check_item_id
from gifworthy.core.registry import load
from gifworthy.pipeline.paths import BUCKET_NAME
from gifworthy.pipeline.records import read_record, record_version

__all__ = ["STAGES", "Job", "Stage", "fingerprint", "get_stage", "key_path", "prepare",
           "write_index", "write_key"]

# The registry of persisted stages: the single source of their names. Modules are imported
# on demand, so a command loads only the stage it runs (and its DVC deps stay its own).
STAGES: dict[str, str] = {
    "download": "gifworthy.download.stage:DownloadStage",
    "trim": "gifworthy.trim:TrimStage",
    "gifify": "gifworthy.gifify:GififyStage",
    "align": "gifworthy.align.stage:AlignStage",
    "shots": "gifworthy.shots.stage:ShotsStage",
    "segments": "gifworthy.segments:SegmentsStage",
    "features": "gifworthy.features.stage:FeaturesStage",
}


@dataclasses.dataclass(frozen=True)
class Job:
    """One item's job in one stage: the file that says it is done (``output``, whose key is
    written last), the records it reads (by version) and files (by content), the settings it
    reads, and other files it writes (``media``: removed with it when it is stale).
    ``source`` is what the stage needs to run it (a manifest item, the video's GIFs): not part
    of the key, which names everything the job's output depends on already."""

    stage: str
    item: str
    output: Path
    records: Mapping[str, Path] = dataclasses.field(default_factory=dict)
    files: Mapping[str, Path] = dataclasses.field(default_factory=dict)
    settings: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    media: tuple[Path, ...] = ()
    source: Any = dataclasses.field(default=None, compare=False, repr=False)


class Stage:
    """A persisted fan-out stage. Subclasses set ``name`` and implement the four methods;
    ``variant_levels``, ``item_folders``, ``keep`` and ``adopt`` have defaults."""

    name: ClassVar[str]
    # Whether the stage's code is part of its job keys (False for download: a change to the
    # download code must never refetch a video).
    code_in_key: ClassVar[bool] = True
    # How a shard job runs its items: "threads" (the work is in subprocesses or the network:
    # ffmpeg, yt-dlp), "processes" (pure-Python CPU work) or "serial" (one item at a time,
    # each using the job's threads: the networks, loaded once per shard).
    pool: ClassVar[Literal["threads", "processes", "serial"]] = "threads"
    # The fan-out stages whose per-item files this stage's jobs read: :func:`prepare` brings
    # them (and the stage's own) in step with their packs first.
    reads: ClassVar[tuple[str, ...]] = ()

    def folder(self, params: dict[str, Any]) -> Path:
        """The folder of this params variant's per-item outputs."""
        raise NotImplementedError

    def jobs(self, params: dict[str, Any], only: Collection[str] | None = None
             ) -> dict[str, Job]:
        """Every item's job for these params (or only the jobs of the items in ``only``), by
        item id."""
        raise NotImplementedError

    def item_ids(self, params: dict[str, Any]) -> list[str]:
        """Every item's id: what planning reads, without building 650,000 jobs."""
        return list(self.jobs(params))

    def key_prefix(self, folder: Path) -> str:
        """The part of an item id that a file's folder says (gifify's ``clips/``, ``v2g/``)."""
        return ""

    def run_job(self, params: dict[str, Any], job: Job) -> str:
        """Do one job: write its output (always, for failures too), then its key. Returns a
        one-line summary for the log."""
        raise NotImplementedError

    def run_one(self, params: dict[str, Any], item: str) -> str:
        """Do the job of one item, named by id (``gifworthy run-one``: one item by hand)."""
        return self.run_job(params, self.job(params, item))

    def outcome(self, job: Job) -> tuple[str, int]:
        """What a finished job came to, for progress: ``ok`` or a failure category, and the
        throttle pauses it took. Record stages read their record's status."""
        if not job.output.exists():
            return "missing", 0
        if job.output.suffix != ".json":
            return "ok", 0
        record = read_record(job.output)
        if not isinstance(record, dict):
            return "ok", 0
        status = str(record.get("status", "ok"))
        return (status if status != "failed" else str(record.get("category") or status)), 0

    def report(self, params: dict[str, Any]) -> dict[str, Any]:
        """Gather the per-item outputs into the stage's tables and metrics."""
        raise NotImplementedError

    def job(self, params: dict[str, Any], item: str) -> Job:
        """The job of ``item``; an item the manifest does not name (a typo, a hostile
        ``../x``) is refused before anything is read or written."""
        for part in item.split("/", 1):  # "clips/<id>": the GIF stage's kind, then the id
            check_item_id(part)
        jobs = self.jobs(params, only={item})
        if item not in jobs:
            raise ValueError(f"{self.name}: no item {item!r} in this corpus and params")
        return jobs[item]

    def variant_levels(self, params: dict[str, Any]) -> list[tuple[Path, Path, str]]:
        """(parent, folder to keep, pattern of sibling variant names): other params' variant
        folders are removed, level by level."""
        folder = self.folder(params)
        return [(folder.parent, folder, r".+")]

    def item_folders(self, params: dict[str, Any]) -> list[Path]:
        """Folders holding per-item files (outputs, keys, media): any file in them that no
        job wants is removed."""
        return [self.folder(params)]

    def keep(self, params: dict[str, Any], job: Job) -> bool:
        """Whether a finished output with a current key stays (a policy hook: downloads that
        failed transiently, or in a category ``params`` retries, are tried again)."""
        return True

    def begin(self, params: dict[str, Any]) -> None:
        """Called once by :func:`prepare`, before anything runs (a run-wide state to reset:
        the download stage's bot-check deferrals; a setting to check once, not per item)."""

    def refresh(self, params: dict[str, Any], job: Job) -> bool:
        """Whether a finished, current output runs again with its files left in place (the
        job updates its record: downloads made before records kept the video's metadata)."""
        return False

    def relocated(self, params: dict[str, Any], job: Job) -> None:
        """Called after a job's files moved from the flat layout into bucket folders (paths
        recorded inside an output are fixed here)."""

    def adopt(self, job: Job) -> bool:
        """Whether an output without a key is known good and gets its key (downloads made
        before keys existed are never fetched again)."""
        return False

    def code(self, dvc_yaml: str | os.PathLike[str] = "dvc.yaml") -> str:
        return code_fingerprint(self.name, dvc_yaml) if self.code_in_key else ""

    def finish(self, job: Job) -> None:
        """Record that ``job.output`` is finished and valid (after it was written)."""
        write_key(job, self.code())


def get_stage(name: str) -> Stage:
    """The registered stage ``name``."""
    return load(STAGES, name, "stage")()


def fingerprint(job: Job, code: str) -> str:
    """The key ``job.output`` must carry to be valid."""
    doc = {"stage": job.stage, "code": code, "settings": job.settings,
           "records": {k: record_version(p) for k, p in sorted(job.records.items())},
           "files": {k: content_digest(p) for k, p in sorted(job.files.items())}}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def key_path(output: Path) -> Path:
    return output.with_name(output.name + ".key")


def write_key(job: Job, code: str) -> None:
    write_text(key_path(job.output), fingerprint(job, code) + "\n")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


_BUCKET = BUCKET_NAME


def _job_files(job: Job) -> list[Path]:
    return [job.output, key_path(job.output), *job.media]


def _on_disk(stage: Stage, folders: list[Path]) -> Iterator[tuple[str, Path, bool]]:
    """(item id, path, in a bucket folder?) of every file in the stage's item folders; a
    file's item is its name up to the first dot (item ids have none)."""
    for folder in folders:
        prefix = stage.key_prefix(folder)
        with os.scandir(folder) as entries:
            top = sorted(entries, key=lambda e: e.name)
        for entry in top:
            if entry.is_dir(follow_symlinks=False) and _BUCKET.fullmatch(entry.name):
                with os.scandir(entry.path) as inner:
                    for file in sorted(inner, key=lambda e: e.name):
                        yield prefix + file.name.split(".", 1)[0], Path(file.path), True
            elif entry.is_dir(follow_symlinks=False) and not entry.name.startswith(".tmp-"):
                continue  # a folder of another kind (gifify's clips/ beside v2g/)
            else:  # a temporary, or a file of the flat layout before bucket folders
                yield prefix + entry.name.split(".", 1)[0], Path(entry.path), False


def prepare(stage: Stage, params: dict[str, Any], *,
            dvc_yaml: str | os.PathLike[str] = "dvc.yaml") -> dict[str, int]:
    """Reconcile a stage's persisted outputs before Snakemake runs: remove other params'
    variant folders, temporaries and files no job wants (``removed_files``), and outputs
    whose key is missing or stale (``stale``, with their keys and media); files of the flat
    layout (before bucket folders) move into their bucket (``moved``). What remains is
    exactly what a fresh run would write again. Then the stage's shards are planned and the
    finished ones marked (:func:`gifworthy.pipeline.shards.write_plan`), so Snakemake runs
    only the shards with missing items, and each of those only its missing items.

    Jobs are built only for the items that have files on disk: planning a fresh
    650,000-item stage reads the item ids and nothing else."""
    from gifworthy.pipeline.packs import unpack
    from gifworthy.pipeline.shards import write_plan

    unpacked = unpack([*stage.reads, stage.name], params)
    stage.begin(params)
    removed: list[Path] = []
    for parent, keep, pattern in stage.variant_levels(params):
        removed += remove_other_variants(parent, keep, pattern)
    folders = stage.item_folders(params)
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)  # exists even for an empty corpus
    ids = stage.item_ids(params)
    wanted = set(ids)
    counts = {"removed_variants": len(removed), "removed_files": 0, "stale": 0, "kept": 0,
              "adopted": 0, "moved": 0}

    def remove(path: Path) -> None:
        _remove(path)
        counts["removed_files"] += not path.name.endswith(".key")

    present: dict[str, list[tuple[Path, bool]]] = {}
    for item, path, bucketed in _on_disk(stage, folders):
        if path.name.startswith(".tmp-") or item not in wanted:
            remove(path)
        else:
            present.setdefault(item, []).append((path, bucketed))
    jobs = stage.jobs(params, only=set(present)) if present else {}
    for item, files in present.items():
        job = jobs[item]
        allowed = {p.name: p for p in _job_files(job)}
        moved = False
        for path, bucketed in files:
            target = allowed.get(path.name)
            if target is None or (bucketed and target != path):
                remove(path)
            elif not bucketed:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
                counts["moved"] += 1
                moved = True
        if moved:
            stage.relocated(params, job)
    code = stage.code(dvc_yaml)
    done: set[str] = set()
    for item, job in jobs.items():
        key = key_path(job.output)
        if not job.output.exists():
            key.unlink(missing_ok=True)
            continue
        if not key.exists() and stage.adopt(job):
            write_key(job, code)
            counts["adopted"] += 1
        current = key.read_text(encoding="utf-8").strip() if key.exists() else ""
        if current == fingerprint(job, code) and stage.keep(params, job):
            if stage.refresh(params, job):
                # Not done (no key), yet nothing of it is removed: the job updates it.
                key.unlink()
                counts["refresh"] = counts.get("refresh", 0) + 1
                continue
            counts["kept"] += 1
            done.add(item)
            continue
        for path in (job.output, key, *job.media):
            path.unlink(missing_ok=True)
        counts["stale"] += 1
    counts["shards"] = write_plan(stage.name, ids, done, params)
    if unpacked:
        counts["unpacked_files"] = sum(c["written"] for c in unpacked.values())
    return counts


def write_index(root: Path, files: list[Path]) -> None:
    """``root/index.csv`` listing a stage's per-video files (which also keeps the stage's
    output folder in existence for an empty corpus)."""
    rows = [[f.stem, str(f)] for f in sorted(files, key=lambda f: f.name)]
    write_text(root / "index.csv", csv_text(["youtube_id", "file"], rows))
