"""The evaluate stage: the official Video2GIF mAP and nMSD, and HIT@1 and Recall@K, of every
ranker on the test videos (per seed and as mean +- std over seeds), one row per (method,
seed, video), the comparison table, and the first ranker's top-k segments of each test
video as GIFs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from gifworthy.core.fsutil import csv_text, write_json, write_text
from gifworthy.media.encode import gifify
from gifworthy.pipeline import paths
from gifworthy.pipeline.records import source_video
from gifworthy.ranking.data import Video, corpus_videos, split_videos
from gifworthy.ranking.heat import gif_heat_agreement
from gifworthy.ranking.metrics import (
    average_precision,
    frame_scores,
    gif_masks,
    hit_at_1,
    nmsd,
    recall_at_k,
)
from gifworthy.ranking.models import Ranker, get_ranker, model_dir
from gifworthy.ranking.stats import compare_methods

__all__ = ["COMPARED", "METRICS", "evaluate_all", "evaluate_method", "evaluate_stage",
           "write_ranked"]

# Summary name -> per-video row field, for every metric a method is scored by.
METRICS = {"mAP": "ap", "nMSD": "nmsd", "HIT@1": "hit_at_1", "Recall@K": "recall_at_k"}
# The metrics whose differences between methods get a bootstrap interval (the official two).
COMPARED = {"mAP": "ap", "nMSD": "nmsd"}


def evaluate_method(videos: list[Video], scorer: Callable[[Video], np.ndarray], *,
                    recall_k: int = 5) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """mAP and mean nMSD over ``videos`` (frame level, segment scores broadcast), and the
    mean HIT@1 and Recall@K of the ranked segments, plus one row per video."""
    rows = []
    for v in videos:
        segment_scores = scorer(v)
        scores = frame_scores(list(zip(v.starts, v.ends)), segment_scores, v.n_frames)
        masks = gif_masks(v.gifs, v.n_frames)
        union = np.clip(np.sum(masks, axis=0), 0, 1)
        if not union.any():
            continue
        rows.append({"youtube_id": v.youtube_id, "ap": average_precision(union, scores),
                     "nmsd": nmsd(masks, scores),
                     "hit_at_1": hit_at_1(segment_scores, v.starts, v.ends, v.gifs),
                     "recall_at_k": recall_at_k(segment_scores, v.starts, v.ends, v.gifs,
                                                recall_k),
                     "gifs": len(v.gifs), "segments": len(v.labels)})
    summary: dict[str, float] = {
        name: float(np.mean([r[field] for r in rows])) if rows else float("nan")
        for name, field in METRICS.items()}
    summary["videos"] = len(rows)
    return summary, rows


def _trained(params: dict[str, Any], models_dir: Path) -> bool:
    rk = params["ranking"]
    return all(model_dir(models_dir, m, rk["seeds"][0]).exists() for m in rk["methods"])


def _load(models_dir: Path, method: str, seed: int) -> Ranker:
    return get_ranker(method).load(model_dir(models_dir, method, seed))


def evaluate_all(videos: list[Video], params: dict[str, Any], models_dir: Path
                 ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """mAP and nMSD of every method on the test videos, per seed and as mean +- std over
    seeds, and for every pair of methods the paired bootstrap interval of their mAP and
    nMSD difference over test videos (``comparisons``); one row per (method, seed, video)."""
    rk = params["ranking"]
    test = split_videos(videos, rk["validation_share"], params["seed"])["test"]
    if not test or not _trained(params, models_dir):
        return {"test_videos": len(test), "seeds": list(rk["seeds"]),
                "skipped": "no test video or no trained model"}, []
    methods: dict[str, list[dict[str, float]]] = {}
    rows: list[dict[str, Any]] = []
    for seed in rk["seeds"]:
        for name in rk["methods"]:
            ranker = _load(models_dir, name, seed)
            summary, per_video = evaluate_method(test, ranker.score,
                                                 recall_k=rk["recall_k"])
            methods.setdefault(name, []).append(summary)
            rows += [{"method": name, "seed": seed, **r} for r in per_video]
    result: dict[str, Any] = {"test_videos": len(test), "seeds": list(rk["seeds"]),
                              "recall_k": rk["recall_k"]}
    for name, runs in methods.items():
        result[name] = {}
        for metric in METRICS:
            values = np.array([r[metric] for r in runs])
            result[name][metric] = round(float(values.mean()), 4)
            result[name][f"{metric}_std"] = round(float(values.std()), 4)
    # How GIFs and replay heat agree over the whole corpus (train and test videos).
    result["heat_agreement"] = gif_heat_agreement(videos)
    result["confidence"] = rk["confidence"]
    result["comparisons"] = compare_methods(
        rows, [m for m in rk["methods"] if m in methods], COMPARED,
        resamples=rk["bootstrap_resamples"], level=rk["confidence"], seed=params["seed"])
    return result, rows


def write_ranked(videos: list[Video], params: dict[str, Any], models_dir: Path, out_dir: Path
                 ) -> dict[str, list[dict[str, Any]]]:
    """The first seed's top-k segments (by the first ranker of ``ranking.methods``) of every
    test video, made into GIFs (the explorer shows them beside the ground truth), and
    ``ranked.json`` describing them."""
    rk = params["ranking"]
    test = split_videos(videos, rk["validation_share"], params["seed"])["test"]
    if not _trained(params, models_dir):
        test = []
    ranked: dict[str, list[dict[str, Any]]] = {}
    if not test:
        write_json(out_dir / "ranked.json", ranked)
        return ranked
    ranker = _load(models_dir, rk["methods"][0], rk["seeds"][0])
    g = params["gifify"]
    for v in test:
        scores = ranker.score(v)
        src = source_video(params, v.youtube_id)
        rows = []
        for rank, i in enumerate(np.argsort(-scores, kind="stable")[:rk["top_k"]], 1):
            start, end = float(v.starts[i] / v.fps), float(v.ends[i] / v.fps)
            hit = any(min(v.ends[i], b) > max(v.starts[i], a) for a, b in v.gifs)
            name = f"gifs/{v.youtube_id}/rank{rank}.gif"
            if src is not None:
                gifify(src, out_dir / name, start=start, end=end, sample_fps=g["sample_fps"],
                       play_fps=g["play_fps"], width=g["width"], colors=g["colors"],
                       dither=g["dither"])
            rows.append({"rank": rank, "start": round(start, 3), "end": round(end, 3),
                         "score": round(float(scores[i]), 4), "hit": hit,
                         "file": name if src is not None else None})
        ranked[v.youtube_id] = rows
    write_json(out_dir / "ranked.json", ranked)
    return ranked


def evaluate_stage(params: dict[str, Any]) -> dict[str, Any]:
    """The DVC stage: ``metrics/eval.json``, ``data/eval/{per_video,comparison}.csv`` and the
    top-k GIFs with ``ranked.json``."""
    videos = corpus_videos(params)
    t0 = time.perf_counter()
    summary, rows = evaluate_all(videos, params, paths.MODELS_DIR)
    write_json(paths.timings_file("evaluate"), {"seconds": round(time.perf_counter() - t0, 2)})
    columns = ["method", "seed", "youtube_id", *METRICS.values(), "gifs", "segments"]
    write_text(paths.EVAL_DIR / "per_video.csv", csv_text(
        columns, [[round(r[c], 4) if isinstance(r[c], float) else r[c] for c in columns]
                  for r in rows]))
    methods = [m for m in params["ranking"]["methods"] if m in summary]
    write_text(paths.EVAL_DIR / "comparison.csv", csv_text(
        ["method", *METRICS], [[m, *(summary[m][k] for k in METRICS)] for m in methods]))
    write_ranked(videos, params, paths.MODELS_DIR, paths.EVAL_DIR)
    write_json(paths.metrics_file("eval"), summary)
    return {m: summary[m] for m in methods}
