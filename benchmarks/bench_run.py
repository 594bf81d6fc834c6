"""A cold `dvc repro` (what `make run` does after set-up) in a fresh repository, timed stage by
stage: each stage's seconds run from the line where DVC starts it to the next stage's start.

The repository is a fresh `git init` + `dvc init` holding this project's pipeline files and
the chosen params (the tests' ``support.init_project``). The machine's model cache (exports
of the packaged networks) is used as it is: run once before to time a machine that has
already exported them.

Usage: python benchmarks/bench_run.py [--params params.yaml] [-S key=value ...]
Writes the figures as JSON to stdout (and to --json if given).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the tests' fresh-repository helper
STAGE_LINE = re.compile(r"^Running stage '([^']+)'")


def set_key(params: dict, assignment: str) -> None:
    key, _, value = assignment.partition("=")
    node = params
    *parents, last = key.split(".")
    for part in parents:
        node = node[part]
    node[last] = yaml.safe_load(value)


def timed_repro(repo: Path) -> tuple[float, dict[str, float]]:
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    proc = subprocess.Popen(["dvc", "repro"], cwd=repo, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env, bufsize=1)
    t0 = time.perf_counter()
    starts: list[tuple[str, float]] = []
    tail: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        tail = (tail + [line])[-40:]
        m = STAGE_LINE.match(line)
        if m:
            starts.append((m.group(1), time.perf_counter() - t0))
    if proc.wait() != 0:
        sys.exit("dvc repro failed:\n" + "".join(tail))
    total = time.perf_counter() - t0
    seconds: dict[str, float] = {}
    for (name, start), (_, end) in zip(starts, starts[1:] + [("", total)]):
        group = name.split("@")[0]  # matrix cells (ablation@l1-0.0) add up under their stage
        seconds[group] = round(seconds.get(group, 0.0) + end - start, 1)
    return total, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--params", default=str(ROOT / "params.yaml"))
    parser.add_argument("-S", dest="set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    params = yaml.safe_load(Path(args.params).read_text())
    for assignment in args.set:
        set_key(params, assignment)
    with tempfile.TemporaryDirectory(prefix="gifworthy-bench-run-") as tmp:
        from support import init_project

        repo = init_project(Path(tmp) / "repo", yaml.safe_dump(params, sort_keys=False))
        total, seconds = timed_repro(repo)
        manifest = json.loads((repo / "metrics/manifest.json").read_text())
    report = {"total_seconds": round(total, 1), "stage_seconds": seconds,
              "videos": manifest["videos"], "downloads": manifest["downloads"],
              "cores": os.cpu_count(), "set": args.set}
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    main()
