"""The train stage: every ranker of ``ranking.methods`` once per seed of ``ranking.seeds`` on
the same features and splits, saved under ``models/ranking/<method>/seed<N>/``; the first
seed's RankNet curves go to DVCLive (``dvclive/train``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import numpy as np

from gifworthy.core.fsutil import write_json
from gifworthy.pipeline import paths
from gifworthy.ranking.data import (
    Video,
    corpus_videos,
    make_pairs,
    timed,
    training_split,
    with_label_noise,
)
from gifworthy.ranking.models import get_ranker, model_dir

__all__ = ["dumps", "train_all", "train_stage"]


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True)


def _live_logger(live_dir: Path) -> tuple[Any, Callable[[int, int, dict[str, float]], None]]:
    from dvclive.live import Live

    # dvcyaml=None: the project's dvc.yaml declares these plots itself; by default DVCLive
    # would rewrite dvc.yaml (adding every directory it ever logged to).
    live = Live(str(live_dir), save_dvc_exp=False, report=None, dvcyaml=None)

    def log(model: int, epoch: int, values: dict[str, float]) -> None:
        # The ensemble's nets train one after another: each curve is indexed by its own
        # epoch, so set the step rather than advance it.
        live.step = epoch
        for name, value in values.items():
            live.log_metric(f"model{model}/{name}", value, plot=True)

    return live, log


def train_all(videos: list[Video], params: dict[str, Any], out_dir: Path, *,
              live_dir: Path | None = None) -> dict[str, Any]:
    """Train every ranker of ``ranking.methods`` once per seed of ``ranking.seeds``; save
    them under ``out_dir``. Returns timings and sizes."""
    rk = params["ranking"]
    methods = list(rk["methods"])
    split = training_split(videos, params)
    train = with_label_noise(split["train"], rk["label_noise"], params["seed"])
    out_dir.mkdir(parents=True, exist_ok=True)
    seconds = dict.fromkeys(methods, 0.0)
    if not make_pairs(train, 1, np.random.default_rng(0)):
        # An empty or unlabelled corpus still runs through the pipeline: no model, a reason.
        return {"videos": {k: len(v) for k, v in split.items()}, "pairs_per_epoch": 0,
                "seconds": seconds,
                "skipped": "no training pairs: no training video has both a positive and a "
                           "negative segment"}
    info: dict[str, Any] = {"videos": {k: len(v) for k, v in split.items()},
                            "pairs_per_epoch": len(make_pairs(
                                train, params["ranknet"]["negatives_per_positive"],
                                np.random.default_rng(0))),
                            "seconds": seconds}
    live = None
    for i, seed in enumerate(rk["seeds"]):
        for method in methods:
            log = None
            if method == "ranknet" and i == 0 and live_dir is not None:
                live, log = _live_logger(live_dir)
            ranker, t = timed(lambda: get_ranker(method).fit(train, split["val"], params, seed,
                                                             log=log))
            seconds[method] += t
            ranker.save(model_dir(out_dir, method, seed))
            if method == "lightgbm":
                info.setdefault("lightgbm_best_iteration", []).append(
                    int(getattr(ranker, "best_iteration", 0)))
    if live is not None:
        live.end()
    return info


def train_stage(params: dict[str, Any]) -> dict[str, Any]:
    """The DVC stage: train on the corpus, write ``models/ranking/training.json`` (and, for a
    corpus with nothing to learn, DVCLive's metrics file with the reason). The seconds each
    method took go to ``metrics/timings/train.json``, not into the cached models."""
    info = train_all(corpus_videos(params), params, paths.MODELS_DIR, live_dir=paths.LIVE_DIR)
    seconds = info.pop("seconds")
    write_json(paths.MODELS_DIR / "training.json", info)
    write_json(paths.timings_file("train"), {k: round(v, 2) for k, v in seconds.items()})
    if info.get("skipped"):  # nothing to log; the stage's outputs still exist, with the reason
        write_json(paths.LIVE_DIR / "metrics.json", {"skipped": info["skipped"]})
    return info
