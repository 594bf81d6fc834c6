"""Commands: ``screentime frames|label|train|run|sample|evaluate`` (seconds on screen)."""

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
    params = load_params(args.params)
    summary = run_video(video, load_model(args.model), out,
                        interval=params["screentime"]["interval"], seed=params["seed"])
    print(json.dumps({"seconds": summary["seconds"],
                      "interval": summary["interval"]["seconds"], "out": str(out)}))
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

    params = load_params(args.params)
    metrics = evaluate_heldout(Path(args.sample), load_model(args.model),
                               read_json(Path(args.model) / "report.json"), Path(args.out),
                               Path(args.metrics), interval=params["screentime"]["interval"],
                               seed=params["seed"])
    print(json.dumps({k: v for k, v in metrics.items() if k != "videos"}))
    return 0


def cmd_label(args: argparse.Namespace) -> int:
    from gifworthy.screentime.labelling import LabelBook, serve, suggest
    from gifworthy.screentime.model import load_model

    frames = Path(args.frames_dir)
    labels = Path(args.labels) if args.labels else frames / "labels.csv"
    book = LabelBook(frames, labels, args.classes.split(","))
    log = lambda m: print(f"gifworthy screentime label: {m}", file=sys.stderr)  # noqa: E731
    suggestions = None
    model_dir = Path(args.model)
    if args.model != "none" and (model_dir / "model.safetensors").is_file():
        suggestions = suggest(book, load_model(model_dir), log)
        log(f"suggestions from {model_dir}; frames offered least sure first")
    elif args.model not in ("none", str(paths.SCREENTIME_MODEL_DIR)):
        raise FileNotFoundError(f"{model_dir}: no screen-time model (train one with "
                                "`gifworthy screentime train`, or leave out --model)")
    serve(book, suggestions, port=args.port, open_browser=not args.serve, log=log)
    return 0


def register(sub: Any) -> None:
    st = sub.add_parser("screentime", help="seconds on screen per character (train, run)")
    sts = st.add_subparsers(dest="screentime_command", required=True)
    p = sts.add_parser("frames", help="one JPEG a second of each video, to label by hand")
    p.add_argument("videos", nargs="+", help="video files or folders of them")
    p.add_argument("--out", required=True, help="frames go to OUT/<video name>/000000.jpg ...")
    p.add_argument("--fps", type=float, default=1.0)
    p.set_defaults(func=cmd_frames)
    p = sts.add_parser("label", help="label frames in the browser (a page on 127.0.0.1)")
    p.add_argument("frames_dir", help="the folder `screentime frames` wrote")
    p.add_argument("--classes", required=True, help="the characters, comma-separated "
                   "(tom,jerry,spike); keys 1-9 follow this order")
    p.add_argument("--labels", help="the labels CSV, saved after every change; an existing "
                   "one is continued (default FRAMES_DIR/labels.csv)")
    p.add_argument("--model", default=str(paths.SCREENTIME_MODEL_DIR),
                   help="suggest labels with this model and offer the frames it is least "
                   "sure of first (default: the trained one, if any; `none` for no model)")
    p.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any free)")
    p.add_argument("--serve", action="store_true",
                   help="only serve the page and print its address (no browser opened)")
    p.set_defaults(func=cmd_label)
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
