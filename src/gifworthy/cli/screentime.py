"""Commands: ``screentime frames|train|run|sample|evaluate`` (seconds on screen per character)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gifworthy.core.config import load_params
from gifworthy.core.fsutil import read_json
from gifworthy.pipeline import paths


def cmd_frames(args: argparse.Namespace) -> int:
    from gifworthy.screentime.frames import extract_frames, iter_videos

    videos = iter_videos(args.videos)
    if not videos:
        raise FileNotFoundError(f"no video files in {' '.join(args.videos)}")
    for video in videos:
        folder = extract_frames(video, args.out, fps=args.fps)
        print(f"{folder}: {sum(1 for _ in folder.glob('*.jpg'))} frames")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from gifworthy.screentime.validate import train_and_save

    params = load_params(args.params)
    classes = [c.strip() for c in args.classes.split(",")] if args.classes else None
    report = train_and_save(
        args.labels, args.frames, Path(args.out), params["screentime"], params["seed"],
        classes, log=lambda m: print(f"gifworthy screentime train: {m}", file=sys.stderr),
        runtime=params["inference"]["runtime"], timings=args.timings)
    print(json.dumps({k: report[k] for k in ("frames", "videos", "thresholds")}
                     | {"validation_accuracy": report["validation"]["accuracy"]}))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from gifworthy.screentime.model import load_model
    from gifworthy.screentime.run import run_video

    video = Path(args.video)
    if not video.is_file():
        raise FileNotFoundError(f"{video}: no such video")
    out = Path(args.out) if args.out else Path(f"{video.stem}-screentime")
    summary = run_video(video, load_model(args.model), out)
    print(json.dumps({"seconds": summary["seconds"], "out": str(out)}))
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from gifworthy.screentime.sample import build_screentime_sample

    params = load_params(args.params)
    summary = build_screentime_sample(params["screentime"]["sample"], params["seed"], args.out)
    print(json.dumps({v: s["on_screen_seconds"] for v, s in summary["videos"].items()}))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from gifworthy.screentime.model import load_model
    from gifworthy.screentime.run import evaluate_heldout

    metrics = evaluate_heldout(Path(args.sample), load_model(args.model),
                               read_json(Path(args.model) / "report.json"), Path(args.out),
                               Path(args.metrics))
    print(json.dumps({k: v for k, v in metrics.items() if k != "videos"}))
    return 0


def register(sub: Any) -> None:
    st = sub.add_parser("screentime", help="seconds on screen per character (train, run)")
    sts = st.add_subparsers(dest="screentime_command", required=True)
    p = sts.add_parser("frames", help="one JPEG a second of each video, to label by hand")
    p.add_argument("videos", nargs="+", help="video files or folders of them")
    p.add_argument("--out", required=True, help="frames go to OUT/<video name>/000000.jpg ...")
    p.add_argument("--fps", type=float, default=1.0)
    p.set_defaults(func=cmd_frames)
    p = sts.add_parser("train", help="train the classifier on a labels CSV (frame,label)")
    p.add_argument("labels", help="CSV with columns frame,label[,video]; label 'a;b' or 'none'")
    p.add_argument("--frames", required=True, help="folder the CSV's frame paths are under")
    p.add_argument("--classes", help="comma-separated class list (default: the CSV's)")
    p.add_argument("--out", default=str(paths.SCREENTIME_MODEL_DIR))
    p.add_argument("--timings", help="write the seconds each step took here (JSON)")
    p.set_defaults(func=cmd_train)
    p = sts.add_parser("run", help="seconds on screen per class of one video")
    p.add_argument("video")
    p.add_argument("--model", default=str(paths.SCREENTIME_MODEL_DIR))
    p.add_argument("--out", help="output folder (default <video name>-screentime)")
    p.set_defaults(func=cmd_run)
    p = sts.add_parser("sample", help="the synthetic screen-time corpus (DVC stage)")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_sample)
    p = sts.add_parser("evaluate", help="run on a sample's held-out videos, score against truth")
    p.add_argument("sample", help="folder written by `screentime sample`")
    p.add_argument("--model", default=str(paths.SCREENTIME_MODEL_DIR))
    p.add_argument("--out", required=True)
    p.add_argument("--metrics", default=str(paths.metrics_file("screentime")))
    p.set_defaults(func=cmd_evaluate)
