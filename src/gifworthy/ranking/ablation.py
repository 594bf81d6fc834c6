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
    training_split,
    with_label_noise,
)
from gifworthy.ranking.evaluate import METRICS, evaluate_method
from gifworthy.ranking.models.ranknet import train_ranknet
from gifworthy.ranking.stats import paired_bootstrap, per_video_means

__all__ = ["REFERENCE_LOSS", "ablation_report_stage", "ablation_run", "ablation_run_stage",
           "ablation_table", "versus_reference"]


def ablation_run(videos: list[Video], params: dict[str, Any], loss: str, noise: float
                 ) -> dict[str, Any]:
    """One cell of the loss x label-noise table: RankNet with ``loss`` trained on labels
    with ``noise`` extra label noise, once per seed; test mAP and nMSD per seed."""
    rk = params["ranking"]
    split = training_split(videos, params)
    net_params = {**params["ranknet"], "loss": loss, "models": params["ablation"]["models"]}
    if not split["test"] or not make_pairs(split["train"], 1, np.random.default_rng(0)):
        return {"loss": loss, "noise": noise, "runs": [],
                **{k: None for m in METRICS for k in (m, f"{m}_std")},
                "skipped": "no training pairs or no test video"}
    runs = []
    rows: list[dict[str, Any]] = []
    for seed in rk["seeds"]:
        train = with_label_noise(split["train"], noise, seed)
        ens = train_ranknet(train, split["val"], net_params, seed)
        summary, per_video = evaluate_method(split["test"], lambda v: ens.score(v),
                                             recall_k=rk["recall_k"])
        runs.append({"seed": seed, **summary})  # no seconds: the file is a cached output
        rows += [{"method": loss, **r} for r in per_video]
    # Per test video, the AP averaged over seeds: what the report's paired bootstrap against
    # l2 resamples.
    per_video_ap = {v: round(ap, 6) for v, ap in per_video_means(rows, "ap").get(loss, {}).items()}
    out: dict[str, Any] = {"loss": loss, "noise": noise, "runs": runs,
                           "per_video_ap": dict(sorted(per_video_ap.items()))}
    for metric in METRICS:
        values = np.array([r[metric] for r in runs])
        out[metric] = round(float(values.mean()), 4)
        out[f"{metric}_std"] = round(float(values.std()), 4)
    return out


# The reference loss: the paper's question is whether a robust loss beats the squared one.
REFERENCE_LOSS = "l2"


def versus_reference(runs: list[dict[str, Any]], *, resamples: int, level: float, seed: int
                     ) -> dict[str, dict[str, Any]]:
    """Per noise level, each loss's mAP difference from l2's, with its paired bootstrap
    interval over the test videos, and whether any loss differs from l2 beyond it."""
    cells = {(r["loss"], f"{r['noise']:g}"): r.get("per_video_ap") or {} for r in runs}
    out: dict[str, dict[str, Any]] = {}
    for noise in sorted({n for _, n in cells}, key=float):
        ref = cells.get((REFERENCE_LOSS, noise))
        if not ref:
            out[noise] = {"differs": None, "reason": f"no {REFERENCE_LOSS} run at this noise"}
            continue
        losses: dict[str, Any] = {}
        for (loss, n), ap in sorted(cells.items()):
            if n != noise or loss == REFERENCE_LOSS or not ap:
                continue
            videos = sorted(set(ap) & set(ref))
            losses[loss] = paired_bootstrap([ap[v] for v in videos], [ref[v] for v in videos],
                                            resamples=resamples, level=level, seed=seed)
        out[noise] = {"differs": any(c["separated"] for c in losses.values()),
                      "losses": losses}
    return out


def ablation_table(runs: list[dict[str, Any]], params: dict[str, Any],
                   vs_reference: dict[str, dict[str, Any]] | None = None,
                   level: float = 0.95) -> tuple[dict[str, Any], str]:
    """metrics/ablation.json ({loss: {noise: {mAP, nMSD...}}}, the comparison with l2) and a
    Markdown report."""
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
    summary: dict[str, Any] = {"table": table, "best_by_noise": best}
    if vs_reference is not None:
        summary[f"vs_{REFERENCE_LOSS}"] = vs_reference
        lines += [f"mAP difference from {REFERENCE_LOSS}, points, with its {100 * level:g}% "
                  "paired bootstrap interval over the test videos (seeds averaged per "
                  "video); * marks an interval that excludes 0.", ""]
        for noise, cmp in vs_reference.items():
            if cmp.get("differs") is None:
                lines.append(f"- noise {noise}: {cmp['reason']}")
                continue
            parts = [f"{loss} {100 * c['diff']:+.1f} [{100 * c['low']:+.1f}, "
                     f"{100 * c['high']:+.1f}]{'*' if c['separated'] else ''}"
                     for loss, c in cmp["losses"].items() if c["diff"] is not None]
            verdict = (f"some loss differs from {REFERENCE_LOSS}" if cmp["differs"]
                       else f"no loss differs from {REFERENCE_LOSS} beyond its interval")
            lines.append(f"- noise {noise}: {'; '.join(parts) or '-'} ({verdict})")
        lines.append("")
    return summary, "\n".join(lines)


def ablation_run_stage(params: dict[str, Any], loss: str, noise: float,
                       out: Path | None = None) -> dict[str, Any]:
    """One DVC matrix cell: ``data/ablation/<loss>_<noise>.json``."""
    result = ablation_run(corpus_videos(params), params, loss, noise)
    write_json(out or paths.ABLATION_DIR / f"{loss}_{noise:g}.json", result)
    return result


def ablation_report_stage(params: dict[str, Any]) -> str:
    """``metrics/ablation.json`` and ``metrics/ablation.md`` from every cell."""
    ab = params["ablation"]
    cells = {(loss, float(noise)) for loss in ab["losses"] for noise in ab["noise_levels"]}
    # Only this matrix's cells: a run of another matrix (`exp run -S ablation.losses=...`)
    # leaves its files behind, and they must not enter this table.
    runs = [r for r in (read_json(p) for p in sorted(paths.ABLATION_DIR.glob("*.json")))
            if isinstance(r, dict) and (r.get("loss"), float(r.get("noise") or 0)) in cells]
    rk = params["ranking"]
    vs = versus_reference(runs, resamples=rk["bootstrap_resamples"], level=rk["confidence"],
                          seed=params["seed"])
    summary, report = ablation_table(runs, params["ablation"], vs, rk["confidence"])
    write_json(paths.metrics_file("ablation"), summary)
    write_text(paths.METRICS_DIR / "ablation.md", report)
    return report
