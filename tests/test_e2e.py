"""`dvc repro` of the default sample corpus (what `make run` does), in a fresh repository."""

import json
import time

import pytest

from support import ROOT, init_project, run


@pytest.mark.slow
@pytest.mark.full  # not in CI: it alone would take half of CI's time budget
@pytest.mark.timeout(2700)
def test_default_pipeline_end_to_end(tmp_path):
    repo = init_project(tmp_path / "repo", (ROOT / "params.yaml").read_text())
    t0 = time.time()
    run(["dvc", "repro"], repo, timeout=2700)
    elapsed = time.time() - t0
    manifest = json.loads((repo / "metrics/manifest.json").read_text())
    download = json.loads((repo / "metrics/download.json").read_text())
    trim = json.loads((repo / "metrics/trim.json").read_text())
    assert manifest["videos"] >= 30 and manifest["rejected"] == 0
    assert download["ok"] == download["items"] == manifest["downloads"]
    assert trim["ok"] == manifest["segments"] and trim["within_one_frame_share"] == 1.0
    gifs = json.loads((repo / "metrics/gifify.json").read_text())
    assert gifs["ok"] == gifs["items"] == manifest["segments"] + manifest["gifs"]
    assert (repo / "data/explorer/index.html").is_file()
    # Alignment on the default corpus: >= 95% within one frame, every aligned GIF within
    # 0.34 s, every decoy rejected (a GIF of a stretch the video repeats may be refused).
    align = json.loads((repo / "metrics/align.json").read_text())
    assert align["aligned"] >= 0.97 * align["gifs"] and align["within_one_frame_share"] >= 0.95
    assert align["max_error_s"] <= 0.34 and align["decoys_rejected"] == align["decoys"] >= 1
    shots = json.loads((repo / "metrics/shots.json").read_text())
    assert shots["scenedetect"]["real"]["f1"] >= 0.8 and "transnet" not in shots
    evaluation = json.loads((repo / "metrics/eval.json").read_text())
    for method in ("ranknet", "lightgbm", "heuristic", "random"):
        assert 0 < evaluation[method]["mAP"] <= 1 and 0 <= evaluation[method]["nMSD"] <= 1
    # Both learned rankers clearly beat random scores and the single-feature heuristic.
    for method in ("ranknet", "lightgbm"):
        assert evaluation[method]["mAP"] >= evaluation["random"]["mAP"] + 0.08
        assert evaluation[method]["mAP"] >= evaluation["heuristic"]["mAP"] + 0.04
    screentime = json.loads((repo / "metrics/screentime.json").read_text())
    assert screentime["heldout_accuracy"] >= 0.6
    empty = screentime["videos"]["empty"]["per_class"]
    assert all(empty[c]["predicted_seconds"] == 0 for c in ("tom", "jerry", "spike"))
    ablation = json.loads((repo / "metrics/ablation.json").read_text())
    assert set(ablation["table"]) == {"l1", "l2", "huber", "adaptive_huber"}
    run(["dvc", "plots", "show", "-o", str(tmp_path / "plots")], repo)
    assert (tmp_path / "plots/index.html").stat().st_size > 1000
    assert list((tmp_path / "plots/static").glob("*timeline.png"))
    print(f"default sample pipeline: {elapsed:.0f} s, {download['bytes'] / 1e6:.1f} MB")
