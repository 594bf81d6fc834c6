"""Screen time: labels, the classifier trained and validated by video, and `run` on videos."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from gifworthy.cli import main
from gifworthy.core.config import load_params
from gifworthy.media.probe import MediaError
from gifworthy.screentime.frames import extract_frames, load_frame, model_size, tiles
from gifworthy.screentime.labels import LabelError, LabelledFrame, read_labels
from gifworthy.screentime.model import (
    class_weights,
    image_features,
    load_model,
    predict_probs,
    save_model,
    smooth,
    train_model,
)
from gifworthy.screentime.run import run_video, screen_seconds, seconds_interval
from gifworthy.screentime.sample import build_screentime_sample, plan_video, truth_seconds
from gifworthy.screentime.validate import tune_thresholds
from support import ROOT, make_video

SMALL = {"labelled_videos": 3, "labelled_seconds": 8, "heldout_videos": 1, "heldout_seconds": 8,
         "empty_seconds": 4, "width": 320, "height": 180, "fps": 12}


def _frames(tmp: Path, names: list[str]) -> Path:
    import cv2

    root = tmp / "frames"
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / name), np.full((36, 64, 3), 90, np.uint8))
    return root


def _csv(tmp: Path, text: str) -> Path:
    path = tmp / "labels.csv"
    path.write_text(text)
    return path


# --------------------------------------------------------------------------------- labels
def test_labels_merge_rows_and_multi_label_cells(tmp_path):
    root = _frames(tmp_path, ["ep1/000000.jpg", "ep1/000001.jpg", "ep2_0007.jpg"])
    labels = _csv(tmp_path, "frame,label\nep1/000000.jpg,Tom;jerry\nep1/000001.jpg,none\n"
                            "ep2_0007.jpg,tom\nep2_0007.jpg,jerry\n")
    frames, classes = read_labels(labels, root)
    assert classes == ["jerry", "tom"]
    by_name = {f.path.name: f for f in frames}
    assert by_name["000000.jpg"].labels == {"tom", "jerry"}
    assert by_name["000001.jpg"].labels == frozenset() and by_name["000001.jpg"].second == 1
    assert by_name["ep2_0007.jpg"].labels == {"tom", "jerry"}
    assert by_name["ep2_0007.jpg"].video == "ep2" and by_name["ep2_0007.jpg"].second == 7
    assert by_name["000000.jpg"].video == "ep1"


@pytest.mark.parametrize("rows, classes, message", [
    ("ep1/000000.jpg,tom\nep1/000009.jpg,tom\n", None,
     "labels.csv:3: frame 'ep1/000009.jpg' not found"),
    ("../secret.jpg,tom\n", None, "labels.csv:2: frame '../secret.jpg' is outside"),
    ("/etc/passwd,tom\n", None, "is outside"),
    ("ep1/000000.jpg,\n", None, "labels.csv:2: empty label"),
    ("ep1/000000.jpg,tom;;jerry\n", None, "empty label"),
    ("ep1/000000.jpg,none;tom\n", None, "'none' cannot be combined with tom"),
    ("ep1/000000.jpg,tom\nep1/000000.jpg,none\n", None, "labelled both 'none' and tom"),
    ("ep1/000000.jpg,tomm\n", ["tom", "jerry"], "labels.csv:2: unknown class 'tomm'"),
    ("ep1/000000.jpg,tom\n", ["tom", "jerry"], "class 'jerry' has no labelled frame"),
    ("ep1/000000.jpg,none\n", None, "every frame is 'none'"),
    ("", None, "no labelled frames"),
    ("ep1/000000.jpg,<script>\n", None, "malformed class name"),
])
def test_bad_labels_name_the_file_and_line(tmp_path, rows, classes, message):
    root = _frames(tmp_path, ["ep1/000000.jpg"])
    with pytest.raises(LabelError, match=None) as err:
        read_labels(_csv(tmp_path, "frame,label\n" + rows), root, classes)
    assert message in str(err.value)


def test_all_label_problems_reported_at_once_and_missing_columns(tmp_path):
    root = _frames(tmp_path, ["a/000000.jpg"])
    with pytest.raises(LabelError) as err:
        read_labels(_csv(tmp_path, "frame,label\nx.jpg,tom\ny.jpg,tom\na/000000.jpg,\n"), root)
    assert [line.split(":")[1] for line in str(err.value).splitlines()] == ["2", "3", "4"]
    with pytest.raises(LabelError, match="need columns 'frame' and 'label'"):
        read_labels(_csv(tmp_path, "image,class\na/000000.jpg,tom\n"), root)
    with pytest.raises(LabelError, match="cannot read labels"):
        read_labels(tmp_path / "missing.csv", root)


def test_unreadable_frame_is_a_clear_error(tmp_path):
    root = tmp_path / "frames"
    (root / "ep1").mkdir(parents=True)
    (root / "ep1/000000.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(LabelError, match="000000.jpg: not a readable image"):
        load_frame(root / "ep1/000000.jpg")


# ---------------------------------------------------------------------------- pure pieces
def test_smoothing_and_seconds():
    probs = np.array([[0.0, 0.9], [0.9, 0.9], [0.0, 0.9], [0.0, 0.0], [0.0, 0.9]])
    sm = smooth(probs, 3)
    assert sm[0, 0] == pytest.approx(0.45) and sm[2, 0] == pytest.approx(0.3)
    assert np.array_equal(smooth(probs, 1), probs)
    on = sm >= 0.5
    assert on[:, 0].tolist() == [False, False, False, False, False]  # an isolated blip goes
    assert on[:, 1].tolist() == [True, True, True, True, False]  # a one-second gap is filled
    seconds = screen_seconds(on, ["tom", "jerry"], fps=1)
    assert seconds == {"tom": 0.0, "jerry": 4.0, "none": 1.0}
    assert screen_seconds(np.zeros((0, 2), bool), ["a", "b"], 1) == {
        "a": 0.0, "b": 0.0, "none": 0.0}
    assert class_weights(np.array([[1, 0], [0, 0], [0, 0], [0, 1]], float)).tolist() == [3, 3]


def test_seconds_interval_is_a_block_bootstrap():
    rng = np.random.default_rng(1)
    # 600 s: tom on in runs of 20 s half the time, jerry never, spike always.
    tom = (np.arange(600) // 20) % 2 == 0
    on = np.column_stack([tom, np.zeros(600, bool), np.ones(600, bool)])
    spec = {"level": 0.95, "resamples": 2000, "block_seconds": 10}
    got = seconds_interval(on, ["tom", "jerry", "spike"], 1.0, spec, seed=3)
    assert got["jerry"] == [0.0, 0.0] and got["spike"] == [600.0, 600.0]
    assert got["none"] == [0.0, 0.0]
    low, high = got["tom"]
    assert low < 300 < high and high - low < 200
    assert got == seconds_interval(on, ["tom", "jerry", "spike"], 1.0, spec, seed=3)
    # Blocks keep runs together: single seconds would claim a far narrower interval.
    single = seconds_interval(on, ["tom", "jerry", "spike"], 1.0,
                              dict(spec, block_seconds=1), seed=3)["tom"]
    assert single[1] - single[0] < (high - low) * 0.6
    # Videos of random runs: the interval holds the video's own total and is wider when
    # the runs are longer (fewer independent stretches).
    widths = []
    for mean_run in (4, 40):
        states = np.repeat(np.arange(400) % 2 == 0, rng.integers(1, 2 * mean_run, 400))[:600]
        lo, hi = seconds_interval(states[:, None], ["a"], 1.0, spec, seed=0)["a"]
        assert lo <= states.sum() <= hi
        widths.append(hi - lo)
    assert widths[0] < widths[1]
    assert seconds_interval(np.zeros((0, 1), bool), ["a"], 1.0, spec)["a"] == [0.0, 0.0]


def test_cells_keep_the_frame_shape_in_square_tiles():
    assert model_size(320, 180, "pooled") == (224, 224)
    assert model_size(320, 180, "cells") == (398, 224)  # 16:9: two tiles
    assert model_size(640, 480, "cells") == (298, 224)  # 4:3: two tiles
    assert model_size(180, 320, "cells") == (224, 398)  # portrait: tiles down the frame
    assert model_size(500, 500, "cells") == (224, 224)
    with pytest.raises(ValueError, match="screentime.head: 'grid'"):
        model_size(320, 180, "grid")
    with pytest.raises(MediaError, match="0x0"):
        model_size(0, 0, "cells")
    image = np.arange(224 * 398 * 3, dtype=np.uint32).reshape(224, 398, 3).astype(np.uint8)
    got = tiles(image)
    assert got.shape == (2, 224, 224, 3)
    assert np.array_equal(got[0], image[:, :224]) and np.array_equal(got[1], image[:, -224:])
    assert tiles(np.zeros((398, 224, 3), np.uint8)).shape == (2, 224, 224, 3)
    assert tiles(np.zeros((224, 224, 3), np.uint8)).shape == (1, 224, 224, 3)
    with pytest.raises(ValueError, match="short side must be 224"):
        tiles(np.zeros((180, 320, 3), np.uint8))


def test_cells_of_frames_of_any_shape_score_as_their_own_cells():
    """Bags of a 16:9 and a square frame: the square one's bag is padded to the other's
    length, and its score is the one its own cells give."""
    rng = np.random.default_rng(0)
    wide, square = (rng.integers(0, 255, (224, w, 3), dtype=np.uint8) for w in (398, 224))
    bags = image_features([wide, square], "cells", "torch")
    assert bags.shape == (2, 98, 1280)
    alone = image_features([square], "cells", "torch")
    assert alone.shape == (1, 49, 1280)
    assert np.abs(bags[1, :49] - alone[0]).max() <= 1e-4
    model = {"head": "cells", "classes": ["a"], "mean": torch_zeros(1280),
             "std": torch_zeros(1280) + 1,
             "state_dict": {"weight": torch_tensor(rng.normal(size=(1, 1280))),
                            "bias": torch_zeros(1)}}
    assert np.abs(predict_probs(model, bags)[1] - predict_probs(model, alone)[0]).max() <= 1e-5


def torch_zeros(n: int):
    import torch

    return torch.zeros(n)


def torch_tensor(a: np.ndarray):
    import torch

    return torch.from_numpy(a.astype(np.float32))


def test_cells_head_finds_the_one_cell_that_names_a_class(tmp_path):
    """Multiple-instance learning on bags of random cells: a class is in a bag when one
    cell carries its pattern, anywhere. The head learns it from the bags' labels alone,
    scores new bags right, and saves and loads to the same probabilities."""
    rng = np.random.default_rng(3)
    patterns = rng.normal(size=(2, 64)) * 3

    def bags(n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.normal(size=(n, 20, 64)).astype(np.float32)
        y = rng.random((n, 2)) < 0.35
        for i, j in zip(*np.nonzero(y)):
            x[i, rng.integers(20)] += patterns[j]
        return x, y.astype(np.float32)

    x, y = bags(400)
    p = {"head": "cells", "hidden": 0, "dropout": 0.2, "epochs": 25, "batch": 32, "lr": 0.01,
         "weight_decay": 0.0, "smooth_seconds": 1, "fps": 1, "mosaic_negatives": 100}
    model = train_model(x, y, p, seed=0)
    model["classes"] = ["a", "b"]
    test_x, test_y = bags(200)
    probs = predict_probs(model, test_x)
    assert ((probs >= 0.5) == (test_y > 0.5)).mean() >= 0.95
    # Where a pattern sits does not matter: the bag's best cell decides.
    assert np.allclose(predict_probs(model, test_x[:, ::-1]), probs, atol=1e-5)
    save_model(model, tmp_path / "model.safetensors")
    loaded = load_model(tmp_path)
    assert loaded["head"] == "cells"
    assert np.array_equal(predict_probs(loaded, test_x), probs)
    again = train_model(x, y, p, seed=0)
    assert all(np.array_equal(again["state_dict"][k], model["state_dict"][k])
               for k in model["state_dict"])


def test_threshold_tuning_prefers_the_best_f1():
    frames = [LabelledFrame(Path(f"{i}.jpg"), "v", i, frozenset(), i) for i in range(6)]
    probs = np.array([[0.3], [0.35], [0.25], [0.1], [0.3], [0.25]])
    truth = np.array([[True], [True], [False], [False], [True], [False]])
    assert tune_thresholds(probs, truth, frames, 1).tolist() == [0.3]


def test_sample_truth_matches_the_frames_at_each_second(tmp_path):
    plan = plan_video("ep1", "labelled", 30, ("tom", "jerry", "spike"), 5)
    truth = truth_seconds(plan)
    starts = [a["start"] for apps in plan["characters"].values() for a in apps]
    assert all(s % 1 == 0.5 for s in starts)  # changes fall between sampled frames
    assert sum(bool(t) for t in truth) > 0
    empty = plan_video("e", "heldout", 10, (), 1)
    assert truth_seconds(empty) == [set()] * 10


# ------------------------------------------------------------------- train and run, for real
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("screentime")
    summary = build_screentime_sample(SMALL, 7, tmp / "sample")
    frames_dir = tmp / "frames"
    for video in sorted((tmp / "sample/labelled").glob("*.mp4")):
        folder = extract_frames(video, frames_dir)
        assert len(list(folder.glob("*.jpg"))) == SMALL["labelled_seconds"]
    params = load_params(ROOT / "params.yaml")
    params["screentime"].update(epochs=15, augment_copies=1)
    params_file = tmp / "params.yaml"
    import yaml

    params_file.write_text(yaml.safe_dump(params))
    assert main(["--params", str(params_file), "screentime", "train",
                 str(tmp / "sample/labels.csv"), "--frames", str(frames_dir),
                 "--out", str(tmp / "model")]) == 0
    return tmp, summary, params_file


def test_train_validates_by_video_and_saves_a_model(trained):
    tmp, summary, _ = trained
    report = json.loads((tmp / "model/report.json").read_text())
    assert report["validation"]["split"] == "by video"
    assert sorted(sum(report["validation"]["folds"], [])) == ["ep1", "ep2", "ep3"]
    assert report["frames"] == 24 and set(report["classes"]) <= {"jerry", "spike", "tom"}
    assert 0 <= report["validation"]["accuracy"] <= 1
    assert "random_frame_split" in report
    model = load_model(tmp / "model")
    assert model["classes"] == report["classes"] and len(model["thresholds"]) == len(
        model["classes"])


def test_the_labelling_page_suggests_with_the_cells_head(trained):
    """The default model (the cells head) suggests labels from the same tiled features it
    was trained on: on its own training frames it mostly agrees with the labels."""
    from gifworthy.screentime.labelling import LabelBook, suggest

    tmp, _, _ = trained
    model = load_model(tmp / "model")
    assert model["head"] == "cells"
    book = LabelBook(tmp / "frames", tmp / "sample/labels.csv", list(model["classes"]))
    got = suggest(book, model)
    agree = [set(s) == set(book.labels[f]) for f, s in zip(book.frames, got["suggested"])]
    assert len(agree) == 24 and np.mean(agree) >= 0.75


def test_run_writes_seconds_timeline_and_plot(trained, tmp_path):
    tmp, summary, _ = trained
    out = tmp_path / "run"
    assert main(["screentime", "run", str(tmp / "sample/heldout/new1.mp4"),
                 "--model", str(tmp / "model"), "--out", str(out)]) == 0
    seconds = json.loads((out / "seconds.json").read_text())
    classes = seconds["classes"]
    assert set(seconds["seconds"]) == set(classes) | {"none"}
    assert seconds["frames"] == SMALL["heldout_seconds"]
    timeline = (out / "timeline.csv").read_text().splitlines()
    assert timeline[0].split(",")[:2] == ["second", "labels"] and len(timeline) == 1 + 8
    per_second = [row.split(",") for row in timeline[1:]]
    for i, c in enumerate(classes):  # the per-class seconds are the timeline's column sums
        assert sum(int(r[2 + i]) for r in per_second) == seconds["seconds"][c]
    assert (out / "seconds.csv").read_text().startswith("class,seconds,low,high,share\n")
    for c, (low, high) in seconds["interval"]["seconds"].items():
        assert low <= seconds["seconds"][c] <= high
    from PIL import Image

    with Image.open(out / "timeline.png") as img:
        assert img.format == "PNG" and img.width >= 600


def test_video_without_characters_gives_zero_not_a_crash(trained, tmp_path):
    tmp, _, _ = trained
    model = load_model(tmp / "model")
    # A model that never fires (thresholds above any probability) on a character-free video:
    # every class gets 0 seconds and the plot is drawn with empty rows.
    model["thresholds"] = [1.01] * len(model["classes"])
    result = run_video(tmp / "sample/heldout/empty.mp4", model, tmp_path / "empty")
    assert all(result["seconds"][c] == 0 for c in model["classes"])
    assert result["seconds"]["none"] == SMALL["empty_seconds"]
    assert (tmp_path / "empty/timeline.png").stat().st_size > 0


def test_evaluate_scores_heldout_videos(trained, tmp_path):
    tmp, summary, params_file = trained
    metrics = tmp_path / "screentime.json"
    assert main(["--params", str(params_file), "screentime", "evaluate", str(tmp / "sample"),
                 "--model", str(tmp / "model"), "--out", str(tmp_path / "heldout"),
                 "--metrics", str(metrics)]) == 0
    m = json.loads(metrics.read_text())
    assert set(m["videos"]) == {"new1", "empty"}
    assert 0 <= m["heldout_accuracy"] <= 1
    new1 = m["videos"]["new1"]["per_class"]
    truth = summary["videos"]["new1"]["on_screen_seconds"]
    for c, r in new1.items():
        if c != "none":
            assert r["true_seconds"] == truth[c]
            assert r["abs_error_seconds"] == abs(r["true_seconds"] - r["predicted_seconds"])


def test_cli_errors_are_one_clear_line(trained, tmp_path, capsys):
    tmp, _, params_file = trained
    bad = _csv(tmp_path, "frame,label\nep1/000000.jpg,tom\nep1/999999.jpg,jerry\n")
    assert main(["--params", str(params_file), "screentime", "train", str(bad),
                 "--frames", str(tmp / "frames"), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert "labels.csv:3: frame 'ep1/999999.jpg' not found" in err
    assert not (tmp_path / "m").exists()  # nothing half-written
    assert main(["screentime", "run", str(tmp / "sample/heldout/new1.mp4"),
                 "--model", str(tmp_path / "nomodel")]) == 2
    assert "no screen-time model" in capsys.readouterr().err
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00" * 2000)
    assert main(["screentime", "run", str(corrupt), "--model", str(tmp / "model"),
                 "--out", str(tmp_path / "c")]) == 2
    assert "corrupt.mp4" in capsys.readouterr().err


def test_frames_command_extracts_one_a_second(tmp_path):
    video = make_video(tmp_path / "clip.mp4", seconds=5, size="320x180")
    assert main(["screentime", "frames", str(video), "--out", str(tmp_path / "f")]) == 0
    names = sorted(p.name for p in (tmp_path / "f/clip").iterdir())
    assert names == [f"{i:06d}.jpg" for i in range(5)]
    assert not [p for p in (tmp_path / "f").iterdir() if p.name.startswith(".tmp-")]
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=width",
                            "-of", "csv=p=0", str(tmp_path / "f/clip/000000.jpg")],
                           capture_output=True, text=True)
    assert probe.stdout.strip() == "320"
