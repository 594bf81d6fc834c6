"""The one stage shape and its reconciler: `prepare` keeps exactly the outputs a fresh run
would write again (by job key), and deletes the rest."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from gifworthy.cli import main
from gifworthy.core import fingerprint
from gifworthy.core.fsutil import write_json
from gifworthy.corpus.base import DownloadItem, GifFile
from gifworthy.corpus.manifest import Manifest, read_gif_files, videos_with_gifs, write_manifest
from gifworthy.pipeline import paths as layout
from gifworthy.pipeline.stage import get_stage, key_path, prepare
from support import stage_project

ROOT = Path(__file__).resolve().parents[1]
VIDS = ["AAAAAAAAAAA", "BBBBBBBBBBB", "CCCCCCCCCCC"]


def _shots_file(path: Path, cuts: list[int], seconds: float = 1.0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, cuts_transnet=np.array(cuts), n_frames=np.array(100), fps=np.array(25.0),
             seconds=np.array([seconds]))


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder with the files the segments jobs read, for three videos."""
    monkeypatch.chdir(tmp_path)
    params = stage_project(tmp_path)
    write_manifest(Manifest(
        [DownloadItem(v, v, f"http://x/{v}", None, None, "train", "", f"m.txt:{i}")
         for i, v in enumerate(VIDS, 2)], [], [],
        gif_files=[GifFile(f"g{i}", v, f"data/sample/gifs/g{i}.gif", 0, 10, "none")
                   for i, v in enumerate(VIDS)]), layout.MANIFEST_DIR)
    for i, v in enumerate(VIDS):
        _shots_file(layout.item_file(layout.shots_dir(params), v, ".npz"), [10 * (i + 1)])
        write_json(layout.item_file(layout.ALIGN_DIR / "status", v, ".json"),
                   [{"gif_id": f"g{i}"}])
        write_json(layout.download_record(params, v),
                   {"status": "ok", "finished_at": "t0", "download_seconds": 1.0,
                    "file": str(layout.item_file(Path("videos"), v, ".mp4"))})
    return params


def _finish(stage: str, params: dict, vid: str) -> Path:
    """What a job does: write its output, then its key."""
    job = get_stage(stage).job(params, vid)
    job.output.parent.mkdir(parents=True, exist_ok=True)
    job.output.write_text(f"{stage} of {vid}\n")
    get_stage(stage).finish(job)
    return job.output


def _prepare(stage: str, params: dict) -> dict:
    return prepare(get_stage(stage), params)


def test_videos_are_those_with_gifs_in_the_manifest(project):
    assert videos_with_gifs(project) == VIDS
    with open(layout.GIF_FILES_CSV, "a") as fh:
        fh.write("gx,ZZZZZZZZZZZ,x.gif,,,,0\n")  # a GIF of a video not downloaded
    assert len(read_gif_files()) == 4 and videos_with_gifs(project) == VIDS


def test_training_on_heat_brings_the_videos_without_gifs_into_the_stages(project):
    """ranking.target heat (or both): shots, segments and features cover every download, not
    only the videos with GIFs; align still covers the GIFs' videos."""
    with open(layout.GIF_FILES_CSV) as fh:
        kept = [line for line in fh if "CCCCCCCCCCC" not in line]
    with open(layout.GIF_FILES_CSV, "w") as fh:
        fh.writelines(kept)
    assert videos_with_gifs(project) == VIDS[:2]
    for target, covered in (("gifs", VIDS[:2]), ("heat", VIDS), ("both", VIDS)):
        params = {**project, "ranking": {**project["ranking"], "target": target}}
        for stage in ("shots", "segments", "features"):
            assert get_stage(stage).item_ids(params) == covered, (target, stage)
            assert sorted(get_stage(stage).jobs(params)) == covered, (target, stage)
        assert get_stage("align").item_ids(params) == VIDS[:2]


def test_prepare_keeps_valid_outputs_untouched(project):
    outputs = [_finish("segments", project, v) for v in VIDS]
    before = [p.stat().st_mtime_ns for p in outputs]
    counts = _prepare("segments", project)
    assert counts == {"removed_variants": 0, "removed_files": 0, "stale": 0, "kept": 3,
                      "adopted": 0, "moved": 0, "shards": 1}
    assert [p.stat().st_mtime_ns for p in outputs] == before


