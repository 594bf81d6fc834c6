"""The fan-out stages on a real single-node Slurm (Debian slurm-wlm + munge on localhost),
selected by SMK_PROFILE=profiles/slurm alone, against the same stages run locally (with
another shard size): one Slurm job per shard; a shard job killed on the cluster is
resubmitted and the results are still identical; a shard job killed with no retries left
fails the stage, and the rerun submits only that shard, which redoes only its missing
items. Slow."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pytest

from support import init_project, run, small_params

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

os.environ.setdefault("DVC_NO_ANALYTICS", "1")

SLURM_CONF = Path("/etc/slurm/slurm.conf")  # the job-step plugin drops SLURM_CONF (GUIDE 3)
MARKER = "# written by gifworthy's tests/test_slurm.py"
FAN_OUT = "features"  # dvc repro features: sample ... download, trim, gifify, align, shots,
# segments, features: every Snakemake stage
FAN_OUT_DATA = ("sample", "manifest", "download", "clips", "gifs", "align", "shots",
                "segments", "features")  # what `dvc repro features` writes
SHARDED = ("download", "trim", "gifify", "align", "shots", "segments", "features")
SHARD_SIZE = 3  # the local run has one shard per stage (1000); here most stages have several


def _slurm_conf(state: Path) -> str:
    return f"""{MARKER}: a single-node Slurm on localhost
ClusterName=gifworthy-test
SlurmctldHost=localhost
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
TaskPlugin=task/none
SchedulerType=sched/backfill
ReturnToService=2
SlurmUser=root
SlurmctldPidFile={state}/slurmctld.pid
SlurmdPidFile={state}/slurmd.pid
SlurmdSpoolDir={state}/slurmd
StateSaveLocation={state}/slurmctld
SlurmctldLogFile={state}/slurmctld.log
SlurmdLogFile={state}/slurmd.log
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
MinJobAge=600
NodeName=localhost CPUs={os.cpu_count()} RealMemory=8000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


def _pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


@contextmanager
def local_slurm(state: Path) -> Iterator[None]:
    """Start munged (if not already running), slurmctld and slurmd; stop what we started and
    remove the config we wrote."""
    missing = [b for b in ("slurmctld", "slurmd", "sbatch", "squeue", "munged")
               if not shutil.which(b) and not Path("/usr/sbin", b).exists()]
    if missing:
        pytest.skip(f"Slurm not installed ({', '.join(missing)}; `make test-slow` installs it)")
    if os.geteuid() != 0:
        pytest.skip("starting slurmd needs root")
    if SLURM_CONF.exists() and not SLURM_CONF.read_text().startswith(MARKER):
        pytest.skip(f"{SLURM_CONF} belongs to a real cluster; not touching it")
    state.mkdir(parents=True, exist_ok=True)
    SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
    SLURM_CONF.write_text(_slurm_conf(state))
    started_munge = False
    if subprocess.run("munge -n | unmunge", shell=True, capture_output=True).returncode != 0:
        for d in ("/run/munge", "/var/log/munge", "/var/lib/munge"):
            Path(d).mkdir(parents=True, exist_ok=True)
            shutil.chown(d, "munge", "munge")
        subprocess.run(["runuser", "-u", "munge", "--", "munged"], check=True)
        started_munge = True
    try:
        subprocess.run(["slurmctld", "-c", "-i"], check=True)
        subprocess.run(["slurmd", "-N", "localhost"], check=True)
        deadline = time.time() + 30
        while subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True,
                             text=True).stdout.strip() != "idle":
            assert time.time() < deadline, (state / "slurmctld.log").read_text()[-2000:]
            time.sleep(0.5)
        yield
    finally:
        subprocess.run(["scancel", "--user", "root"], capture_output=True)
        for name in ("slurmd", "slurmctld"):
            pid = _pid(state / f"{name}.pid")
            if pid:
                subprocess.run(["kill", str(pid)], capture_output=True)
        if started_munge:
            subprocess.run(["pkill", "-x", "munged"], capture_output=True)
        SLURM_CONF.unlink(missing_ok=True)
        time.sleep(1)


