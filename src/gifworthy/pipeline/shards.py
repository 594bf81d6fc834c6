"""Shards: how a fan-out stage's items are cut into jobs, and the job that runs one shard.

At full size (Kinetics-700: 650,000 clips) one job per item means a 650,000-job DAG, a
Python start-up per item and a Slurm submission most sites refuse. So Snakemake runs one job
per *shard* and the shard job does its items with a bounded pool.

* **Assignment.** An item's *slot* is the high 16 bits of the CRC-32 of its id (65,536 slots).
  A shard is a run of ``slots_per_shard`` consecutive slots, a power of two chosen so that a
  shard holds at most about ``execution.shard_size`` items. An item never changes slot, so
  adding rows to a corpus only adds items to shards (or, when the corpus doubles, halves
  every shard); finished items are never redone. Shards say only *who runs* an item: every
  per-item file lives in a bucket folder by its own id (:func:`gifworthy.pipeline.paths.item_file`),
  so any shard size gives byte-identical outputs, and ``execution`` is in no stage's params.
* **Plan.** ``gifworthy prepare <stage>`` (run by DVC before Snakemake, after it removed
  every stale output) writes ``.gifworthy/shards/<stage>/plan.json`` (shard ids, a few bytes
  per shard) and a ``<shard>.done`` marker for each shard whose items are all finished. The
  Snakefile reads only the plan, so a 650,000-item stage parses in milliseconds, on the
  submitting host and in every cluster job.
* **Resume per item.** A shard job skips every item whose key exists (the key is written
  last, after the output, both atomically), so a shard killed at any moment (``kill -9``, a
  lost node) redoes only its missing items. An item that raises is logged and counted, its
  output stays missing (tried again next run), and the shard still finishes: one bad item
  never fails a shard.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import sys
import time
import traceback
import zlib
from pathlib import Path
from typing import Any, Callable, Iterable

from gifworthy.core.fsutil import read_json, write_json
from gifworthy.pipeline import paths
from gifworthy.pipeline.stage import Job, Stage, key_path

__all__ = ["SLOTS", "Progress", "marker_path", "plan_path", "progress_path", "read_plan",
           "run_shard", "shard_ids", "shard_of", "slot", "slots_per_shard", "stage_dir",
           "stage_progress", "write_plan"]

SLOTS = 1 << 16


def slot(item: str) -> int:
    """The item's slot in 0..65535, from its id only (stable across corpora and runs): the
    bucket folder of its files is the slot's high byte, so a shard's files share folders."""
    return paths.slot(item)


def slots_per_shard(items: int, shard_size: int) -> int:
    """The largest power of two of slots whose expected item count is at most
    ``shard_size`` (at least one slot)."""
    if shard_size < 1:
        raise ValueError(f"execution.shard_size must be at least 1, not {shard_size}")
    size = SLOTS
    while size > 1 and items * size > shard_size * SLOTS:
        size //= 2
    return size


def shard_of(item: str, size: int) -> int:
    return slot(item) // size


def stage_dir(stage: str) -> Path:
    return paths.SHARDS_DIR / stage


def plan_path(stage: str) -> Path:
    return stage_dir(stage) / "plan.json"


def marker_path(stage: str, shard: int | str) -> Path:
    """The file that says a shard's items are all finished: the output of its Snakemake job.
    Not data (it depends on the shard size), so it lives outside ``data/``."""
    return stage_dir(stage) / f"{shard}.done"


def progress_path(stage: str, shard: int | str) -> Path:
    return stage_dir(stage) / "progress" / f"{shard}.json"


def _execution(params: dict[str, Any]) -> dict[str, Any]:
    return dict(params.get("execution") or {})


def write_plan(stage: str, items: Iterable[str], done: set[str], params: dict[str, Any]) -> int:
    """Plan ``stage``'s shards over ``items``; mark the shards whose items are all in ``done``.
    Returns the number of shards. Old markers and progress files go first: the plan is
    remade from the outputs every time, so it can never claim work that is not there."""
    items = list(items)
    size = slots_per_shard(len(items), int(_execution(params).get("shard_size", 1000)))
    members: dict[int, int] = {}
    missing: set[int] = set()
    shift = size.bit_length() - 1  # slot // size, for a power of two
    for item in items:
        shard = (zlib.crc32(item.encode()) >> 16) >> shift  # paths.slot, inlined: 650,000 ids
        members[shard] = members.get(shard, 0) + 1
        if item not in done:
            missing.add(shard)
    folder = stage_dir(stage)
    folder.mkdir(parents=True, exist_ok=True)
    for old in [*folder.glob("*.done"), *folder.glob("progress/*.json")]:
        old.unlink(missing_ok=True)
    for shard in sorted(set(members) - missing):
        write_json(marker_path(stage, shard), {"items": members[shard], "ran": 0, "errors": []})
    write_json(plan_path(stage), {"stage": stage, "items": len(items),
                                  "slots_per_shard": size,
                                  "shards": {str(s): n for s, n in sorted(members.items())}})
    return len(members)


def read_plan(stage: str) -> dict[str, Any] | None:
    try:
        plan = read_json(plan_path(stage))
    except (OSError, ValueError):
        return None
    return plan if isinstance(plan, dict) else None


def shard_ids(stage: str) -> list[str]:
    """The planned shards of ``stage`` (empty before ``gifworthy prepare <stage>``): what the
    Snakefile expands its report's inputs over."""
    plan = read_plan(stage)
    return sorted(plan["shards"], key=int) if plan else []


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


