"""Commands of every persisted fan-out stage (one stage shape, :mod:`gifworthy.pipeline.stage`):
``prepare STAGE`` (before Snakemake: drop stale and unwanted outputs), ``run-one STAGE ITEM``
(one job, called by Snakemake) and ``report STAGE`` (tables and metrics)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from gifworthy.core.config import load_params
from gifworthy.pipeline.stage import STAGES, get_stage, prepare


def cmd_prepare(args: argparse.Namespace) -> int:
    counts = prepare(get_stage(args.stage), load_params(args.params))
    print(f"{args.stage}-prepare: " + json.dumps(counts))
    return 0


def cmd_run_one(args: argparse.Namespace) -> int:
    # A bad item is a record, never a failed job (GUIDE 3, trap 2): the summary goes to the log.
    print(get_stage(args.stage).run_one(load_params(args.params), args.item), file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    print(json.dumps(get_stage(args.stage).report(load_params(args.params))))
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("prepare", help="keep only valid outputs of a stage (before Snakemake)")
    p.add_argument("stage", choices=list(STAGES))
    p.set_defaults(func=cmd_prepare)
    p = sub.add_parser("run-one", help="one item's job of a stage (called by Snakemake)")
    p.add_argument("stage", choices=list(STAGES))
    p.add_argument("item")
    p.set_defaults(func=cmd_run_one)
    p = sub.add_parser("report", help="a stage's tables and metrics/<stage>.json")
    p.add_argument("stage", choices=list(STAGES))
    p.set_defaults(func=cmd_report)
