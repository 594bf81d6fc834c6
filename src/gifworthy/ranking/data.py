"""The ranking data: one :class:`Video` per video with features and at least one aligned GIF
(its segments' features, labels, popularity and its GIFs' frames), the train/val/test split,
standardisation, within-video training pairs and synthetic label noise."""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from gifworthy.core.fsutil import read_json
from gifworthy.corpus.manifest import read_downloads, read_gif_rows
from gifworthy.features.stage import load_video_features
from gifworthy.media.probe import DEFAULT_FPS, frame_rate
from gifworthy.pipeline import paths
from gifworthy.pipeline.packs import unpack
from gifworthy.pipeline.records import read_records
from gifworthy.ranking.heat import HeatCurve, heat_curve, segment_heat, shifted
from gifworthy.segments import IGNORED, NEGATIVE, POSITIVE
from gifworthy.shots.stage import load_shots

__all__ = ["TARGETS", "Scaler", "Video", "corpus_videos", "heat_labels", "load_videos",
           "make_pairs", "split_videos", "timed", "training_split", "with_label_noise",
           "with_target"]

# What the learned rankers train on (``ranking.target``): the GIFs (Video2GIF), the replay
# heat ("Most replayed", a weak label every YouTube video with enough views has), or both.
TARGETS = ("gifs", "heat", "both")


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
    fps: float = DEFAULT_FPS      # decoded frames a second (segment frames -> seconds)
    heat: np.ndarray | None = None  # per segment: mean replay heat ("Most replayed"), if any


def load_videos(features_files: list[Path], alignments: dict[str, list[dict[str, Any]]],
                n_frames: dict[str, int], splits: dict[str, str], views: dict[str, float],
                fps: dict[str, float] | None = None,
                heat: dict[str, HeatCurve] | None = None) -> list[Video]:
    """Videos with features and at least one aligned GIF or a replay-heat curve. ``views``
    per gif_id gives the popularity, normalised over the corpus as log-views scaled to
    [0, 1]; ``heat`` per video its replay-heat curve (each segment gets the curve's mean over
    its span)."""
    logv = {g: math.log1p(max(float(v), 0.0)) for g, v in views.items()}
    lo, hi = (min(logv.values()), max(logv.values())) if logv else (0.0, 1.0)
    span = (hi - lo) or 1.0
    videos = []
    for path in features_files:
        yid = path.stem
        f = load_video_features(path)
        gifs = [(int(r["start_frame"]), int(r["end_frame"])) for r in alignments.get(yid, [])
                if r.get("aligned")]
        curve = (heat or {}).get(yid)
        if f["error"] or not len(f["matrix"]) or (not gifs and curve is None):
            continue
        seg = f["segments"]
        pop = np.array([(logv[g] - lo) / span if g in logv else 0.0 for g in f["gif_id"]])
        rate = frame_rate((fps or {}).get(yid))
        seg_heat = (segment_heat(curve, seg["start_frame"] / rate, seg["end_frame"] / rate)
                    if curve is not None else None)
        videos.append(Video(yid, f["matrix"].astype(np.float64), seg["start_frame"].astype(int),
                            seg["end_frame"].astype(int), seg["label"].astype(int), pop, gifs,
                            int(n_frames.get(yid, int(seg["end_frame"].max()))),
                            splits.get(yid, "train"), f["names"], rate, seg_heat))
    return videos


def split_videos(videos: list[Video], validation_share: float, seed: int
                 ) -> dict[str, list[Video]]:
    """train / val / test: test from the corpus's own split (Video2GIF's testset.txt), the
    videos there with GIFs (the measure is always the GIFs); validation a deterministic share
    of the training videos that have positives."""
    test = [v for v in videos if v.split == "test" and v.gifs]
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


def heat_labels(heat: np.ndarray, positive_share: float, negative_share: float
                ) -> np.ndarray:
    """Labels from one video's per-segment replay heat: its hottest ``positive_share`` of
    segments positive, its coolest ``negative_share`` negative, the rest ignored (ties at a
    border go with the border). A flat curve says nothing and labels nothing."""
    n = len(heat)
    labels = np.full(n, IGNORED, dtype=int)
    if n < 2 or not np.ptp(heat) > 0:
        return labels
    ordered = np.sort(heat)
    hot = ordered[n - max(1, int(round(positive_share * n)))]
    cool = ordered[max(1, int(round(negative_share * n))) - 1]
    if hot <= cool:
        return labels
    labels[heat >= hot] = POSITIVE
    labels[heat <= cool] = NEGATIVE
    return labels


