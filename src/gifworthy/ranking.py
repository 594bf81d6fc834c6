"""GIF-suitability rankers: the Video2GIF robust RankNet, a LightGBM lambdarank baseline,
and two simple baselines, trained and evaluated on the same segments, features and splits.

Data: one features file per video (segment table + feature matrix) and the aligned GIFs.
Training pairs are formed only within a video: every positive segment against ``k`` sampled
negatives of the same video. Features are standardised with statistics of the training
segments only. Scores are per segment; evaluation broadcasts them to frames
(``metrics.frame_scores``) so every method is scored at the same granularity.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .metrics import average_precision, frame_scores, gif_masks, nmsd
from .segments import NEGATIVE, POSITIVE

__all__ = ["Video", "load_videos", "split_videos", "Scaler", "make_pairs", "ranking_loss",
           "train_ranknet", "RankNetEnsemble", "train_lightgbm", "evaluate_method",
           "random_scores", "heuristic_scores", "LOSSES"]

LOSSES = ("l1", "l2", "huber", "adaptive_huber")


@dataclasses.dataclass
class Video:
    youtube_id: str
    features: np.ndarray          # segments x d
    starts: np.ndarray            # segment start frames
    ends: np.ndarray              # segment end frames (exclusive)
    labels: np.ndarray            # 1 positive, 0 negative, -1 ignored
    popularity: np.ndarray        # per segment: normalised popularity of its GIF (0 if none)
    gifs: list[tuple[int, int]]   # aligned GIF frame intervals
    n_frames: int
    split: str
    names: list[str]
    fps: float = 25.0             # decoded frames a second (segment frames -> seconds)


def load_videos(features_files: list[Path], alignments: dict[str, list[dict[str, Any]]],
                n_frames: dict[str, int], splits: dict[str, str], views: dict[str, float],
                fps: dict[str, float] | None = None) -> list[Video]:
    """Videos with features and at least one aligned GIF. ``views`` per gif_id gives the
    popularity, normalised over the corpus as log-views scaled to [0, 1]."""
    from .features import load_video_features

    logv = {g: math.log1p(max(float(v), 0.0)) for g, v in views.items()}
    lo, hi = (min(logv.values()), max(logv.values())) if logv else (0.0, 1.0)
    span = (hi - lo) or 1.0
    videos = []
    for path in features_files:
        yid = path.stem
        f = load_video_features(path)
        gifs = [(int(r["start_frame"]), int(r["end_frame"])) for r in alignments.get(yid, [])
                if r.get("aligned")]
        if f["error"] or not len(f["matrix"]) or not gifs:
            continue
        seg = f["segments"]
        pop = np.array([(logv[g] - lo) / span if g in logv else 0.0 for g in f["gif_id"]])
        videos.append(Video(yid, f["matrix"].astype(np.float64), seg["start_frame"].astype(int),
                            seg["end_frame"].astype(int), seg["label"].astype(int), pop, gifs,
                            int(n_frames.get(yid, int(seg["end_frame"].max()))),
                            splits.get(yid, "train"), f["names"],
                            (fps or {}).get(yid) or 25.0))
    return videos


def split_videos(videos: list[Video], validation_share: float, seed: int
                 ) -> dict[str, list[Video]]:
    """train / val / test: test from the corpus's own split (Video2GIF's testset.txt);
    validation a deterministic share of the training videos that have positives."""
    test = [v for v in videos if v.split == "test"]
    train = sorted((v for v in videos if v.split != "test"), key=lambda v: v.youtube_id)
    rng = np.random.default_rng(seed)
    with_pos = [v for v in train if (v.labels == POSITIVE).any()]
    n_val = max(1, int(round(validation_share * len(with_pos)))) if len(with_pos) > 2 else 0
    val_ids = {v.youtube_id for v in rng.permutation(np.array(with_pos, dtype=object))[:n_val]}
    return {"train": [v for v in train if v.youtube_id not in val_ids],
            "val": [v for v in train if v.youtube_id in val_ids], "test": test}


@dataclasses.dataclass
class Scaler:
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, videos: list[Video]) -> "Scaler":
        x = np.concatenate([v.features for v in videos])
        std = x.std(axis=0)
        return cls(x.mean(axis=0), np.where(std > 1e-8, std, 1.0))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return (x - self.mean) / self.std


def make_pairs(videos: list[Video], k: int, rng: np.random.Generator
               ) -> list[tuple[int, int, int, float]]:
    """(video, positive, negative, popularity) pairs: every positive segment of a video with
    ``k`` of its negatives (all of them when it has fewer). Videos without a positive or a
    negative give none (they are kept for scoring)."""
    pairs = []
    for vi, v in enumerate(videos):
        pos = np.flatnonzero(v.labels == POSITIVE)
        neg = np.flatnonzero(v.labels == NEGATIVE)
        if not len(pos) or not len(neg):
            continue
        for p in pos:
            chosen = neg if len(neg) <= k else rng.choice(neg, size=k, replace=False)
            pairs += [(vi, int(p), int(n), float(v.popularity[p])) for n in chosen]
    return pairs


def ranking_loss(u: Any, kind: str, delta: float, popularity: Any = None) -> Any:
    """Loss on u = 1 - h(s+) + h(s-) (torch tensors): l1 = max(0, u), l2 = max(0, u)^2,
    huber = quadratic up to delta and linear beyond, adaptive_huber with delta + popularity."""
    import torch

    u = torch.clamp(u, min=0.0)
    if kind == "l1":
        return u
    if kind == "l2":
        return u * u
    if kind in ("huber", "adaptive_huber"):
        d = delta + (popularity if kind == "adaptive_huber" else 0.0)
        return torch.where(u <= d, 0.5 * u * u, d * (u - 0.5 * d))
    raise ValueError(f"unknown loss {kind!r}; choose from {LOSSES}")


def _network(d: int, dropout: float) -> Any:
    import torch.nn as nn

    return nn.Sequential(nn.Linear(d, 512), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(512, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, 1))


@dataclasses.dataclass
class RankNetEnsemble:
    """N RankNets from different seeds; the score of a segment is their mean."""

    scaler: Scaler
    states: list[dict[str, Any]]
    dim: int
    dropout: float

    def score(self, features: np.ndarray) -> np.ndarray:
        import torch

        x = torch.from_numpy(self.scaler(features).astype(np.float32))
        out = np.zeros(len(features))
        for state in self.states:
            net = _network(self.dim, self.dropout)
            net.load_state_dict(state)
            net.eval()
            with torch.inference_mode():
                out += net(x)[:, 0].numpy()
        return out / max(len(self.states), 1)

    def save(self, directory: Path) -> None:
        import torch

        from .fsutil import atomic_path

        directory.mkdir(parents=True, exist_ok=True)
        with atomic_path(directory / "ranknet.pt") as tmp:
            torch.save({"states": self.states, "dim": self.dim, "dropout": self.dropout,
                        "mean": self.scaler.mean, "std": self.scaler.std}, tmp)

    @classmethod
    def load(cls, directory: Path) -> "RankNetEnsemble":
        import torch

        blob = torch.load(Path(directory) / "ranknet.pt", weights_only=False)
        return cls(Scaler(blob["mean"], blob["std"]), blob["states"], blob["dim"], blob["dropout"])


def train_ranknet(train: list[Video], val: list[Video], params: dict[str, Any], seed: int, *,
                  log: Callable[[int, int, dict[str, float]], None] | None = None
                  ) -> RankNetEnsemble:
    """Train ``params["models"]`` RankNets (seeds ``seed``, ``seed + 1``...), each with
    Nesterov SGD, weight decay and step decay, on pairs re-sampled every epoch.
    ``log(model, epoch, values)`` receives the train loss and validation pair accuracy."""
    import torch

    scaler = Scaler.fit(train)
    x_train = [torch.from_numpy(scaler(v.features).astype(np.float32)) for v in train]
    x_val = [torch.from_numpy(scaler(v.features).astype(np.float32)) for v in val]
    dim = train[0].features.shape[1]
    states = []
    for m in range(int(params["models"])):
        model_seed = seed + m
        torch.manual_seed(model_seed)
        rng = np.random.default_rng(model_seed)
        net = _network(dim, params["dropout"])
        opt = torch.optim.SGD(net.parameters(), lr=params["lr"], momentum=params["momentum"],
                              nesterov=True, weight_decay=params["weight_decay"])
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=params["lr_step_epochs"],
                                                gamma=params["lr_gamma"])
        for epoch in range(int(params["epochs"])):
            net.train()
            pairs = make_pairs(train, int(params["negatives_per_positive"]), rng)
            order = rng.permutation(len(pairs))
            total, count = 0.0, 0
            for b in range(0, len(order), int(params["batch_pairs"])):
                batch = [pairs[i] for i in order[b:b + int(params["batch_pairs"])]]
                pos = torch.stack([x_train[vi][p] for vi, p, _, _ in batch])
                neg = torch.stack([x_train[vi][n] for vi, _, n, _ in batch])
                pop = torch.tensor([q for *_, q in batch], dtype=torch.float32)
                u = 1.0 - net(pos)[:, 0] + net(neg)[:, 0]
                loss = ranking_loss(u, params["loss"], params["huber_delta"], pop).mean()
                opt.zero_grad()
                loss.backward()
                # The squared loss is unbounded: one bad pair early in training can blow the
                # weights up (NaN scores with l2 at lr 0.01); clipping keeps every loss stable.
                torch.nn.utils.clip_grad_norm_(net.parameters(), params["max_grad_norm"])
                opt.step()
                total += float(loss.detach()) * len(batch)
                count += len(batch)
            sched.step()
            if log is not None:
                log(m, epoch, {"train_loss": total / max(count, 1),
                               "val_pair_accuracy": _pair_accuracy(net, val, x_val)})
        states.append({k: v.detach().clone() for k, v in net.state_dict().items()})
    return RankNetEnsemble(scaler, states, dim, params["dropout"])


def _pair_accuracy(net: Any, videos: list[Video], xs: list[Any]) -> float:
    import torch

    net.eval()
    right = total = 0
    with torch.inference_mode():
        for v, x in zip(videos, xs):
            s = net(x)[:, 0].numpy()
            pos, neg = s[v.labels == POSITIVE], s[v.labels == NEGATIVE]
            right += int((pos[:, None] > neg[None, :]).sum())
            total += len(pos) * len(neg)
    return right / total if total else float("nan")


def train_lightgbm(train: list[Video], val: list[Video], params: dict[str, Any], seed: int
                   ) -> Any:
    """LightGBM lambdarank, one query group per video (labelled segments only).

    The number of boosting rounds is chosen by early stopping on validation videos: the
    training and validation videos are dealt into ``cv_folds`` folds by video, one booster
    per fold trains in lockstep, and training stops ``early_stopping_rounds`` after the best
    mean validation NDCG@3; the final model is then fit on all of those videos with the best
    round count. Why folds: with one small validation split (8 videos on the sample corpus)
    NDCG@3 saturates within a few rounds, and its noisy early stop left 5-36-tree models
    (56 mAP on the sample's test videos); the fold mean settles near 100 rounds (62 mAP).
    """
    import lightgbm as lgb

    def dataset(videos: list[Video]) -> tuple[np.ndarray, np.ndarray, list[int]]:
        xs, ys, groups = [], [], []
        for v in videos:
            keep = v.labels != -1
            if keep.sum() < 2 or not (v.labels[keep] == POSITIVE).any():
                continue
            xs.append(v.features[keep])
            ys.append((v.labels[keep] == POSITIVE).astype(int))
            groups.append(int(keep.sum()))
        if not xs:
            return np.zeros((0, (train or val)[0].features.shape[1])), np.zeros(0), []
        return np.concatenate(xs), np.concatenate(ys), groups

    booster_params = {"objective": "lambdarank", "metric": "ndcg", "ndcg_eval_at": [3],
                      "learning_rate": params["learning_rate"], "num_leaves": params["num_leaves"],
                      "min_data_in_leaf": params["min_data_in_leaf"],
                      "feature_fraction": params["feature_fraction"], "seed": seed,
                      "deterministic": True, "force_col_wise": True, "num_threads": 2,
                      "verbose": -1}
    videos = [v for v in train + val if (v.labels == POSITIVE).any() and (v.labels == 0).any()]
    k = min(params["cv_folds"], len(videos))
    rounds = params["rounds"]
    history: list[float] = []
    if k >= 2:
        order = np.random.default_rng(seed).permutation(len(videos))
        folds = []
        for f in range(k):
            held = set(order[f::k].tolist())
            x, y, g = dataset([v for i, v in enumerate(videos) if i not in held])
            xv, yv, gv = dataset([videos[i] for i in sorted(held)])
            fold_set = lgb.Dataset(x, y, group=g)
            booster = lgb.Booster(params=booster_params, train_set=fold_set)
            booster.add_valid(lgb.Dataset(xv, yv, group=gv, reference=fold_set), "val")
            folds.append(booster)
        for r in range(params["rounds"]):
            for booster in folds:
                booster.update()
            history.append(float(np.mean([b.eval_valid()[0][2] for b in folds])))
            if r - int(np.argmax(history)) >= params["early_stopping_rounds"]:
                break
        rounds = 1 + int(np.argmax(history))
    x, y, g = dataset(videos or train)
    booster = lgb.train(booster_params, lgb.Dataset(x, y, group=g), num_boost_round=rounds)
    booster.best_iteration = rounds
    return booster


def random_scores(video: Video, seed: int) -> np.ndarray:
    """One random score per segment (held constant over its frames)."""
    rng = np.random.default_rng([seed, int.from_bytes(video.youtube_id.encode()[:8], "little")])
    return rng.random(len(video.labels))


def heuristic_scores(video: Video, feature: str = "motion_diff_mean") -> np.ndarray:
    """A single feature as the score (motion by default: GIFs favour action)."""
    if feature in video.names:
        return video.features[:, video.names.index(feature)].copy()
    return (video.ends - video.starts).astype(float)  # fall back to segment length


def evaluate_method(videos: list[Video], scorer: Callable[[Video], np.ndarray]
                    ) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """mAP and mean nMSD over ``videos`` (frame level, segment scores broadcast), plus one
    row per video."""
    rows = []
    for v in videos:
        scores = frame_scores(list(zip(v.starts, v.ends)), scorer(v), v.n_frames)
        masks = gif_masks(v.gifs, v.n_frames)
        union = np.clip(np.sum(masks, axis=0), 0, 1)
        if not union.any():
            continue
        rows.append({"youtube_id": v.youtube_id, "ap": average_precision(union, scores),
                     "nmsd": nmsd(masks, scores), "gifs": len(v.gifs),
                     "segments": len(v.labels)})
    summary = {"mAP": float(np.mean([r["ap"] for r in rows])) if rows else float("nan"),
               "nMSD": float(np.mean([r["nmsd"] for r in rows])) if rows else float("nan"),
               "videos": len(rows)}
    return summary, rows


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True)


def with_label_noise(videos: list[Video], share: float, seed: int) -> list[Video]:
    """Copies of ``videos`` where a ``share`` of positive segments trade places with a
    random negative of the same video (a GIF made of a dull moment: label noise)."""
    if share <= 0:
        return videos
    rng = np.random.default_rng(seed)
    out = []
    for v in videos:
        labels = v.labels.copy()
        popularity = v.popularity.copy()
        for p in np.flatnonzero(v.labels == POSITIVE):
            negatives = np.flatnonzero(labels == NEGATIVE)
            if len(negatives) and rng.random() < share:
                n = rng.choice(negatives)
                labels[p], labels[n] = NEGATIVE, POSITIVE
                popularity[n], popularity[p] = popularity[p], 0.0
        out.append(dataclasses.replace(v, labels=labels, popularity=popularity))
    return out


def corpus_videos(params: dict[str, Any]) -> list[Video]:
    """The corpus's videos as the pipeline left them: features, segment labels, aligned
    GIFs, frame counts, splits (manifest) and GIF views (manifest)."""
    import csv

    from . import layout
    from .fsutil import read_json
    from .shots import load_shots

    files = sorted(layout.features_dir(params).glob("*.npz"))
    alignments = {p.stem: read_json(p) for p in (layout.ALIGN_DIR / "status").glob("*.json")}
    shots = {p.stem: load_shots(p, "transnet") for p in layout.shots_dir(params).glob("*.npz")}
    n_frames = {k: v["n_frames"] for k, v in shots.items()}
    fps = {k: v["fps"] for k, v in shots.items()}
    splits, views = {}, {}
    if layout.DOWNLOADS_CSV.exists():
        with open(layout.DOWNLOADS_CSV, newline="", encoding="utf-8") as fh:
            splits = {r["youtube_id"]: r["split"] for r in csv.DictReader(fh)}
    if layout.GIFS_CSV.exists():
        with open(layout.GIFS_CSV, newline="", encoding="utf-8") as fh:
            views = {r["gif_id"]: float(r["views"] or 0) for r in csv.DictReader(fh)}
    return load_videos(files, alignments, n_frames, splits, views, fps)


def train_all(videos: list[Video], params: dict[str, Any], out_dir: Path, *,
              live_dir: Path | None = None) -> dict[str, Any]:
    """Train RankNet (an ensemble) and LightGBM once per seed of ``ranking.seeds``; save
    them under ``out_dir`` (``ranknet/seed<N>/``, ``lightgbm/seed<N>.txt``). Per-epoch
    curves of the first seed go to DVCLive in ``live_dir``. Returns timings and sizes."""
    rk = params["ranking"]
    split = split_videos(videos, rk["validation_share"], params["seed"])
    train = with_label_noise(split["train"], rk["label_noise"], params["seed"])
    out_dir.mkdir(parents=True, exist_ok=True)
    if not make_pairs(train, 1, np.random.default_rng(0)):
        # An empty or unlabelled corpus still runs through the pipeline: no model, a reason.
        return {"videos": {k: len(v) for k, v in split.items()}, "pairs_per_epoch": 0,
                "seconds": {"ranknet": 0.0, "lightgbm": 0.0},
                "skipped": "no training pairs: no training video has both a positive and a "
                           "negative segment"}
    info: dict[str, Any] = {"videos": {k: len(v) for k, v in split.items()},
                            "pairs_per_epoch": len(make_pairs(
                                train, params["ranknet"]["negatives_per_positive"],
                                np.random.default_rng(0))),
                            "seconds": {"ranknet": 0.0, "lightgbm": 0.0}}
    live = None
    for i, seed in enumerate(rk["seeds"]):
        log = None
        if i == 0 and live_dir is not None:
            from dvclive import Live

            # dvcyaml=None: the project's dvc.yaml declares these plots itself; by default
            # DVCLive would rewrite dvc.yaml (adding every directory it ever logged to).
            live = Live(str(live_dir), save_dvc_exp=False, report=None, dvcyaml=None)

            def log(model: int, epoch: int, values: dict[str, float]) -> None:
                # The ensemble's nets train one after another: each curve is indexed by
                # its own epoch, so set the step rather than advance it.
                live.step = epoch
                for name, value in values.items():
                    live.log_metric(f"model{model}/{name}", value, plot=True)
        ens, t = timed(lambda: train_ranknet(train, split["val"], params["ranknet"], seed,
                                             log=log))
        info["seconds"]["ranknet"] += t
        ens.save(out_dir / "ranknet" / f"seed{seed}")
        booster, t = timed(lambda: train_lightgbm(train, split["val"], params["lightgbm"], seed))
        info["seconds"]["lightgbm"] += t
        (out_dir / "lightgbm").mkdir(parents=True, exist_ok=True)
        from .fsutil import write_text

        write_text(out_dir / "lightgbm" / f"seed{seed}.txt", booster.model_to_string())
        info.setdefault("lightgbm_best_iteration", []).append(int(booster.best_iteration or 0))
    if live is not None:
        live.end()
    return info


def evaluate_all(videos: list[Video], params: dict[str, Any], models_dir: Path
                 ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """mAP and nMSD of every method on the test videos, per seed and as mean +- std over
    seeds; one row per (method, seed, video)."""
    import lightgbm as lgb

    rk = params["ranking"]
    test = split_videos(videos, rk["validation_share"], params["seed"])["test"]
    if not test or not (models_dir / "ranknet" / f"seed{rk['seeds'][0]}").exists():
        return {"test_videos": len(test), "seeds": list(rk["seeds"]),
                "skipped": "no test video or no trained model"}, []
    methods: dict[str, list[dict[str, float]]] = {}
    rows: list[dict[str, Any]] = []
    for seed in rk["seeds"]:
        ens = RankNetEnsemble.load(models_dir / "ranknet" / f"seed{seed}")
        booster = lgb.Booster(model_file=str(models_dir / "lightgbm" / f"seed{seed}.txt"))
        scorers = {
            "ranknet": lambda v: ens.score(v.features),
            "lightgbm": lambda v: booster.predict(v.features),
            "random": lambda v, s=seed: random_scores(v, s),
            "heuristic": lambda v: heuristic_scores(v, rk["heuristic_feature"]),
        }
        for name, scorer in scorers.items():
            summary, per_video = evaluate_method(test, scorer)
            methods.setdefault(name, []).append(summary)
            rows += [{"method": name, "seed": seed, **r} for r in per_video]
    result: dict[str, Any] = {"test_videos": len(test), "seeds": list(rk["seeds"])}
    for name, runs in methods.items():
        maps = np.array([r["mAP"] for r in runs])
        nmsds = np.array([r["nMSD"] for r in runs])
        result[name] = {"mAP": round(float(maps.mean()), 4), "mAP_std": round(float(maps.std()), 4),
                        "nMSD": round(float(nmsds.mean()), 4),
                        "nMSD_std": round(float(nmsds.std()), 4)}
    return result, rows


def write_ranked(videos: list[Video], params: dict[str, Any], models_dir: Path, out_dir: Path
                 ) -> dict[str, list[dict[str, Any]]]:
    """The first seed's RankNet top-k segments of every test video, made into GIFs (the
    explorer shows them beside the ground truth), and ``ranked.json`` describing them."""
    from . import layout
    from .fsutil import write_json
    from .gifify import gifify

    rk = params["ranking"]
    test = split_videos(videos, rk["validation_share"], params["seed"])["test"]
    if not (models_dir / "ranknet" / f"seed{rk['seeds'][0]}").exists():
        test = []
    ranked: dict[str, list[dict[str, Any]]] = {}
    if not test:
        write_json(out_dir / "ranked.json", ranked)
        return ranked
    ens = RankNetEnsemble.load(models_dir / "ranknet" / f"seed{rk['seeds'][0]}")
    g = params["gifify"]
    for v in test:
        scores = ens.score(v.features)
        src = layout.source_video(params, v.youtube_id)
        rows = []
        for rank, i in enumerate(np.argsort(-scores, kind="stable")[:rk["top_k"]], 1):
            start, end = v.starts[i] / v.fps, v.ends[i] / v.fps
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


def ablation_run(videos: list[Video], params: dict[str, Any], loss: str, noise: float
                 ) -> dict[str, Any]:
    """One cell of the loss x label-noise table: RankNet with ``loss`` trained on labels
    with ``noise`` extra label noise, once per seed; test mAP and nMSD per seed."""
    rk = params["ranking"]
    split = split_videos(videos, rk["validation_share"], params["seed"])
    net_params = {**params["ranknet"], "loss": loss, "models": params["ablation"]["models"]}
    if not split["test"] or not make_pairs(split["train"], 1, np.random.default_rng(0)):
        return {"loss": loss, "noise": noise, "runs": [], "mAP": None, "mAP_std": None,
                "nMSD": None, "nMSD_std": None, "skipped": "no training pairs or no test video"}
    runs = []
    for seed in rk["seeds"]:
        train = with_label_noise(split["train"], noise, seed)
        ens, seconds = timed(lambda: train_ranknet(train, split["val"], net_params, seed))
        summary, _ = evaluate_method(split["test"], lambda v: ens.score(v.features))
        runs.append({"seed": seed, **summary, "train_seconds": round(seconds, 2)})
    maps = np.array([r["mAP"] for r in runs])
    nmsds = np.array([r["nMSD"] for r in runs])
    return {"loss": loss, "noise": noise, "runs": runs,
            "mAP": round(float(maps.mean()), 4), "mAP_std": round(float(maps.std()), 4),
            "nMSD": round(float(nmsds.mean()), 4), "nMSD_std": round(float(nmsds.std()), 4)}


def ablation_table(runs: list[dict[str, Any]], params: dict[str, Any]
                   ) -> tuple[dict[str, Any], str]:
    """metrics/ablation.json ({loss: {noise: {mAP, nMSD...}}}) and a Markdown report."""
    table: dict[str, dict[str, Any]] = {}
    for r in runs:
        table.setdefault(r["loss"], {})[f"{r['noise']:g}"] = {
            k: r[k] for k in ("mAP", "mAP_std", "nMSD", "nMSD_std")}
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


def rank_video(video: Path, params: dict[str, Any], models_dir: Path, out_dir: Path, top: int
               ) -> dict[str, Any]:
    """Shots, segments, features and the trained RankNet on any video file; the ``top``
    segments become GIFs in ``out_dir``. Returns every segment's score and the time per
    step."""
    from .features import extract_features
    from .gifify import gifify
    from .segments import split_shots
    from .shots import cuts_to_shots, detect_shots

    seconds: dict[str, float] = {}
    t = time.perf_counter()
    found = detect_shots(video, transnet_threshold=params["shots"]["transnet_threshold"],
                         scenedetect_threshold=params["shots"]["scenedetect_threshold"])
    seconds["shots"] = time.perf_counter() - t
    t = time.perf_counter()
    fps = found["fps"]
    shots = cuts_to_shots(found["cuts"][params["shots"]["detector"]], found["n_frames"])
    segs = split_shots(shots, fps, params["segments"]["min_sec"], params["segments"]["max_sec"])
    seconds["segments"] = time.perf_counter() - t
    if not segs:
        raise ValueError(f"{video}: no segment of at least {params['segments']['min_sec']} s")
    t = time.perf_counter()
    feats = extract_features(str(video), segs, params["features"],
                             transnet_per_second=found["features_per_second"])
    seconds["features"] = time.perf_counter() - t
    t = time.perf_counter()
    ens = RankNetEnsemble.load(models_dir / "ranknet" /
                               f"seed{params['ranking']['seeds'][0]}")
    if feats["matrix"].shape[1] != ens.dim:
        raise ValueError(f"the model expects {ens.dim} features, the extractors in params.yaml "
                         f"give {feats['matrix'].shape[1]}: train with the same features")
    scores = ens.score(feats["matrix"].astype(np.float64))
    seconds["score"] = time.perf_counter() - t
    t = time.perf_counter()
    g = params["gifify"]
    best = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for rank, i in enumerate(np.argsort(-scores, kind="stable")[:top], 1):
        s = segs[int(i)]
        name = f"rank{rank}_{s['start_sec']:.2f}-{s['end_sec']:.2f}.gif"
        gifify(video, out_dir / name, start=s["start_sec"], end=s["end_sec"],
               sample_fps=g["sample_fps"], play_fps=g["play_fps"], width=g["width"],
               colors=g["colors"], dither=g["dither"])
        best.append({"rank": rank, "file": name, "start_sec": s["start_sec"],
                     "end_sec": s["end_sec"], "score": round(float(scores[i]), 4)})
    seconds["gifs"] = time.perf_counter() - t
    total = sum(seconds.values())
    return {"video": str(video), "duration_sec": round(found["n_frames"] / fps, 3),
            "top": best,
            "segments": [{**s, "score": round(float(sc), 4)} for s, sc in zip(segs, scores)],
            "seconds": {k: round(v, 3) for k, v in seconds.items()},
            "share": {k: round(v / total, 3) for k, v in seconds.items()} if total else {}}
