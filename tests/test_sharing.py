"""Sharing results through DVC remotes (a directory, and SSH to a real sshd on 127.0.0.1),
and experiments in temporary workspaces (`exp run --temp`, `--queue`) against the same run in
the workspace. Slow: one whole small pipeline run, then three experiment runs."""

from __future__ import annotations

import getpass
import json
import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from support import copy_project, run
from test_packs import _loose_files

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

os.environ.setdefault("DVC_NO_ANALYTICS", "1")


@pytest.fixture(scope="module")
def pushed(built_pipeline, tmp_path_factory):
    """Clone A: the small sample pipeline (built once per test run), with a default remote,
    committed and pushed."""
    base = tmp_path_factory.mktemp("sharing")
    repo = copy_project(built_pipeline, base / "a")
    run(["dvc", "remote", "add", "-d", "storage", str(base / "remote")], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "first run, with a default remote"], repo)
    run(["dvc", "push"], repo)
    return repo, base


def _assert_nothing_to_do(clone: Path) -> None:
    status = run(["dvc", "status"], clone).stdout
    assert "Data and pipelines are up to date" in status, status
    repro = run(["dvc", "repro"], clone)
    assert "Data and pipelines are up to date" in repro.stdout, repro.stdout
    assert "Running stage" not in repro.stdout
    # No stage command ran, so neither Snakemake nor a download did.
    assert not (clone / ".snakemake").exists()


def _same_data(a: Path, b: Path) -> None:
    for path in ("data/align/alignments.csv", "metrics/eval.json", "data/explorer/index.js"):
        assert (a / path).read_bytes() == (b / path).read_bytes(), path


def test_fresh_clone_pulls_everything_and_reruns_nothing(pushed, tmp_path):
    repo, _ = pushed
    clone = tmp_path / "b"
    run(["git", "clone", "-q", str(repo), str(clone)], tmp_path)
    assert not (clone / "data/download").exists()
    run(["dvc", "pull"], clone)
    _assert_nothing_to_do(clone)
    _same_data(repo, clone)
    # DVC carried the packs; `gifworthy unpack` gives back every per-item file.
    assert not _loose_files(clone)
    run(["gifworthy", "unpack"], clone)
    assert _loose_files(clone) == _loose_files(repo)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def sshd(base: Path) -> Iterator[dict]:
    """A real OpenSSH server on 127.0.0.1 for the current user, key login only; stopped
    (and its files removed) on exit."""
    if not shutil.which("sshd") and not Path("/usr/sbin/sshd").exists():
        pytest.skip("OpenSSH server not installed (`make test-slow` installs it)")
    base.mkdir(parents=True)
    for name in ("host_key", "client_key"):
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(base / name)], base)
    shutil.copy(base / "client_key.pub", base / "authorized_keys")
    port = _free_port()
    config = base / "sshd_config"
    config.write_text(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {base}/host_key
PidFile {base}/sshd.pid
AuthorizedKeysFile {base}/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
Subsystem sftp internal-sftp
""")
    Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation directory
    proc = subprocess.Popen([shutil.which("sshd") or "/usr/sbin/sshd", "-D", "-e", "-f",
                             str(config)], stderr=open(base / "sshd.log", "w"))
    try:
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert proc.poll() is None, (base / "sshd.log").read_text()
                assert time.time() < deadline, "sshd did not start"
                time.sleep(0.1)
        home = base / "home"
        (home / ".ssh").mkdir(parents=True)
        host_pub = (base / "host_key.pub").read_text().split()[:2]
        (home / ".ssh/known_hosts").write_text(f"[127.0.0.1]:{port} {' '.join(host_pub)}\n")
        env = {**os.environ, "HOME": str(home)}
        yield {"port": port, "key": base / "client_key", "env": env, "user": getpass.getuser()}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_ssh_remote_round_trip(pushed, tmp_path):
    repo, _ = pushed
    with sshd(tmp_path / "ssh") as ssh:
        store = tmp_path / "ssh-store"
        url = f"ssh://{ssh['user']}@127.0.0.1:{ssh['port']}{store}"
        run(["dvc", "remote", "add", "team-ssh", url], repo)
        # The key is personal: it goes to .dvc/config.local, which git ignores.
        run(["dvc", "remote", "modify", "--local", "team-ssh", "keyfile", str(ssh["key"])], repo)
        run(["dvc", "push", "-r", "team-ssh"], repo, env=ssh["env"])
        assert any(store.rglob("*")), "nothing arrived over SSH"
        run(["git", "add", ".dvc/config"], repo)
        run(["git", "commit", "-qm", "ssh remote"], repo)

        clone = tmp_path / "c"
        run(["git", "clone", "-q", str(repo), str(clone)], tmp_path)
        run(["dvc", "remote", "modify", "--local", "team-ssh", "keyfile", str(ssh["key"])], clone)
        run(["dvc", "pull", "-r", "team-ssh"], clone, env=ssh["env"])
        _assert_nothing_to_do(clone)
        _same_data(repo, clone)


# ------------------------------------------------------------------------- experiments
EXPERIMENT = "segments.max_sec=3"  # a Snakemake fan-out stage and everything after it
COMPARED = ("metrics/segments.json", "metrics/eval.json", "metrics/ablation.json")


def _exp_metrics(repo: Path, name: str) -> dict:
    show = json.loads(run(["dvc", "exp", "show", "--json", "--all-branches"], repo).stdout)
    for baseline in show:
        for exp in baseline.get("experiments") or []:
            for rev in exp.get("revs") or []:
                if rev.get("name") == name:
                    data = rev["data"]
                    return {path: data["metrics"][path]["data"] for path in COMPARED}
    raise AssertionError(f"experiment {name} not found")


def _comparable(metrics: dict) -> dict:
    """Everything but lists, which `exp show` leaves out (no metric here is a timing: those
    are in metrics/timings/)."""
    eval_ = {k: v for k, v in metrics["metrics/eval.json"].items() if not isinstance(v, list)}
    return {"segments": metrics["metrics/segments.json"], "eval": eval_,
            "ablation": metrics["metrics/ablation.json"]["table"]}


def test_temp_and_queued_experiments_match_the_workspace_run(pushed):
    repo, _ = pushed
    run(["dvc", "exp", "run", "--temp", "-S", EXPERIMENT, "-n", "in-temp"], repo, timeout=1800)
    run(["dvc", "exp", "run", "--queue", "-S", EXPERIMENT, "-n", "queued"], repo)
    run(["dvc", "queue", "start", "-j", "1"], repo)
    deadline = time.time() + 1800
    while True:
        status = run(["dvc", "queue", "status"], repo).stdout
        if "Queued" not in status and "Running" not in status:
            break
        assert time.time() < deadline, status
        time.sleep(5)
    assert "Success" in status, status + run(["dvc", "queue", "logs", "queued"], repo,
                                              check=False).stdout
    run(["dvc", "exp", "run", "-S", EXPERIMENT, "-n", "in-workspace"], repo, timeout=1800)
    workspace = {path: json.loads((repo / path).read_text()) for path in COMPARED}
    seg_base = json.loads(run(["git", "show", "HEAD:metrics/segments.json"], repo).stdout)
    assert workspace["metrics/segments.json"] != seg_base  # the param really changed the run
    expected = _comparable(workspace)
    assert _comparable(_exp_metrics(repo, "in-temp")) == expected
    assert _comparable(_exp_metrics(repo, "queued")) == expected
