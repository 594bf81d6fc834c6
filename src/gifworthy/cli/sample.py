"""Command: ``sample`` (build the embedded sample corpus)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from gifworthy.core.config import load_params
from gifworthy.pipeline import paths
from gifworthy.sample.corpus import build_sample


def cmd_sample(args: argparse.Namespace) -> int:
    print(json.dumps(build_sample(load_params(args.params), args.out, workers=args.workers)))
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("sample", help="build the embedded sample corpus")
    p.add_argument("--out", default=str(paths.SAMPLE_DIR))
    p.add_argument("--workers", type=int, default=None)
    p.set_defaults(func=cmd_sample)
