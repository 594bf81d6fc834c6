"""``gifworthy <command>``: the thin command layer that DVC stages and Snakemake rules call.

Every command reads params.yaml (``--params``) through the schema, so a bad key fails at once,
and every error a user can cause ends in one clear line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from .server import MediaServer

from . import __version__, download, fanout, gifify, layout, manifest, trim
from .config import ParamsError, load_params
from .fingerprint import code_fingerprint
from .fsutil import csv_text, read_json, write_json, write_text

__all__ = ["main"]


def _params(args: argparse.Namespace) -> dict[str, Any]:
    return load_params(args.params)


def cmd_check_params(args: argparse.Namespace) -> int:
    _params(args)
    print(f"{args.params}: ok")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from .sample import build_sample

    summary = build_sample(_params(args), args.out, workers=args.workers)
    print(json.dumps(summary))
    return 0


def cmd_manifest(args: argparse.Namespace) -> int:
    params = _params(args)
    result = manifest.build_manifest(params["corpus"], root=".", sample_dir=args.sample_dir)
    counts = manifest.write_manifest(result, args.out)
    for rej in result.rejections[:20]:
        print(f"rejected {rej.origin}: {rej.reason}", file=sys.stderr)
    if len(result.rejections) > 20:
        print(f"... and {len(result.rejections) - 20} more in {args.out}/rejected.csv",
              file=sys.stderr)
    if args.metrics:
        write_json(args.metrics, counts)
    print(json.dumps(counts))
    return 0


def _items(path: str | os.PathLike[str]) -> list[manifest.DownloadItem]:
    if not Path(path).exists():
        raise ParamsError(f"{path}: manifest not found (run the manifest stage first)")
    return manifest.read_downloads(path)


def cmd_download_prepare(args: argparse.Namespace) -> int:
    params = _params(args)
    counts = download.prepare(_items(args.manifest), layout.DOWNLOAD_ROOT, params["download"])
    print("download-prepare: " + json.dumps(counts))
    return 0


def cmd_download_one(args: argparse.Namespace) -> int:
    params = _params(args)
    item = manifest.DownloadItem(args.item_id, args.youtube_id, args.url, args.start, args.end,
                                 "", "", "")
    if (item.start is None) != (item.end is None):
        raise ParamsError("--start and --end go together")
    out_dir = args.out_dir or layout.download_dir(params)
    rec = download.download_item(item, out_dir, params["download"],
                                 gate=download.ThrottleGate(args.throttle_file))
    print(f"{item.item_id}: {rec['status']} {rec.get('category', '')} "
          f"{rec.get('message', '')[:200]}".rstrip(), file=sys.stderr)
    return 0  # a bad video is a record, never a failed job (GUIDE 3, trap 2)


def cmd_download_report(args: argparse.Namespace) -> int:
    params = _params(args)
    items = _items(args.manifest)
    records = download.collect(items, layout.download_dir(params))
    root = layout.DOWNLOAD_ROOT
    write_text(root / "stats.csv", csv_text(
        ["id", "bytes", "download_seconds", "ffmpeg_seconds", "when"],
        [[r["item_id"], r.get("bytes", 0), r.get("download_seconds", 0.0),
          r.get("ffmpeg_seconds", 0.0), r.get("finished_at", "")]
         for r in records if r["status"] == "ok"]))
    write_text(root / "failed.csv", csv_text(
        ["id", "category", "message"],
        [[r["item_id"], r.get("category") or r["status"], r.get("message", "")]
         for r in records if r["status"] != "ok"]))
    summary = download.summarize(records)
    write_text(root / "time_share.csv", csv_text(
        ["phase", "seconds"], [["download", summary["download_seconds"]],
                               ["ffmpeg", summary["ffmpeg_seconds"]]]))
    write_json(args.metrics, summary)
    print(json.dumps({k: summary[k] for k in ("items", "ok", "failed", "throttled", "bytes")}))
    return 0


def _sample_server(sample_dir: Path, port: int = 0) -> "MediaServer":
    """The sample corpus as a video site: ``/watch?v=<id>`` pages and ``/videos/<id>.mp4``."""
    from .sample import resolve_source
    from .server import MediaServer

    routes, heights = {}, {}
    for video in read_json(sample_dir / "sources.json"):
        routes[f"/videos/{video['youtube_id']}.mp4"] = resolve_source(video)
        heights[video["youtube_id"]] = int(video["height"])
    return MediaServer(routes, heights=heights, port=port)


def cmd_with_sample_server(args: argparse.Namespace) -> int:
    """Run a command with the sample corpus served on 127.0.0.1 (only for corpus "sample")."""
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise ParamsError("with-sample-server: no command given (usage: ... -- CMD ARGS)")
    params = _params(args)
    if params["corpus"]["source"] != "sample":
        return subprocess.call(command)
    with _sample_server(Path(args.sample_dir)) as server:
        env = dict(os.environ, **{download.SAMPLE_SERVER_ENV: server.base_url})
        proc = subprocess.Popen(command, env=env)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.send_signal(signal.SIGINT)
            return proc.wait()


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the sample corpus in the foreground (to try downloads by hand)."""
    import time

    with _sample_server(Path(args.sample_dir), args.port) as server:
        print(f"serving {len(server.routes)} sample videos at {server.base_url}/watch?v=<id>"
              f" (export {download.SAMPLE_SERVER_ENV}={server.base_url}); Ctrl-C stops",
              flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


def _clip_ids(items: list[manifest.DownloadItem]) -> set[str]:
    return {i.item_id for i in items if i.is_segment}


def cmd_trim_prepare(args: argparse.Namespace) -> int:
    params = _params(args)
    counts = trim.prepare(_clip_ids(_items(args.manifest)), layout.CLIPS_ROOT,
                          layout.download_dir(params), params["trim"],
                          code=code_fingerprint("trim"))
    print("trim-prepare: " + json.dumps(counts))
    return 0


def cmd_trim_one(args: argparse.Namespace) -> int:
    params = _params(args)
    rec = trim.trim_item(args.download_status, layout.download_dir(params),
                         layout.clips_dir(params), params["trim"], code=code_fingerprint("trim"))
    print(f"{rec['item_id']}: {rec['status']} {rec.get('message', '')}".rstrip(),
          file=sys.stderr)
    return 0


def cmd_trim_report(args: argparse.Namespace) -> int:

    params = _params(args)
    folder = layout.clips_dir(params) / "status"
    records = [read_json(folder / f"{i}.json") for i in sorted(_clip_ids(_items(args.manifest)))
               if (folder / f"{i}.json").exists()]
    summary = trim.summarize(records)
    write_json(args.metrics, summary)
    print(json.dumps(summary))
    return 0


def cmd_trim(args: argparse.Namespace) -> int:
    """Trim one file by hand: ``gifworthy trim IN OUT --start S --end E``."""
    info = trim.trim(args.video, args.out, start=args.start, duration=args.end - args.start,
                     mode=args.mode, crf=args.crf, preset=args.preset)
    print(json.dumps(info))
    return 0


def cmd_gifify(args: argparse.Namespace) -> int:
    """``gifworthy gifify VIDEO OUT``: one animation by hand, format from OUT's suffix."""
    info = gifify.gifify(args.video, args.out, start=args.start, end=args.end,
                         sample_fps=args.sample_fps, play_fps=args.play_fps, width=args.width,
                         colors=args.colors, dither=args.dither)
    print(json.dumps(info))
    return 0


def cmd_gifify_clip(args: argparse.Namespace) -> int:
    params = _params(args)
    source, reason = gifify.source_of_clip(args.trim_status, layout.clips_dir(params))
    item = Path(args.trim_status).stem
    rec = gifify.gifify_item("clips", item, source, out_dir=layout.gifs_dir(params),
                             params=params["gifify"], skip_reason=reason,
                             source_key=gifify.source_key(args.trim_status),
                             code=code_fingerprint("gifify"))
    print(f"{item}: {rec['status']} {rec.get('message', '')}".rstrip(), file=sys.stderr)
    return 0


def cmd_gifify_v2g(args: argparse.Namespace) -> int:
    params = _params(args)
    source, reason = gifify.source_of_video(args.download_status, layout.download_dir(params))
    rec = gifify.gifify_item("v2g", args.gif_id, source, out_dir=layout.gifs_dir(params),
                             params=params["gifify"], start=args.start, end=args.end,
                             skip_reason=reason,
                             source_key=gifify.segment_source_key(
                                 args.download_status, args.start, args.end),
                             code=code_fingerprint("gifify"))
    print(f"{args.gif_id}: {rec['status']} {rec.get('message', '')}".rstrip(), file=sys.stderr)
    return 0


def cmd_gifify_prepare(args: argparse.Namespace) -> int:
    params = _params(args)
    items = _items(args.manifest)
    expected = {("clips", i): gifify.source_key(layout.clips_dir(params) / "status" / f"{i}.json")
                for i in _clip_ids(items)}
    sources = {i.item_id for i in items}
    for row in manifest.read_gif_rows(layout.GIFS_CSV):
        if row["youtube_id"] in sources:
            expected[("v2g", row["gif_id"])] = gifify.segment_source_key(
                layout.download_dir(params) / "status" / f"{row['youtube_id']}.json",
                row["start_sec"], row["end_sec"])
    counts = gifify.prepare(layout.GIFS_ROOT, layout.gifs_dir(params), expected,
                            code=code_fingerprint("gifify"))
    print("gifify-prepare: " + json.dumps(counts))
    return 0


def cmd_gifify_report(args: argparse.Namespace) -> int:

    params = _params(args)
    root = layout.gifs_dir(params) / "status"
    records = [read_json(p) for p in sorted(root.glob("*/*.json"))] if root.exists() else []
    summary = gifify.summarize(records)
    write_json(args.metrics, summary)
    print(json.dumps(summary))
    return 0


def cmd_explore(args: argparse.Namespace) -> int:
    from .explorer import build_explorer

    params = _params(args)
    site = Path(args.out)
    if not args.no_build:
        summary = build_explorer(layout.MANIFEST_DIR, layout.gifs_dir(params), site,
                                 params["gifify"]["formats"], params["explorer"]["page_size"],
                                 ranked=layout.EVAL_DIR / "ranked.json")
        print(json.dumps(summary))
    if args.serve:
        import functools
        import http.server

        root = site.parent.resolve()
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
        with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler) as httpd:
            url = f"http://127.0.0.1:{httpd.server_address[1]}/{site.name}/index.html"
            print(f"explorer at {url} (Ctrl-C stops)", flush=True)
            try:
                httpd.serve_forever()
            except KeyboardInterrupt:
                pass
    return 0