def test_prepare_removes_exactly_the_stale_and_unwanted(project):
    a, b, c = (_finish("segments", project, v) for v in VIDS)
    variant = a.parent.parent
    # B's shots changed content; C's only in a timing field (not content).
    _shots_file(layout.item_file(layout.shots_dir(project), VIDS[1], ".npz"), [99])
    _shots_file(layout.item_file(layout.shots_dir(project), VIDS[2], ".npz"), [30],
                seconds=7.5)
    (a.parent / ".tmp-AAAAAAAAAAA-x.csv").write_text("half")
    (a.parent / "ZZZZZZZZZZZ.csv").write_text("gone from the corpus")
    (a.parent / "ZZZZZZZZZZZ.csv.key").write_text("k")
    (variant / "YYYYYYYYYYY.csv").write_text("flat layout, gone from the corpus")
    other = variant.parent / "tn0.3_sd27_transnet_1-4s_p0.66"
    other.mkdir()
    counts = _prepare("segments", project)
    assert counts == {"removed_variants": 1, "removed_files": 3, "stale": 1, "kept": 2,
                      "adopted": 0, "moved": 0, "shards": 1}
    assert a.exists() and c.exists() and not b.exists()
    assert not key_path(b).exists() and not other.exists()
    assert sorted(p for p in variant.rglob("*") if p.is_file()) == sorted(
        [a, key_path(a), c, key_path(c)])


def test_prepare_moves_the_flat_layout_into_bucket_folders(project):
    """Outputs made before bucket folders are kept (moved, not redone); a download record's
    video path is rewritten with its video."""
    outputs = [_finish("segments", project, v) for v in VIDS]
    for out in outputs:
        for path in (out, key_path(out)):
            path.rename(path.parent.parent / path.name)
    counts = _prepare("segments", project)
    assert (counts["moved"], counts["kept"], counts["stale"]) == (6, 3, 0)
    assert all(out.exists() and key_path(out).exists() for out in outputs)
    stage = get_stage("download")
    job = stage.job(project, VIDS[0])
    flat_video = stage.folder(project) / "videos" / f"{VIDS[0]}.mp4"
    flat_video.parent.mkdir(parents=True, exist_ok=True)
    flat_video.write_bytes(b"video")
    write_json(job.output.parent.parent / job.output.name,
               {"status": "ok", "file": f"videos/{VIDS[0]}.mp4", "segment": None, "info": None})
    job.output.unlink()
    counts = _prepare("download", project)
    # The two other records (fixture) name videos that are not there: tried again.
    assert (counts["moved"], counts["adopted"], counts["kept"]) == (2, 3, 1)
    record = json.loads(job.output.read_text())
    assert (stage.folder(project) / record["file"]).read_bytes() == b"video"
    assert not flat_video.exists()


def test_an_output_without_its_key_is_unfinished(project):
    a = _finish("segments", project, VIDS[0])
    key_path(a).unlink()  # killed between the output and its key
    assert _prepare("segments", project)["stale"] == 1
    assert not a.exists()
    key_path(a).write_text("orphan\n")  # a key with no output goes too
    _prepare("segments", project)
    assert not key_path(a).exists()


def test_code_change_makes_every_output_stale_but_other_code_does_not(project):
    for v in VIDS:
        _finish("segments", project, v)
    Path("src/gifworthy/ranking/train.py").write_text("# not a dependency of segments\n")
    assert _prepare("segments", project)["kept"] == 3
    with open("src/gifworthy/segments.py", "a") as fh:
        fh.write("\n# changed\n")
    assert _prepare("segments", project)["stale"] == 3


def test_input_records_count_by_version_not_bytes(project):
    outputs = [_finish("shots", project, v) for v in VIDS]
    # Re-recording the same download (other timing) keeps; a new download invalidates.
    write_json(layout.download_record(project, VIDS[0]),
               {"status": "ok", "finished_at": "t0", "download_seconds": 9.0, "reused": True})
    write_json(layout.download_record(project, VIDS[1]), {"status": "ok", "finished_at": "t1"})
    layout.download_record(project, VIDS[2]).unlink()
    counts = _prepare("shots", project)
    assert (counts["kept"], counts["stale"]) == (1, 2)
    assert [p.exists() for p in outputs] == [True, False, False]


def test_settings_the_job_does_not_read_keep_its_outputs(project):
    outputs = [_finish("shots", project, v) for v in VIDS]
    project["shots"]["tolerance_frames"] = 5  # only the report reads it
    project["shots"]["detector"] = "scenedetect"  # only segments read it
    assert _prepare("shots", project)["kept"] == 3
    project["features"]["image_fps"] = 1  # in the folder name: a new variant, old one removed
    for v in VIDS:
        _finish("features", project, v)
    project["features"]["image_fps"] = 2
    counts = _prepare("features", project)
    assert counts["removed_variants"] == 1 and counts["kept"] == 0
    assert all(p.exists() for p in outputs)


def test_features_inputs_chain_through_the_segments_table(project):
    for v in VIDS:
        _finish("segments", project, v)
        _finish("features", project, v)
    # Segments rewritten with the same bytes (a rerun): features stay; other bytes: redone.
    seg = get_stage("segments").job(project, VIDS[0]).output
    seg.write_text(seg.read_text())
    seg = get_stage("segments").job(project, VIDS[1]).output
    seg.write_text("other segments\n")
    counts = _prepare("features", project)
    assert (counts["kept"], counts["stale"]) == (2, 1)


