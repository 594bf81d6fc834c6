"""Commands for one file by hand: ``trim``, ``gifify``, ``align``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from gifworthy.media.encode import DITHERS, TRIM_MODES, gifify, trim


def cmd_trim(args: argparse.Namespace) -> int:
    """``gifworthy trim IN OUT --start S --end E``."""
    print(json.dumps(trim(args.video, args.out, start=args.start,
                          duration=args.end - args.start, mode=args.mode, crf=args.crf,
                          preset=args.preset)))
    return 0


def cmd_gifify(args: argparse.Namespace) -> int:
    """``gifworthy gifify VIDEO OUT``: one animation, format from OUT's suffix."""
    print(json.dumps(gifify(args.video, args.out, start=args.start, end=args.end,
                            sample_fps=args.sample_fps, play_fps=args.play_fps,
                            width=args.width, colors=args.colors, dither=args.dither)))
    return 0


def cmd_align(args: argparse.Namespace) -> int:
    """``gifworthy align GIF VIDEO``: where in VIDEO the GIF comes from, as one JSON object;
    exit 1 when it does not come from VIDEO."""
    from gifworthy.align.aligner import NoMatch, align

    try:
        result = align(args.gif, args.video)
    except NoMatch as exc:
        print(f"gifworthy align: {args.gif} does not come from {args.video}: {exc}",
              file=sys.stderr)
        return 1
    print(json.dumps(result.as_dict()))
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("trim", help="cut a segment out of a video file")
    p.add_argument("video")
    p.add_argument("out")
    p.add_argument("--start", type=float, required=True)
    p.add_argument("--end", type=float, required=True)
    p.add_argument("--mode", choices=list(TRIM_MODES), default="exact")
    p.add_argument("--crf", type=int, default=20)
    p.add_argument("--preset", default="veryfast")
    p.set_defaults(func=cmd_trim)
    p = sub.add_parser("gifify", help="make a GIF / WebP / MP4 of a video (format from OUT)")
    p.add_argument("video")
    p.add_argument("out")
    p.add_argument("--start", type=float, default=None)
    p.add_argument("--end", type=float, default=None)
    p.add_argument("--sample-fps", type=float, default=4)
    p.add_argument("--play-fps", type=float, default=16)
    p.add_argument("--width", type=int, default=180)
    p.add_argument("--colors", type=int, default=48)
    p.add_argument("--dither", choices=sorted(DITHERS), default="bayer5")
    p.set_defaults(func=cmd_gifify)
    p = sub.add_parser("align", help="find a GIF's segment in its source video (pHash)")
    p.add_argument("gif")
    p.add_argument("video")
    p.set_defaults(func=cmd_align)