class JobWatcher(threading.Thread):
    """Polls squeue: records every job's rule (the executor puts it in the job comment) and
    cancels the first running job of ``kill_rule`` (if given), as a preempted or crashed node
    would."""

    def __init__(self, kill_rule: str | None = None,
                 kill_when: Callable[[], bool] = lambda: True) -> None:
        super().__init__(daemon=True)
        self.kill_rule, self.seen, self.killed = kill_rule, {}, None
        self.kill_when = kill_when
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            out = subprocess.run(["squeue", "-h", "-o", "%i|%T|%k"], capture_output=True,
                                 text=True).stdout
            for line in out.splitlines():
                job, state, comment = line.split("|", 2)
                self.seen[job] = comment
                if (self.kill_rule and self.killed is None and state == "RUNNING"
                        and f"rule_{self.kill_rule}_" in comment and self.kill_when()):
                    time.sleep(1)  # let it start writing
                    subprocess.run(["scancel", "--signal=KILL", "--full", job],
                                   capture_output=True)
                    self.killed = comment
            time.sleep(0.3)


def _results(repo: Path) -> dict:
    """What the fan-out stages produced, in comparable form (floats within 1e-5)."""
    out: dict = {}
    for path in sorted(p for root in FAN_OUT_DATA for p in (repo / "data" / root).rglob("*")):
        rel = str(path.relative_to(repo))
        if (not path.is_file() or path.name.startswith(".") or "/status/" in rel
                or path.suffix == ".key" or path.name.endswith(".seconds.json")):
            continue  # status records and step timings carry wall-clock times
        if "/packs/" in rel:
            continue  # packs hold those records too; their loose copies are compared here
        if rel.startswith(("data/download/", "data/sample/")) and path.suffix in (".csv", ".json"):
            continue  # download stats carry wall-clock times
        if path.suffix == ".npz":
            with np.load(path) as z:
                out[rel] = {k: z[k] for k in z.files}
        else:
            out[rel] = path.read_bytes()
    return out