class Progress:
    """How far a shard is, on stderr and in ``.gifworthy/shards/<stage>/progress/<shard>.json``,
    at least every ``every`` seconds and at the end: items done of total (the shard's and
    the whole stage's), rate, time left, failures by category and throttle pauses. Printed
    by the job itself, so Snakemake's ``quiet`` setting does not hide it."""

    def __init__(self, stage: str, shard: str, total: int, done: int, *, every: float = 30.0,
                 stage_total: int = 0, out: Callable[[str], None] | None = None) -> None:
        self.stage, self.shard, self.total, self.every = stage, shard, total, every
        self.skipped = done
        self.done = done
        self.stage_total = stage_total
        self.failures: dict[str, int] = {}
        self.errors: list[dict[str, str]] = []
        self.pauses = 0
        self.started = time.monotonic()
        self.last = 0.0
        self.out = out or (lambda line: print(line, file=sys.stderr, flush=True))

    def add(self, category: str, pauses: int = 0) -> None:
        self.done += 1
        self.pauses += pauses
        if category != "ok":
            self.failures[category] = self.failures.get(category, 0) + 1
        if time.monotonic() - self.last >= self.every:
            self.report()

    def snapshot(self) -> dict[str, Any]:
        elapsed = time.monotonic() - self.started
        ran = self.done - self.skipped
        rate = ran / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else None
        return {"stage": self.stage, "shard": self.shard, "done": self.done,
                "total": self.total, "skipped": self.skipped,
                "items_per_second": round(rate, 3), "elapsed_seconds": round(elapsed, 1),
                "seconds_left": round(left, 1) if left is not None else None,
                "failures": dict(sorted(self.failures.items())), "errors": len(self.errors),
                "throttle_pauses": self.pauses}

    def _stage_done(self) -> int:
        # Finished shards count whole; running ones by their own progress files.
        folder = stage_dir(self.stage)
        done = sum(int(read_json(p).get("items", 0)) for p in folder.glob("*.done"))
        for p in folder.glob("progress/*.json"):
            try:
                doc = read_json(p)
            except (OSError, ValueError):
                continue
            if not marker_path(self.stage, doc.get("shard", "")).exists():
                done += int(doc.get("done", 0))
        return done

    def report(self) -> None:
        self.last = time.monotonic()
        snap = self.snapshot()
        write_json(progress_path(self.stage, self.shard), snap)
        left = snap["seconds_left"]
        failures = ", ".join(f"{k} {v}" for k, v in snap["failures"].items()) or "none"
        line = (f"[{self.stage} shard {self.shard}] {snap['done']}/{snap['total']} items, "
                f"{snap['items_per_second']:.2f}/s, "
                f"{'left ' + _clock(left) if left is not None else 'left ?'}; "
                f"failed: {failures}; throttle pauses {snap['throttle_pauses']}")
        if self.stage_total:
            line += f"; stage {self._stage_done()}/{self.stage_total}"
        self.out(line)


