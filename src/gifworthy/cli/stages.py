"""Commands of every persisted fan-out stage (one stage shape, :mod:`gifworthy.pipeline.stage`):
``prepare STAGE`` (before Snakemake: drop stale and unwanted outputs, plan the shards),
``run-shard STAGE SHARD`` (one shard's missing items, called by Snakemake), ``run-one STAGE
ITEM`` (one item by hand), ``progress [STAGE]``, ``report STAGE`` (tables and metrics), ``pack
STAGE`` (the per-item files into the per-bucket tars DVC versions) and ``unpack [STAGE...]``
(the loose files back from the packs, after ``dvc pull`` or ``dvc checkout``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from gifworthy.core.config import load_params
from gifworthy.pipeline.packs import pack, unpack
from gifworthy.pipeline.shards import run_shard, stage_progress
from gifworthy.pipeline.stage import STAGES, get_stage, prepare


def cmd_prepare(args: argparse.Namespace) -> int:
    counts = prepare(get_stage(args.stage), load_params(args.params))
    print(f"{args.stage}-prepare: " + json.dumps(counts))
    return 0


def cmd_run_one(args: argparse.Namespace) -> int:
    # A bad item is a record, never a failed job (GUIDE 3, trap 2): the summary goes to the log.
    print(get_stage(args.stage).run_one(load_params(args.params), args.item), file=sys.stderr)
    return 0


def cmd_run_shard(args: argparse.Namespace) -> int:
    snap = run_shard(get_stage(args.stage), load_params(args.params), args.shard,
                     workers=args.workers)
    print(json.dumps(snap), file=sys.stderr)
    return 0


def _stages(args: argparse.Namespace) -> list[str]:
    """The stages named on the command line (all when none), each checked."""
    unknown = sorted(set(args.stage) - set(STAGES))
    if unknown:
        raise SystemExit(f"{args.command}: no stage {', '.join(unknown)} "
                         f"(stages: {', '.join(STAGES)})")
    return args.stage or list(STAGES)


def cmd_progress(args: argparse.Namespace) -> int:
    for stage in _stages(args):
        print(json.dumps(stage_progress(stage)))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    print(json.dumps(get_stage(args.stage).report(load_params(args.params))))
    return 0


def cmd_pack(args: argparse.Namespace) -> int:
    print(f"{args.stage}-pack: " + json.dumps(pack(get_stage(args.stage),
                                                   load_params(args.params))))
    return 0


def cmd_unpack(args: argparse.Namespace) -> int:
    print(json.dumps(unpack(_stages(args), load_params(args.params))))
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("prepare", help="keep only valid outputs of a stage (before Snakemake)")
    p.add_argument("stage", choices=list(STAGES))
    p.set_defaults(func=cmd_prepare)
    p = sub.add_parser("run-one", help="one item's job of a stage (called by Snakemake)")
    p.add_argument("stage", choices=list(STAGES))
    p.add_argument("item")
    p.set_defaults(func=cmd_run_one)
    p = sub.add_parser("run-shard", help="one shard's missing items (called by Snakemake)")
    p.add_argument("stage", choices=list(STAGES))
    p.add_argument("shard")
    p.add_argument("--workers", type=int, default=1,
                   help="items at a time (threads or processes, by stage; the networks' "
                        "stages run one item at a time with every thread)")
    p.set_defaults(func=cmd_run_shard)
    p = sub.add_parser("progress", help="how far each stage's shards are")
    p.add_argument("stage", nargs="*", help="stages (default: all)")
    p.set_defaults(func=cmd_progress)
    p = sub.add_parser("report", help="a stage's tables and metrics/<stage>.json")
    p.add_argument("stage", choices=list(STAGES))
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("pack", help="a stage's per-item files into the tars DVC versions")
    p.add_argument("stage", choices=list(STAGES))
    p.set_defaults(func=cmd_pack)
    p = sub.add_parser("unpack", help="per-item files from the packs (after dvc pull/checkout)")
    p.add_argument("stage", nargs="*", help="stages (default: all)")
    p.set_defaults(func=cmd_unpack)