def _assert_same(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for key in a:
        if isinstance(a[key], dict):
            for name in a[key]:
                x, y = a[key][name], b[key][name]
                if x.dtype.kind == "f":
                    assert np.allclose(x, y, rtol=1e-4, atol=1e-5), (key, name)
                else:
                    assert np.array_equal(x, y), (key, name)
        else:
            assert a[key] == b[key], key


def _rules(watcher: JobWatcher) -> list[str]:
    return [c.split("_wildcards")[0].removeprefix("rule_") for c in watcher.seen.values()]


def _slurm_repro(repo: Path, profile: str, watcher: JobWatcher,
                 check: bool = True) -> subprocess.CompletedProcess:
    watcher.start()
    try:
        return run(["dvc", "repro", FAN_OUT], repo, timeout=1800, check=check,
                   env={**os.environ, "SMK_PROFILE": profile})
    finally:
        watcher.stop.set()
        watcher.join()


def test_fan_out_stages_on_slurm_match_a_local_run(built_pipeline, tmp_path):
    expected = _results(built_pipeline)  # the same params, run locally (once per test run)

    cluster = init_project(tmp_path / "cluster",
                           small_params(**{"execution.shard_size": SHARD_SIZE}))
    with local_slurm(tmp_path / "slurm"):
        watcher = JobWatcher(kill_rule="features")
        t0 = time.time()
        proc = _slurm_repro(cluster, "profiles/slurm", watcher)
        seconds = time.time() - t0
        rules = _rules(watcher)
        print(f"slurm run: {seconds:.0f} s, {len(rules)} jobs: "
              + ", ".join(f"{r} {rules.count(r)}" for r in sorted(set(rules))))
        # The per-file work went through Slurm, one job per shard (the killed features job
        # once more); the reports stayed local (localrules).
        shards = _shard_counts(cluster)
        print("shards: " + ", ".join(f"{k} {v}" for k, v in shards.items()))
        assert shards["download"] >= 3 and shards["features"] >= 2
        assert {r: rules.count(r) for r in SHARDED} == {
            **shards, "features": shards["features"] + 1}
        assert not [r for r in rules if r.endswith("_report")]
        # A job killed on the cluster was resubmitted (profile retries) and the stage completed.
        assert watcher.killed is not None, "no features job was seen running"
        assert json.loads((cluster / "metrics/features.json").read_text())["errors"] == 0
        # Every finished file loads and equals the local run's; a write the kill interrupted
        # can only have left a .tmp- file, which no glob matches and .dvcignore keeps out of
        # DVC.
        _assert_same(expected, _results(cluster))
        # Nothing is left to do, locally or on the cluster.
        again = run(["dvc", "repro", FAN_OUT], cluster,
                    env={**os.environ, "SMK_PROFILE": "profiles/slurm"})
        assert "Data and pipelines are up to date" in again.stdout
        assert proc.returncode == 0

        _killed_job_without_retries_costs_one_job(cluster, expected)


def _shard_counts(repo: Path) -> dict[str, int]:
    return {stage: len(json.loads((repo / f".gifworthy/shards/{stage}/plan.json").read_text())
                       ["shards"]) for stage in SHARDED}


def _killed_job_without_retries_costs_one_job(cluster: Path, expected: dict) -> None:
    """A features code change redoes every video, now in one shard of all seven (the shard
    size changes no output, so nothing else reruns); the shard job is killed after its first
    video finished, with no retries left, so the stage fails. The rerun keeps every finished
    video (persisted outputs, valid keys), submits exactly that shard, and it redoes only
    its missing videos."""
    params = cluster / "params.yaml"
    params.write_text(params.read_text().replace(f"shard_size: {SHARD_SIZE}\n",
                                                 "shard_size: 1000\n"))
    assert "shard_size: 1000" in params.read_text()
    features_code = cluster / "src/gifworthy/features/stage.py"
    features_code.write_text(features_code.read_text() + "\n# a change that moves no number\n")
    no_retries = cluster / "profiles/slurm-no-retries"
    shutil.copytree(cluster / "profiles/slurm", no_retries)
    config = no_retries / "config.yaml"
    config.write_text(config.read_text().replace("retries: 2", "retries: 0"))
    assert "retries: 0" in config.read_text()
    folder = cluster / "data/features"

    watcher = JobWatcher(kill_rule="features",
                         kill_when=lambda: any(folder.rglob("*.npz.key")))
    failed = _slurm_repro(cluster, str(no_retries.relative_to(cluster)), watcher, check=False)
    assert failed.returncode != 0, "the stage should fail with a job killed and no retries"
    assert watcher.killed is not None
    killed_shard = watcher.killed.split("_wildcards_", 1)[1]  # rule_<rule>_wildcards_<shard>
    plan = json.loads((cluster / ".gifworthy/shards/features/plan.json").read_text())
    assert list(plan["shards"]) == [killed_shard]
    done = {p: p.stat().st_mtime_ns for p in folder.rglob("*.npz")
            if Path(f"{p}.key").exists()}
    videos = sorted({p.stem for p in (cluster / "data/segments").glob("*/*/*.csv")})
    assert done and len(done) < len(videos)

    watcher = JobWatcher()
    rerun = _slurm_repro(cluster, "profiles/slurm", watcher)
    print(f"after a killed job with no retries: {sorted(watcher.seen.values())} resubmitted")
    assert _rules(watcher) == ["features"]
    assert next(iter(watcher.seen.values())).endswith(f"_wildcards_{killed_shard}")
    assert "Running stage 'features'" in rerun.stdout
    for stage in ("download", "align", "shots", "segments"):
        assert f"Running stage '{stage}'" not in rerun.stdout
    assert {p: p.stat().st_mtime_ns for p in done} == done, "a finished video was redone"
    assert len(list(folder.rglob("*.npz"))) == len(videos)
    _assert_same(expected, _results(cluster))
