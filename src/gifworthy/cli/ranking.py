"""Commands: ``train``, ``evaluate``, ``ablation-run``, ``ablation-report``, ``rank``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gifworthy.core.config import load_params
from gifworthy.pipeline import paths
from gifworthy.ranking.models.ranknet import LOSSES


def cmd_train(args: argparse.Namespace) -> int:
    from gifworthy.ranking.train import dumps, train_stage

    info = train_stage(load_params(args.params))
    if info.get("skipped"):
        print(f"gifworthy train: {info['skipped']}", file=sys.stderr)
    print(dumps(info))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from gifworthy.ranking.evaluate import evaluate_stage

    print(json.dumps(evaluate_stage(load_params(args.params))))
    return 0


def cmd_ablation_run(args: argparse.Namespace) -> int:
    from gifworthy.ranking.ablation import ablation_run_stage

    out = Path(args.out) if args.out else None
    print(json.dumps(ablation_run_stage(load_params(args.params), args.loss, args.noise, out)))
    return 0


def cmd_ablation_report(args: argparse.Namespace) -> int:
    from gifworthy.ranking.ablation import ablation_report_stage

    print(ablation_report_stage(load_params(args.params)))
    return 0


def cmd_rank(args: argparse.Namespace) -> int:
    from gifworthy.ranking.inference import rank_video_to

    result = rank_video_to(Path(args.video), load_params(args.params), Path(args.models),
                           Path(args.out), args.top)
    print(json.dumps({k: result[k] for k in ("top", "seconds")}, indent=2))
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("train", help="train every ranker (one per seed) -> models/ranking/")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("evaluate", help="mAP / nMSD of every method -> metrics/eval.json")
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("ablation-run", help="one (loss, label noise) RankNet run")
    p.add_argument("--loss", required=True, choices=list(LOSSES))
    p.add_argument("--noise", required=True, type=float)
    p.add_argument("--out", help="result file (default data/ablation/<loss>_<noise>.json)")
    p.set_defaults(func=cmd_ablation_run)
    p = sub.add_parser("ablation-report", help="the loss x noise table -> metrics/ablation.json")
    p.set_defaults(func=cmd_ablation_report)
    p = sub.add_parser("rank", help="the K most GIF-worthy segments of any video, as GIFs")
    p.add_argument("video")
    p.add_argument("--top", type=int, default=5)
    p.add_argument("--out", required=True)
    p.add_argument("--models", default=str(paths.MODELS_DIR))
    p.set_defaults(func=cmd_rank)
