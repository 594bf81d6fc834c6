"""Command: ``mirror-sync``, the download stage's clips from the Kinetics mirror (after its
shards; a no-op for ``download.kinetics_source: youtube``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from gifworthy.core.config import load_params
from gifworthy.download.stage import mirror_stage


def cmd_mirror_sync(args: argparse.Namespace) -> int:
    print("mirror-sync: " + json.dumps(mirror_stage(load_params(args.params))), file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("mirror-sync", help="download: the clips left to the Kinetics mirror, "
                       "after the per-item shards")
    p.set_defaults(func=cmd_mirror_sync)