def with_target(videos: list[Video], target: str, positive_share: float,
                negative_share: float) -> list[Video]:
    """The training videos as ``target`` labels them (:data:`TARGETS`):

    - ``gifs``: the GIF labels (Video2GIF); videos without an aligned GIF are left out.
    - ``heat``: :func:`heat_labels`, the popularity of a positive its heat scaled to [0, 1]
      within the video; videos without a heatmap are left out, videos without GIFs count.
    - ``both``: a segment is positive when the GIFs or the heat say so, negative when both
      do (GIF-negative and among the coolest); a video with only one of the two signals
      uses that one.
    """
    if target not in TARGETS:
        raise ValueError(f"ranking.target: {target!r} is not one of {', '.join(TARGETS)}")
    if target == "gifs":
        return [v for v in videos if v.gifs]
    out = []
    for v in videos:
        heat = v.heat if v.heat is not None and len(v.heat) == len(v.labels) else None
        hot_labels = (heat_labels(heat, positive_share, negative_share)
                      if heat is not None else None)
        if heat is None or hot_labels is None or not (hot_labels == POSITIVE).any():
            if target == "both" and v.gifs:  # no useful heat: the GIFs alone
                out.append(v)
            continue
        scaled = (heat - heat.min()) / np.ptp(heat)
        if target == "heat" or not v.gifs:
            labels = hot_labels
            popularity = np.where(labels == POSITIVE, scaled, 0.0)
        else:
            positive = (v.labels == POSITIVE) | (hot_labels == POSITIVE)
            negative = (v.labels == NEGATIVE) & (hot_labels == NEGATIVE)
            labels = np.where(positive, POSITIVE, np.where(negative, NEGATIVE, IGNORED))
            popularity = np.where(v.labels == POSITIVE, v.popularity,
                                  np.where(positive, scaled, 0.0))
        out.append(dataclasses.replace(v, labels=labels.astype(int), popularity=popularity))
    return out


def training_split(videos: list[Video], params: dict[str, Any]) -> dict[str, list[Video]]:
    """:func:`split_videos` with the training and validation videos labelled by
    ``ranking.target`` (:func:`with_target`); the test videos keep their GIF labels."""
    rk = params["ranking"]
    labelled = with_target([v for v in videos if v.split != "test"], rk["target"],
                           rk["heat_positive_share"], rk["heat_negative_share"])
    return split_videos([v for v in videos if v.split == "test"] + labelled,
                        rk["validation_share"], params["seed"])


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


# The fan-out stages whose per-item files the ranking stages read (evaluate cuts its top-k
# GIFs from the downloaded videos).
CORPUS_STAGES = ("features", "segments", "align", "shots", "download")


def corpus_videos(params: dict[str, Any]) -> list[Video]:
    """The corpus's videos as the pipeline left them: features, segment labels, aligned
    GIFs, frame counts, splits (manifest) and GIF views (manifest). Loose files are first
    brought in step with the stages' packs (a clone after ``dvc pull`` has only the packs)."""
    unpack(CORPUS_STAGES, params)
    files = paths.item_files(paths.features_dir(params), "*.npz")
    alignments = {p.stem: read_json(p)
                  for p in paths.item_files(paths.ALIGN_DIR / paths.STATUS, "*.json")}
    shots = {p.stem: load_shots(p, params["shots"]["detector"])
             for p in paths.item_files(paths.shots_dir(params), "*.npz")}
    n_frames = {k: v["n_frames"] for k, v in shots.items()}
    fps = {k: v["fps"] for k, v in shots.items()}
    downloads = read_downloads()
    splits = {i.youtube_id: i.split for i in downloads}
    splits.update({i.item_id: i.split for i in downloads})
    # A clip's heatmap is its whole video's: its seconds start at the clip's start.
    offsets = {i.item_id: i.start for i in downloads if i.start}
    views = {r["gif_id"]: float(r["views"] or 0) for r in read_gif_rows()}
    ids = [p.stem for p in files]
    records = read_records(paths.download_dir(params) / paths.STATUS, ids)
    heat = {yid: shifted(curve, offsets.get(yid, 0.0)) for yid, rec in zip(ids, records)
            if (curve := heat_curve(((rec or {}).get("info") or {}).get("heatmap"))) is not None}
    return load_videos(files, alignments, n_frames, splits, views, fps, heat)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0
