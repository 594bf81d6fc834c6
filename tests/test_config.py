import re
from pathlib import Path

import pytest
import yaml
from snakemake.utils import validate as snakemake_validate

from gifworthy.cli import main
from gifworthy.core.config import SCHEMA_PATH, ParamsError, load_params, validate_params

ROOT = Path(__file__).resolve().parents[1]


def params():
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def test_shipped_params_are_valid():
    assert load_params(ROOT / "params.yaml")["corpus"]["format"] == "sample"


@pytest.mark.parametrize("mutate, key, words", [
    (lambda p: p["download"].update(max_hieght=360), "download.max_hieght", "unknown key"),
    (lambda p: p["download"].update(max_height="360"), "download.max_height", "not of type"),
    (lambda p: p["download"].update(max_height=10), "download.max_height", "minimum"),
    (lambda p: p["trim"].update(mode="slow"), "trim.mode", "is not one of"),
    (lambda p: p["sample"].update(label_noise=1.5), "sample.label_noise", "maximum"),
    (lambda p: p["sample"].update(shot_seconds=[3]), "sample.shot_seconds", "too short"),
    (lambda p: p.pop("corpus"), "corpus", "required"),
    (lambda p: p.update(sede=1), "sede", "unknown key"),
    (lambda p: p["download"].update(retry_failed=["HTTP 418"]), "download.retry_failed.0", ""),
])
def test_bad_params_name_the_key(mutate, key, words):
    p = params()
    mutate(p)
    with pytest.raises(ParamsError) as err:
        validate_params(p)
    assert f"params.yaml: {key}:" in str(err.value)
    assert words in str(err.value)


def test_snakemake_validate_uses_the_same_schema():
    p = params()
    p["download"]["segments"] = "yes"
    with pytest.raises(Exception, match="segments"):
        snakemake_validate(p, str(SCHEMA_PATH))


def test_cli_reports_bad_params_in_one_line(tmp_path, capsys):
    p = params()
    p["trim"]["crf"] = 99
    bad = tmp_path / "params.yaml"
    bad.write_text(yaml.safe_dump(p))
    assert main(["--params", str(bad), "check-params"]) == 2
    err = capsys.readouterr().err
    assert "trim.crf" in err and "maximum" in err


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _leaves(sub, (*path, key))
    if path:
        yield path


def _schema_at(schema, path):
    for key in path:
        schema = schema["properties"][key]
    return schema


def test_every_key_is_required_or_has_one_default():
    """A deleted key fails check-params naming it (not a KeyError mid-pipeline), unless the
    schema gives it a default, which loading then fills in."""
    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    for path in _leaves(params()):
        p = params()
        parent = p
        for key in path[:-1]:
            parent = parent[key]
        del parent[path[-1]]
        dotted = ".".join(map(str, path))
        if "default" in _schema_at(schema, path):
            filled = validate_params(p)
            for key in path[:-1]:
                filled = filled[key]
            assert filled[path[-1]] == _schema_at(schema, path)["default"], dotted
            continue
        with pytest.raises(ParamsError) as err:
            validate_params(p)
        assert f"params.yaml: {dotted}: " in str(err.value) and "required" in str(err.value)


def test_schema_objects_require_every_key_without_a_default():
    def walk(node, where):
        if isinstance(node, dict):
            if "properties" in node:
                optional = [k for k, sub in node["properties"].items()
                            if k not in node.get("required", []) and "default" not in sub]
                assert not optional, f"{where or 'top'}: {optional} neither required nor default"
            for key, sub in node.items():
                walk(sub, f"{where}.{key}" if where else key)
    walk(yaml.safe_load(SCHEMA_PATH.read_text()), "")


@pytest.mark.parametrize("mutate, words", [
    (lambda p: p["segments"].update(min_sec=9.0, max_sec=4.0),
     "segments.min_sec: 9.0 is above segments.max_sec (4.0)"),
    (lambda p: p["sample"].update(shots_per_video=[8, 4]),
     "sample.shots_per_video: [8, 4] is not [low, high]"),
    (lambda p: p["corpus"].update(format="kinetics_csv", source="k.csv", split_file="t.txt"),
     "corpus.split_file: only the video2gif format"),
    (lambda p: p["shots"].update(detector="autoshot"),
     "shots.detector: autoshot is not in shots.detectors (scenedetect)"),
    (lambda p: (p["shots"].update(detectors=["autoshot"], detector="autoshot"),
                p["features"].update(extractors=["transnet", "image"])),
     "features.extractors: transnet pools TransNetV2's features from the shots stage"),
    (lambda p: p["screentime"].update(head="cells", hidden=256),
     "screentime.hidden: 256; the cells head is linear"),
])
def test_rules_between_keys_are_checked_up_front(mutate, words):
    p = params()
    mutate(p)
    with pytest.raises(ParamsError, match=re.escape(words)):
        validate_params(p)


def test_params_saved_with_a_byte_order_mark_load(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + (ROOT / "params.yaml").read_bytes())
    assert load_params(path)["seed"] == params()["seed"]