def cmd_align(args: argparse.Namespace) -> int:
    """``gifworthy align GIF VIDEO``: where in VIDEO the GIF comes from, as one JSON object."""
    from .align import NoMatch, align

    try:
        result = align(args.gif, args.video)
    except NoMatch as exc:
        print(f"gifworthy align: {args.gif} does not come from {args.video}: {exc}",
              file=sys.stderr)
        return 1
    except ValueError as exc:  # undecodable input
        print(f"gifworthy align: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result.as_dict()))
    return 0


def cmd_fanout_prepare(args: argparse.Namespace) -> int:
    """Before Snakemake runs a persisted fan-out stage: drop stale and unwanted outputs."""
    counts = fanout.prepare(args.stage, _params(args))
    print(f"{args.stage}-prepare: " + json.dumps(counts))
    return 0


def cmd_align_video(args: argparse.Namespace) -> int:
    from .align import align_video_gifs

    params = _params(args)
    gifs = fanout.gifs_by_video(params)
    job = fanout.job("align", params, args.youtube_id, gifs=gifs)
    records = align_video_gifs(layout.source_video(params, args.youtube_id),
                               gifs.get(args.youtube_id, []))
    write_json(job.output, records)
    fanout.write_key(job)
    print(f"{args.youtube_id}: {sum(r['aligned'] for r in records)}/{len(records)} aligned",
          file=sys.stderr)
    return 0


def cmd_align_report(args: argparse.Namespace) -> int:
    from .align import evaluate, metadata_agreement

    params = _params(args)
    wanted = fanout.gifs_by_video(params)
    records: list[dict[str, Any]] = []
    for yid in sorted(wanted):
        path = layout.ALIGN_DIR / "status" / f"{yid}.json"
        if path.exists():
            records += read_json(path)
    truth = {g["gif_id"]: g for gifs in wanted.values() for g in gifs}
    fps: dict[str, float] = {}
    dl = layout.download_dir(params)
    for yid in wanted:
        status = dl / "status" / f"{yid}.json"
        fps[yid] = float(read_json(status).get("fps") or 25.0) if status.exists() else 25.0
    columns = ["gif_id", "youtube_id", "aligned", "start_sec", "end_sec", "start_frame",
               "end_frame", "speed", "mean_distance", "confidence", "reason"]
    write_text(layout.ALIGN_DIR / "alignments.csv", csv_text(
        columns, [[r.get(c, "") for c in columns] for r in records]))
    if params["corpus"]["source"] == "sample":
        summary = evaluate(records, truth, fps)
    else:  # agreement of the regenerated GIFs with the metadata's own times
        summary = metadata_agreement(records, truth, fps)
    write_json(args.metrics, summary)
    print(json.dumps({k: v for k, v in summary.items() if k != "by_distortion"}))
    return 0


# ---------------------------------------------------------------------------------------------
# Shots, segments and features: one job per source video (the videos that have GIFs)
# ---------------------------------------------------------------------------------------------
def cmd_shots_video(args: argparse.Namespace) -> int:
    from .shots import save_shots

    params = _params(args)
    job = fanout.job("shots", params, args.youtube_id)
    result = save_shots(layout.source_video(params, args.youtube_id), job.output,
                        job.settings["shots"])
    fanout.write_key(job)
    print(f"{args.youtube_id}: {result}", file=sys.stderr)
    return 0


def cmd_shots_report(args: argparse.Namespace) -> int:
    from .shots import load_shots, shots_report

    params = _params(args)
    videos = {path.stem: load_shots(path, "transnet")
              for path in sorted(layout.shots_dir(params).glob("*.npz"))}
    summary = shots_report(videos, params["shots"],
                           sources=list(fanout.sources_info(params).values()))
    rows = [[yid, f["n_frames"], round(f["fps"], 4), len(f["cuts"]["transnet"]),
             len(f["cuts"]["scenedetect"]), f["error"]] for yid, f in videos.items()]
    # The stage's index (and what keeps its output directory there for an empty corpus).
    write_text(layout.SHOTS_ROOT / "index.csv", csv_text(
        ["youtube_id", "frames", "fps", "transnet_cuts", "scenedetect_cuts", "error"], rows))
    write_json(args.metrics, summary)
    print(json.dumps({d: summary[d]["all"]["f1"] for d in ("transnet", "scenedetect")}))
    return 0


def _per_video_report(files: Any, root: Path, summarize: Any, metrics: str) -> dict[str, Any]:
    """A fan-out stage's report: ``summarize`` of its per-video files into ``metrics``, and
    ``root/index.csv`` listing them (which also keeps the stage's output directory in
    existence for an empty corpus)."""
    files = sorted(files)
    summary = summarize(files)
    write_text(root / "index.csv",
               csv_text(["youtube_id", "file"], [[f.stem, str(f)] for f in files]))
    write_json(metrics, summary)
    return summary


def cmd_segments_video(args: argparse.Namespace) -> int:
    from .segments import segment_video

    params = _params(args)
    job = fanout.job("segments", params, args.youtube_id)
    status = job.files["align"]
    alignments = read_json(status) if status.exists() else []
    table = segment_video(job.files["shots"], alignments, job.settings["detector"],
                          job.settings["segments"])
    write_text(job.output, table)
    fanout.write_key(job)
    return 0


def cmd_segments_report(args: argparse.Namespace) -> int:
    from .segments import summarize

    params = _params(args)
    summary = _per_video_report(layout.segments_dir(params).glob("*.csv"),
                                layout.SEGMENTS_ROOT, summarize, args.metrics)
    print(json.dumps(summary))
    return 0


def cmd_features_video(args: argparse.Namespace) -> int:
    from .features import features_video

    params = _params(args)
    job = fanout.job("features", params, args.youtube_id)
    features_video(layout.source_video(params, args.youtube_id), job.files["segments"],
                   job.files["shots"], job.output, job.settings["features"],
                   category=job.settings["category"], title=job.settings["title"])
    fanout.write_key(job)
    return 0


def cmd_features_report(args: argparse.Namespace) -> int:
    from .features import summarize

    params = _params(args)
    summary = _per_video_report(layout.features_dir(params).glob("*.npz"),
                                layout.FEATURES_ROOT, summarize, args.metrics)
    print(json.dumps(summary.get("seconds_per_video_minute", {})))
    return 0


# ---------------------------------------------------------------------------------------------
# Ranking: train, evaluate, the loss ablation, and `rank` on any video
# ---------------------------------------------------------------------------------------------
def cmd_train(args: argparse.Namespace) -> int:
    from .ranking import corpus_videos, dumps, train_all

    params = _params(args)
    info = train_all(corpus_videos(params), params, layout.MODELS_DIR, live_dir=layout.LIVE_DIR)
    write_json(layout.MODELS_DIR / "training.json", info)
    if info.get("skipped"):  # nothing to log; the stage's outputs still exist, with the reason
        write_json(layout.LIVE_DIR / "metrics.json", {"skipped": info["skipped"]})
        print(f"gifworthy train: {info['skipped']}", file=sys.stderr)
    print(dumps(info))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .ranking import corpus_videos, evaluate_all, write_ranked

    params = _params(args)
    videos = corpus_videos(params)
    t0 = time.perf_counter()
    summary, rows = evaluate_all(videos, params, layout.MODELS_DIR)
    summary["evaluate_seconds"] = round(time.perf_counter() - t0, 2)
    training = layout.MODELS_DIR / "training.json"
    if training.exists():
        summary["train_seconds"] = {k: round(v, 2)
                                    for k, v in read_json(training)["seconds"].items()}
    columns = ["method", "seed", "youtube_id", "ap", "nmsd", "gifs", "segments"]
    write_text(layout.EVAL_DIR / "per_video.csv", csv_text(
        columns, [[round(r[c], 4) if isinstance(r[c], float) else r[c] for c in columns]
                  for r in rows]))
    methods = [m for m in ("ranknet", "lightgbm", "heuristic", "random") if m in summary]
    write_text(layout.EVAL_DIR / "comparison.csv", csv_text(
        ["method", "mAP", "nMSD"], [[m, summary[m]["mAP"], summary[m]["nMSD"]] for m in methods]))
    write_ranked(videos, params, layout.MODELS_DIR, layout.EVAL_DIR)
    write_json(args.metrics, summary)
    print(json.dumps({m: summary[m] for m in methods}))
    return 0


def cmd_ablation_run(args: argparse.Namespace) -> int:
    from .ranking import ablation_run, corpus_videos

    params = _params(args)
    result = ablation_run(corpus_videos(params), params, args.loss, args.noise)
    write_json(args.out or layout.ABLATION_DIR / f"{args.loss}_{args.noise:g}.json", result)
    print(json.dumps(result))
    return 0


def cmd_ablation_report(args: argparse.Namespace) -> int:
    from .ranking import ablation_table

    params = _params(args)
    runs = [read_json(p) for p in sorted(layout.ABLATION_DIR.glob("*.json"))]
    summary, report = ablation_table(runs, params["ablation"])
    write_json(args.metrics, summary)
    write_text(Path(args.metrics).with_suffix(".md"), report)
    print(report)
    return 0


def cmd_rank(args: argparse.Namespace) -> int:
    from .ranking import rank_video

    params = _params(args)
    result = rank_video(Path(args.video), params, Path(args.models), Path(args.out), args.top)
    write_json(Path(args.out) / "scores.json", result)
    print(json.dumps({k: result[k] for k in ("top", "seconds")}, indent=2))
    return 0


# ---------------------------------------------------------------------------------------------
# Screen time: seconds on screen per character
# ---------------------------------------------------------------------------------------------
def cmd_screentime_sample(args: argparse.Namespace) -> int:
    from .screentime_sample import build_screentime_sample

    params = _params(args)
    summary = build_screentime_sample(params["screentime"]["sample"], params["seed"], args.out)
    print(json.dumps({v: s["on_screen_seconds"] for v, s in summary["videos"].items()}))
    return 0


def cmd_screentime_frames(args: argparse.Namespace) -> int:
    from .screentime import extract_frames, iter_videos

    videos = iter_videos(args.videos)
    if not videos:
        raise FileNotFoundError(f"no video files in {' '.join(args.videos)}")
    for video in videos:
        folder = extract_frames(video, args.out, fps=args.fps)
        print(f"{folder}: {sum(1 for _ in folder.glob('*.jpg'))} frames")
    return 0


def cmd_screentime_train(args: argparse.Namespace) -> int:
    from .screentime import fit, read_labels, save_model

    params = _params(args)
    p = params["screentime"]
    classes = [c.strip() for c in args.classes.split(",")] if args.classes else None
    frames, classes = read_labels(args.labels, args.frames, classes)
    model, report = fit(frames, classes, p, params["seed"],
                        log=lambda m: print(f"gifworthy screentime train: {m}", file=sys.stderr))
    out = Path(args.out)
    save_model(model, out / "model.pt")
    write_json(out / "report.json", report)
    print(json.dumps({k: report[k] for k in ("frames", "videos", "thresholds")}
                     | {"validation_accuracy": report["validation"]["accuracy"]}))
    return 0


def cmd_screentime_run(args: argparse.Namespace) -> int:
    from .screentime import load_model, run_video

    model = load_model(args.model)
    video = Path(args.video)
    if not video.is_file():
        raise FileNotFoundError(f"{video}: no such video")
    out = Path(args.out) if args.out else Path(f"{video.stem}-screentime")
    summary = run_video(video, model, out)
    print(json.dumps({"seconds": summary["seconds"], "out": str(out)}))
    return 0


def cmd_screentime_evaluate(args: argparse.Namespace) -> int:
    from .screentime import evaluate_video, load_model, read_truth, run_video

    model = load_model(args.model)
    sample, out = Path(args.sample), Path(args.out)
    truth = read_truth(sample / "truth.csv", model["classes"])
    report = read_json(Path(args.model) / "report.json")
    videos = {}
    for video in sorted((sample / "heldout").glob("*.mp4")):
        summary = run_video(video, model, out / video.stem, truth=truth.get(video.stem))
        videos[video.stem] = evaluate_video(summary, truth[video.stem], model)
    scored = [v for v in videos.values() if v["seconds"]]
    total = sum(v["seconds"] for v in scored)
    classes = list(model["classes"])
    metrics = {
        "heldout_accuracy": round(sum(v["accuracy"] * v["seconds"] for v in scored) / total, 4)
        if total else None,
        "heldout_abs_error_seconds": {c: round(sum(v["per_class"][c]["abs_error_seconds"]
                                                   for v in scored), 3) for c in classes},
        "validation_accuracy": report["validation"]["accuracy"],
        "validation_accuracy_smoothed": report["validation"]["accuracy_smoothed"],
        "validation_split": report["validation"]["split"],
        "random_frame_split_accuracy": report.get("random_frame_split", {}).get("accuracy"),
        "train_seconds": report["seconds"]["total"],
        "videos": videos,
    }
    write_json(args.metrics, metrics)
    print(json.dumps({k: v for k, v in metrics.items() if k != "videos"}))
    return 0


def _screentime_parser(sub: Any) -> None:
    st = sub.add_parser("screentime", help="seconds on screen per character (train, run)")
    sts = st.add_subparsers(dest="screentime_command", required=True)
    p = sts.add_parser("frames", help="one JPEG a second of each video, to label by hand")
    p.add_argument("videos", nargs="+", help="video files or folders of them")
    p.add_argument("--out", required=True, help="frames go to OUT/<video name>/000000.jpg ...")
    p.add_argument("--fps", type=float, default=1.0)
    p.set_defaults(func=cmd_screentime_frames)
    p = sts.add_parser("train", help="train the classifier on a labels CSV (frame,label)")
    p.add_argument("labels", help="CSV with columns frame,label[,video]; label 'a;b' or 'none'")
    p.add_argument("--frames", required=True, help="folder the CSV's frame paths are under")
    p.add_argument("--classes", help="comma-separated class list (default: the CSV's)")
    p.add_argument("--out", default=str(layout.SCREENTIME_MODEL_DIR))
    p.set_defaults(func=cmd_screentime_train)
    p = sts.add_parser("run", help="seconds on screen per class of one video")
    p.add_argument("video")
    p.add_argument("--model", default=str(layout.SCREENTIME_MODEL_DIR))
    p.add_argument("--out", help="output folder (default <video name>-screentime)")
    p.set_defaults(func=cmd_screentime_run)
    p = sts.add_parser("sample", help="the synthetic screen-time corpus (DVC stage)")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_screentime_sample)
    p = sts.add_parser("evaluate", help="run on a sample's held-out videos, score against truth")
    p.add_argument("sample", help="folder written by `screentime sample`")
    p.add_argument("--model", default=str(layout.SCREENTIME_MODEL_DIR))
    p.add_argument("--out", required=True)
    p.add_argument("--metrics", default=str(layout.METRICS_DIR / "screentime.json"))
    p.set_defaults(func=cmd_screentime_evaluate)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gifworthy", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"gifworthy {__version__}")
    parser.add_argument("--params", default="params.yaml", help="params file (params.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check-params", help="validate params.yaml against the schema")
    p.set_defaults(func=cmd_check_params)

    p = sub.add_parser("sample", help="build the embedded sample corpus")
    p.add_argument("--out", default=str(layout.SAMPLE_DIR))
    p.add_argument("--workers", type=int, default=None)
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("manifest", help="normalise the corpus into data/manifest")
    p.add_argument("--out", default=str(layout.MANIFEST_DIR))
    p.add_argument("--sample-dir", default=str(layout.SAMPLE_DIR))
    p.add_argument("--metrics", default=str(layout.METRICS_DIR / "manifest.json"))
    p.set_defaults(func=cmd_manifest)

    for name, func, helptext in (
        ("download-prepare", cmd_download_prepare, "reconcile downloads with manifest/params"),
        ("download-report", cmd_download_report, "stats.csv, failed.csv, metrics"),
        ("trim-prepare", cmd_trim_prepare, "reconcile clips with manifest/params/downloads"),
        ("trim-report", cmd_trim_report, "trim metrics"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--manifest", default=str(layout.DOWNLOADS_CSV))
        if name.endswith("report"):
            stage = name.split("-")[0]
            p.add_argument("--metrics", default=str(layout.METRICS_DIR / f"{stage}.json"))
        p.set_defaults(func=func)

    p = sub.add_parser("download-one", help="download one item (called by Snakemake)")
    p.add_argument("--item-id", required=True)
    p.add_argument("--youtube-id", required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--start", type=float, default=None)
    p.add_argument("--end", type=float, default=None)
    p.add_argument("--out-dir", default=None)
    p.add_argument("--throttle-file", default=str(layout.THROTTLE_FILE))
    p.set_defaults(func=cmd_download_one)

    p = sub.add_parser("with-sample-server",
                       help="run a command with the sample corpus served on 127.0.0.1")
    p.add_argument("--sample-dir", default=str(layout.SAMPLE_DIR))
    p.add_argument("command", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_with_sample_server)

    p = sub.add_parser("serve", help="serve the sample corpus on 127.0.0.1 until Ctrl-C")
    p.add_argument("--sample-dir", default=str(layout.SAMPLE_DIR))
    p.add_argument("--port", type=int, default=0)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("trim-one", help="trim one downloaded clip (called by Snakemake)")
    p.add_argument("download_status")
    p.set_defaults(func=cmd_trim_one)

    p = sub.add_parser("trim", help="cut a segment out of a video file")
    p.add_argument("video")
    p.add_argument("out")
    p.add_argument("--start", type=float, required=True)
    p.add_argument("--end", type=float, required=True)
    p.add_argument("--mode", choices=["exact", "fast"], default="exact")
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
    p.add_argument("--dither", choices=sorted(gifify.DITHERS), default="bayer5")
    p.set_defaults(func=cmd_gifify)

    p = sub.add_parser("gifify-clip", help="GIFs of one trimmed clip (called by Snakemake)")
    p.add_argument("trim_status")
    p.set_defaults(func=cmd_gifify_clip)

    p = sub.add_parser("gifify-v2g", help="GIFs of one Video2GIF segment (called by Snakemake)")
    p.add_argument("download_status")
    p.add_argument("--gif-id", required=True)
    p.add_argument("--start", type=float, required=True)
    p.add_argument("--end", type=float, required=True)
    p.set_defaults(func=cmd_gifify_v2g)

    p = sub.add_parser("gifify-prepare", help="reconcile GIFs with params, manifest, sources")
    p.add_argument("--manifest", default=str(layout.DOWNLOADS_CSV))
    p.set_defaults(func=cmd_gifify_prepare)

    p = sub.add_parser("gifify-report", help="GIF metrics")
    p.add_argument("--metrics", default=str(layout.METRICS_DIR / "gifify.json"))
    p.set_defaults(func=cmd_gifify_report)

    p = sub.add_parser("align", help="find a GIF's segment in its source video (pHash)")
    p.add_argument("gif")
    p.add_argument("video")
    p.set_defaults(func=cmd_align)

    p = sub.add_parser("align-video", help="align every GIF of one video (called by Snakemake)")
    p.add_argument("--youtube-id", required=True)
    p.set_defaults(func=cmd_align_video)

    p = sub.add_parser("align-report", help="alignments.csv and metrics/align.json")
    p.add_argument("--metrics", default=str(layout.METRICS_DIR / "align.json"))
    p.set_defaults(func=cmd_align_report)

    p = sub.add_parser("explore", help="build the explorer page (and --serve it on 127.0.0.1)")
    p.add_argument("--out", default=str(layout.EXPLORER_DIR))
    p.add_argument("--serve", action="store_true")
    p.add_argument("--no-build", action="store_true", help="serve what is there")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_explore)

    for stage in fanout.STAGES:
        p = sub.add_parser(f"{stage}-prepare",
                           help=f"keep only valid {stage} outputs (before Snakemake runs)")
        p.set_defaults(func=cmd_fanout_prepare, stage=stage)
    for name, func, what in [
            ("shots-video", cmd_shots_video, "shot boundaries of one video, both detectors"),
            ("segments-video", cmd_segments_video, "segments and labels of one video"),
            ("features-video", cmd_features_video, "segment features of one video")]:
        p = sub.add_parser(name, help=f"{what} (called by Snakemake)")
        p.add_argument("--youtube-id", required=True)
        p.set_defaults(func=func)
    for name, func, metrics, what in [
            ("shots-report", cmd_shots_report, "shots.json", "cut precision/recall/F1"),
            ("segments-report", cmd_segments_report, "segments.json", "segment and label counts"),
            ("features-report", cmd_features_report, "features.json", "extractor speed")]:
        p = sub.add_parser(name, help=f"{what} -> metrics/{metrics}")
        p.add_argument("--metrics", default=str(layout.METRICS_DIR / metrics))
        p.set_defaults(func=func)

    p = sub.add_parser("train", help="train RankNet and LightGBM (one per seed) -> models/ranking/")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("evaluate", help="mAP / nMSD of every method -> metrics/eval.json")
    p.add_argument("--metrics", default=str(layout.METRICS_DIR / "eval.json"))
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("ablation-run", help="one (loss, label noise) RankNet run")
    p.add_argument("--loss", required=True, choices=["l1", "l2", "huber", "adaptive_huber"])
    p.add_argument("--noise", required=True, type=float)
    p.add_argument("--out", help="result file (default data/ablation/<loss>_<noise>.json)")
    p.set_defaults(func=cmd_ablation_run)
    p = sub.add_parser("ablation-report", help="the loss x noise table -> metrics/ablation.json")
    p.add_argument("--metrics", default=str(layout.METRICS_DIR / "ablation.json"))
    p.set_defaults(func=cmd_ablation_report)
    p = sub.add_parser("rank", help="the K most GIF-worthy segments of any video, as GIFs")
    p.add_argument("video")
    p.add_argument("--top", type=int, default=5)
    p.add_argument("--out", required=True)
    p.add_argument("--models", default=str(layout.MODELS_DIR))
    p.set_defaults(func=cmd_rank)
    _screentime_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from .backbones import FeatureError
    from .media import MediaError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ParamsError, manifest.CorpusError, trim.TrimError, gifify.GififyError,
            FeatureError, MediaError, ValueError, FileNotFoundError) as exc:
        print(f"gifworthy {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
