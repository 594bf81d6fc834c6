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