def stage_progress(stage: str) -> dict[str, Any]:
    """The whole stage's progress from its plan, markers and the running shards' files."""
    plan = read_plan(stage)
    if plan is None:
        return {"stage": stage, "planned": False}
    done_shards = 0
    done = 0
    failures: dict[str, int] = {}
    pauses = 0
    for shard, items in plan["shards"].items():
        if marker_path(stage, shard).exists():
            done_shards += 1
            done += int(items)
            continue
        try:
            snap = read_json(progress_path(stage, shard))
        except (OSError, ValueError):
            continue
        done += int(snap.get("done", 0))
        pauses += int(snap.get("throttle_pauses", 0))
        for k, v in snap.get("failures", {}).items():
            failures[k] = failures.get(k, 0) + int(v)
    return {"stage": stage, "planned": True, "items": plan["items"], "items_done": done,
            "shards": len(plan["shards"]), "shards_done": done_shards,
            "running_failures": dict(sorted(failures.items())), "throttle_pauses": pauses}


def _run(stage: Stage, params: dict[str, Any], job: Job) -> tuple[str, str, int, str]:
    """One item in a shard: (item, category, throttle pauses, error text or "")."""
    try:
        print(stage.run_job(params, job), file=sys.stderr, flush=True)
    except Exception as exc:  # one bad item is a logged miss, never a failed shard
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        print(f"{job.item}: error: {text}", file=sys.stderr, flush=True)
        return job.item, "error", 0, text
    category, pauses = stage.outcome(job)
    return job.item, category, pauses, ""


def run_shard(stage: Stage, params: dict[str, Any], shard: str, *, workers: int = 1,
              out: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run every missing item of one shard of ``stage``, ``workers`` at a time, then write
    the shard's marker. Returns the final progress snapshot."""
    plan = read_plan(stage.name)
    if plan is None:
        raise FileNotFoundError(f"{plan_path(stage.name)}: no plan (run `gifworthy prepare "
                                f"{stage.name}` first; `dvc repro` does)")
    if str(shard) not in plan["shards"]:
        raise ValueError(f"{stage.name}: no shard {shard!r} in {plan_path(stage.name)} "
                         f"(it has {len(plan['shards'])})")
    size = int(plan["slots_per_shard"])
    # Only this shard's jobs are built: a cluster job of a 650,000-item stage reads the item
    # ids, keeps its few hundred, and builds those.
    ids = {i for i in stage.item_ids(params) if shard_of(i, size) == int(shard)}
    jobs = stage.jobs(params, only=ids) if ids else {}
    mine = [jobs[k] for k in sorted(jobs)]
    todo = [j for j in mine if not key_path(j.output).exists()]
    execution = _execution(params)
    progress = Progress(stage.name, str(shard), len(mine), len(mine) - len(todo),
                        every=float(execution.get("progress_seconds", 30)),
                        stage_total=int(plan["items"]), out=out)
    progress.report()
    workers = max(1, min(workers, len(todo) or 1))
    # Worker k of shard s is worker s*workers+k of the stage (the download proxies' round
    # robin starts there, so concurrent shards spread over the proxies).
    os.environ["GIFWORTHY_WORKER_BASE"] = str(int(shard) * workers)
    if stage.pool == "serial" or workers == 1:
        _collect(progress, (_run(stage, params, j) for j in todo))
    else:
        if stage.pool == "processes":
            pool: cf.Executor = cf.ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("fork"))
        else:
            pool = cf.ThreadPoolExecutor(workers)
        with pool:
            futures = [pool.submit(_run, stage, params, j) for j in todo]
            _collect(progress, (f.result() for f in cf.as_completed(futures)))
    progress.report()
    write_json(marker_path(stage.name, shard),
               {"items": len(mine), "ran": len(todo), "errors": progress.errors})
    return progress.snapshot()


def _collect(progress: Progress, results: Iterable[tuple[str, str, int, str]]) -> None:
    for item, category, pauses, error in results:
        if error:
            progress.errors.append({"item": item, "error": error[:500]})
        progress.add(category, pauses)
