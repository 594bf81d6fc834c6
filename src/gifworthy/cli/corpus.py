"""Commands: ``check-params``, ``manifest``, ``with-media-server``, ``serve``."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from gifworthy.core.config import ParamsError, load_params
from gifworthy.corpus.base import MEDIA_SERVER_ENV
from gifworthy.corpus.build import manifest_stage
from gifworthy.corpus.readers import get_reader
from gifworthy.pipeline import paths


def cmd_check_params(args: argparse.Namespace) -> int:
    load_params(args.params)
    print(f"{args.params}: ok")
    return 0


def cmd_manifest(args: argparse.Namespace) -> int:
    counts, rejections = manifest_stage(load_params(args.params)["corpus"], args.out,
                                        args.metrics)
    for rej in rejections[:20]:
        print(f"rejected {rej.origin}: {rej.reason}", file=sys.stderr)
    if len(rejections) > 20:
        print(f"... and {len(rejections) - 20} more in {args.out}/rejected.csv",
              file=sys.stderr)
    print(json.dumps(counts))
    return 0


def cmd_with_media_server(args: argparse.Namespace) -> int:
    """Run a command with the corpus's media served on 127.0.0.1 when its format serves it
    (the sample corpus); otherwise just run it."""
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise ParamsError("with-media-server: no command given (usage: ... -- CMD ARGS)")
    corpus = load_params(args.params)["corpus"]
    with get_reader(corpus["format"]).media_server(corpus, Path(".")) as base_url:
        env = dict(os.environ)
        if base_url:
            env[MEDIA_SERVER_ENV] = base_url
        proc = subprocess.Popen(command, env=env)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.send_signal(signal.SIGINT)
            return proc.wait()


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the corpus's media in the foreground (to try downloads by hand)."""
    corpus = load_params(args.params)["corpus"]
    with get_reader(corpus["format"]).media_server(corpus, Path(".")) as base_url:
        if not base_url:
            raise ParamsError(f"corpus.format {corpus['format']!r} has no local media to serve")
        print(f"serving the corpus at {base_url}/watch?v=<id> (export "
              f"{MEDIA_SERVER_ENV}={base_url}); Ctrl-C stops", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


def register(sub: Any) -> None:
    p = sub.add_parser("check-params", help="validate params.yaml against the schema")
    p.set_defaults(func=cmd_check_params)
    p = sub.add_parser("manifest", help="normalise the corpus into data/manifest")
    p.add_argument("--out", default=str(paths.MANIFEST_DIR))
    p.add_argument("--metrics", default=str(paths.metrics_file("manifest")))
    p.set_defaults(func=cmd_manifest)
    p = sub.add_parser("with-media-server",
                       help="run a command with the corpus's media served on 127.0.0.1")
    p.add_argument("command", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_with_media_server)
    p = sub.add_parser("serve", help="serve the corpus's media on 127.0.0.1 until Ctrl-C")
    p.set_defaults(func=cmd_serve)
