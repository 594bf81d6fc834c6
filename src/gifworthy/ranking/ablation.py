"""The paper's loss comparison: RankNet with each loss (l1, l2, Huber, adaptive Huber) at
several levels of extra training-label noise (a DVC ``matrix`` of runs), and the table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gifworthy.core.fsutil import read_json, write_json, write_text
from gifworthy.pipeline import paths
from gifworthy.ranking.data import (
    Video,
    corpus_videos,
    make_pairs,
    split_videos,
    with_label_noise,
)
from gifworthy.ranking.evaluate import METRICS, evaluate_method
from gifworthy.ranking.models.ranknet import train_ranknet

__all__ = ["ablation_report_stage", "ablation_run", "ablation_run_stage", "ablation_table"]


def ablation_run(videos: list[Video], params: dict[str, Any], loss: str, noise: float
                 ) -> dict[str, Any]:
    """One cell of the loss x label-noise table: RankNet with ``loss`` trained on labels
    with ``noise`` extra label noise, once per seed; test mAP and nMSD per seed."""
    rk = params["ranking"]
    split = split_videos(videos, rk["validation_share"], params["seed"])
    net_params = {**params["ranknet"], "loss": loss, "models": params["ablation"]["models"]}
    if not split["test"] or not make_pairs(split["train"], 1, np.random.default_rng(0)):
        return {"loss": loss, "noise": noise, "runs": [],
                **{k: None for m in METRICS for k in (m, f"{m}_std")},
                "skipped": "no training pairs or no test video"}
    runs = []
    for seed in rk["seeds"]:
        train = with_label_noise(split["train"], noise, seed)
        ens = train_ranknet(train, split["val"], net_params, seed)
        summary, _ = evaluate_method(split["test"], lambda v: ens.score(v),
                                     recall_k=rk["recall_k"])
        runs.append({"seed": seed, **summary})  # no seconds: the file is a cached output
    out: dict[str, Any] = {"loss": loss, "noise": noise, "runs": runs}
    for metric in METRICS:
        values = np.array([r[metric] for r in runs])
        out[metric] = round(float(values.mean()), 4)
        out[f"{metric}_std"] = round(float(values.std()), 4)
    return out


def ablation_table(runs: list[dict[str, Any]], params: dict[str, Any]
                   ) -> tuple[dict[str, Any], str]:
    """metrics/ablation.json ({loss: {noise: {mAP, nMSD...}}}) and a Markdown report."""
    table: dict[str, dict[str, Any]] = {}
    for r in runs:
        table.setdefault(r["loss"], {})[f"{r['noise']:g}"] = {
            k: r[k] for m in METRICS for k in (m, f"{m}_std")}
    noises = [f"{n:g}" for n in params["noise_levels"]]
    lines = ["# RankNet loss ablation (test set; mean +- std over seeds)", "",
             "mAP (higher is better) / nMSD (lower is better) by extra training-label noise.", "",
             "| loss | " + " | ".join(f"noise {n}" for n in noises) + " |",
             "|---|" + "---|" * len(noises)]
    for loss in params["losses"]:
        cells = []
        for n in noises:
            c = table.get(loss, {}).get(n)
            cells.append(f"{100 * c['mAP']:.1f} +- {100 * c['mAP_std']:.1f} / "
                         f"{100 * c['nMSD']:.1f}" if c and c["mAP"] is not None else "-")
        lines.append(f"| {loss} | " + " | ".join(cells) + " |")
    best = {n: max(((loss, table[loss][n]["mAP"]) for loss in table
                    if n in table[loss] and table[loss][n]["mAP"] is not None),
                   key=lambda t: t[1], default=(None, 0))[0] for n in noises}
    lines += ["", "Best loss by mAP at each noise level: " +
              ", ".join(f"{n}: {b}" for n, b in best.items()), ""]
    return {"table": table, "best_by_noise": best}, "\n".join(lines)


def ablation_run_stage(params: dict[str, Any], loss: str, noise: float,
                       out: Path | None = None) -> dict[str, Any]:
    """One DVC matrix cell: ``data/ablation/<loss>_<noise>.json``."""
    result = ablation_run(corpus_videos(params), params, loss, noise)
    write_json(out or paths.ABLATION_DIR / f"{loss}_{noise:g}.json", result)
    return result


def ablation_report_stage(params: dict[str, Any]) -> str:
    """``metrics/ablation.json`` and ``metrics/ablation.md`` from every cell."""
    runs = [read_json(p) for p in sorted(paths.ABLATION_DIR.glob("*.json"))]
    summary, report = ablation_table(runs, params["ablation"])
    write_json(paths.metrics_file("ablation"), summary)
    write_text(paths.METRICS_DIR / "ablation.md", report)
    return report
