"""Command: ``explore`` (build the explorer page, and ``--serve`` it on 127.0.0.1)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from gifworthy.core.config import load_params
from gifworthy.explorer.build import build_explorer, serve
from gifworthy.pipeline import paths
from gifworthy.pipeline.packs import unpack


def cmd_explore(args: argparse.Namespace) -> int:
    params = load_params(args.params)
    unpack(["gifify"], params)  # the page links the GIF files themselves
    if not args.no_build:
        print(json.dumps(build_explorer(
            paths.MANIFEST_DIR, paths.gifs_dir(params), Path(args.out),
            params["gifify"]["formats"], params["explorer"]["page_size"],
            ranked=paths.EVAL_DIR / "ranked.json")))
    if args.serve:
        serve(args.out, args.port)
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("explore", help="build the explorer page (and --serve it on 127.0.0.1)")
    p.add_argument("--out", default=str(paths.EXPLORER_DIR))
    p.add_argument("--serve", action="store_true")
    p.add_argument("--no-build", action="store_true", help="serve what is there")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_explore)
