"""The one shape of a persisted stage, its job keys, the one reconciler, and the registry.

Every fan-out stage (download, trim, gifify, align, shots, segments, features) is a
:class:`Stage`: ``folder(params)`` (its variant folder), ``jobs(params)`` (one :class:`Job`
per item), ``run_one(params, item)`` (do one job, write its output, then its key) and
``report(params)`` (gather the per-item results into tables and ``metrics/<stage>.json``).
Snakemake runs ``gifworthy run-one <stage> <item>`` per item and ``gifworthy report <stage>``
once; DVC runs ``gifworthy prepare <stage>`` first.

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
from typing import Any, ClassVar, Mapping

from gifworthy.core.fingerprint import code_fingerprint, content_digest
from gifworthy.core.fsutil import csv_text, remove_other_variants, write_text
from gifworthy.core.registry import load
from gifworthy.pipeline.records import record_version

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
    reads, and other files it writes (``media``: removed with it when it is stale)."""

    stage: str
    item: str
    output: Path
    records: Mapping[str, Path] = dataclasses.field(default_factory=dict)
    files: Mapping[str, Path] = dataclasses.field(default_factory=dict)
    settings: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    media: tuple[Path, ...] = ()


class Stage:
    """A persisted fan-out stage. Subclasses set ``name`` and implement the four methods;
    ``variant_levels``, ``item_folders``, ``keep`` and ``adopt`` have defaults."""

    name: ClassVar[str]
    # Whether the stage's code is part of its job keys (False for download: a change to the
    # download code must never refetch a video).
    code_in_key: ClassVar[bool] = True

    def folder(self, params: dict[str, Any]) -> Path:
        """The folder of this params variant's per-item outputs."""
        raise NotImplementedError

    def jobs(self, params: dict[str, Any]) -> dict[str, Job]:
        """Every item's job for these params, by item id."""
        raise NotImplementedError

    def run_one(self, params: dict[str, Any], item: str) -> str:
        """Do one job: write its output (always, for failures too), then its key. Returns a
        one-line summary for the log."""
        raise NotImplementedError

    def report(self, params: dict[str, Any]) -> dict[str, Any]:
        """Gather the per-item outputs into the stage's tables and metrics."""
        raise NotImplementedError

    def job(self, params: dict[str, Any], item: str) -> Job:
        """The job of ``item``; an item the manifest does not name (a typo, a hostile
        ``../x``) is refused before anything is read or written."""
        jobs = self.jobs(params)
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


def prepare(stage: Stage, params: dict[str, Any], *,
            dvc_yaml: str | os.PathLike[str] = "dvc.yaml") -> dict[str, int]:
    """Reconcile a stage's persisted outputs before Snakemake runs: remove other params'
    variant folders, temporaries and files no job wants (``removed_files``), and outputs
    whose key is missing or stale (``stale``, with their keys and media). What remains is
    exactly what a fresh run would write again, so Snakemake only runs the jobs whose
    outputs are gone."""
    removed: list[Path] = []
    for parent, keep, pattern in stage.variant_levels(params):
        removed += remove_other_variants(parent, keep, pattern)
    folders = stage.item_folders(params)
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)  # exists even for an empty corpus
    code = stage.code(dvc_yaml)
    wanted = stage.jobs(params)
    allowed = set()
    for job in wanted.values():
        allowed |= {job.output, key_path(job.output), *job.media}
    counts = {"removed_variants": len(removed), "removed_files": 0, "stale": 0, "kept": 0,
              "adopted": 0}
    for folder in folders:
        for path in sorted(folder.iterdir()):
            temporary = path.name.startswith(".tmp-")
            if not temporary and (path in allowed or path.is_dir()):
                continue
            _remove(path)
            counts["removed_files"] += not path.name.endswith(".key")
    for job in wanted.values():
        key = key_path(job.output)
        if not job.output.exists():
            key.unlink(missing_ok=True)
            continue
        if not key.exists() and stage.adopt(job):
            write_key(job, code)
            counts["adopted"] += 1
        current = key.read_text(encoding="utf-8").strip() if key.exists() else ""
        if current == fingerprint(job, code) and stage.keep(params, job):
            counts["kept"] += 1
            continue
        for path in (job.output, key, *job.media):
            path.unlink(missing_ok=True)
        counts["stale"] += 1
    return counts


def write_index(root: Path, files: list[Path]) -> None:
    """``root/index.csv`` listing a stage's per-video files (which also keeps the stage's
    output folder in existence for an empty corpus)."""
    write_text(root / "index.csv",
               csv_text(["youtube_id", "file"], [[f.stem, str(f)] for f in sorted(files)]))