def test_align_counts_gifs_by_content(project):
    gif_dir = layout.SAMPLE_DIR / "gifs"
    gif_dir.mkdir(parents=True)
    for i in range(3):
        (gif_dir / f"g{i}.gif").write_bytes(b"GIF89a" + bytes([i]))
    for v in VIDS:
        _finish("align", project, v)
    (gif_dir / "g1.gif").write_bytes(b"GIF89a-changed")
    counts = _prepare("align", project)
    assert (counts["kept"], counts["stale"]) == (2, 1)
    assert not layout.item_file(layout.ALIGN_DIR / "status", VIDS[1], ".json").exists()


def test_content_digest(tmp_path):
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    _shots_file(a, [1, 2], seconds=1.0)
    _shots_file(b, [1, 2], seconds=2.0)
    assert fingerprint.content_digest(a) == fingerprint.content_digest(b)
    _shots_file(b, [1, 3])
    assert fingerprint.content_digest(a) != fingerprint.content_digest(b)
    assert fingerprint.content_digest(tmp_path / "none.npz") == "missing"
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    assert fingerprint.content_digest(tmp_path / "bad.npz").startswith("unreadable")


def test_unknown_stage_is_a_clear_error(project):
    with pytest.raises(ValueError, match="unknown stage 'trimming'"):
        get_stage("trimming")
    with pytest.raises(ValueError, match="no item 'ZZZZZZZZZZZ'"):
        get_stage("segments").job(project, "ZZZZZZZZZZZ")


def test_cli_job_writes_its_key_and_prepare_keeps_it(project, tmp_path):
    """`run-one` as Snakemake runs it, then `prepare` as DVC runs it."""
    Path("params.yaml").write_text(yaml.safe_dump(project))
    shutil.rmtree(layout.shots_dir(project))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

    def cli(*args: str) -> str:
        proc = subprocess.run([sys.executable, "-m", "gifworthy.cli", *args],
                              capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    for v in VIDS:  # a real shots file for a missing video (an error record)
        cli("run-one", "shots", v)
    cli("run-one", "segments", VIDS[0])
    out = get_stage("segments").job(project, VIDS[0]).output
    assert out.exists() and key_path(out).exists()
    assert json.loads(cli("prepare", "segments").split(":", 1)[1])["kept"] == 1
    assert json.loads(cli("prepare", "shots").split(":", 1)[1])["kept"] == 3


@pytest.mark.parametrize("stage", ["download", "trim", "gifify", "align", "shots", "segments",
                                   "features"])
def test_every_stage_refuses_an_item_the_manifest_does_not_name(project, stage):
    """`run-one` is an entry point too: a hostile or unknown item id is a clear error, and
    nothing is read or written outside the stage's folders."""
    before = sorted(p for p in Path(".").rglob("*") if p.is_file())
    for item in ("../../etc/passwd", "ZZZZZZZZZZZ", "clips/../x"):
        with pytest.raises(ValueError, match="no item|not a safe id"):
            get_stage(stage).run_one(project, item)
    assert sorted(p for p in Path(".").rglob("*") if p.is_file()) == before


@pytest.mark.parametrize("stage", ["download", "trim", "gifify", "align", "shots", "segments",
                                   "features"])
@pytest.mark.parametrize("item", ["../x", "a/../../b", "clips/../x", "..", "x y", ""])
def test_every_stage_refuses_a_hostile_item_id_before_reading_anything(
        tmp_path, monkeypatch, capsys, stage, item):
    """`run-one STAGE ITEM` is an entry point of its own: the id is checked there, before
    the manifest is read or a path is built (no manifest exists here at all)."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    assert main(["run-one", stage, item]) == 2
    assert "not a safe id" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]


def test_read_records_reads_many_in_order_and_tolerates_bad_ones(tmp_path):
    """The reports' bulk reader: records in the order asked, None for a missing, damaged or
    non-object file, and NaN (which Python's json writes) read all the same."""
    from gifworthy.pipeline.paths import item_file
    from gifworthy.pipeline.records import read_records

    texts = {"a": '{"status": "ok", "n": 1}', "b": '{"status": "ok", "x": NaN}',
             "c": '{"status": "ok"', "d": "[1, 2]"}
    for item, text in texts.items():
        path = item_file(tmp_path, item, ".json")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    got = read_records(tmp_path, ["b", "missing", "a", "c", "d"])
    assert got[0] is not None and got[0]["status"] == "ok" and got[0]["x"] != got[0]["x"]
    assert got[1] is None and got[2] == {"status": "ok", "n": 1}
    assert got[3] is None and got[4] is None
