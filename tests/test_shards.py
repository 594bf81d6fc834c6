"""Shard jobs: stable assignment, plans and markers, any shard size gives the same bytes, a
killed shard redoes only its missing items, one bad item never fails a shard, progress."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from gifworthy.core.fsutil import write_json
from gifworthy.corpus.base import DownloadItem, GifFile
from gifworthy.corpus.manifest import Manifest, write_manifest
from gifworthy.download.stage import DownloadStage
from gifworthy.pipeline import paths, shards
from gifworthy.pipeline.stage import get_stage, key_path, prepare
from gifworthy.sample.server import Fault, MediaServer
from support import stage_project

ROOT = Path(__file__).resolve().parents[1]
VIDS = [f"{c * 11}" for c in "ABCDEFGH"]


def test_slots_are_stable_and_shards_only_split_as_a_corpus_grows():
    ids = [f"clip{i:06d}" for i in range(20_000)]
    assert [shards.slot(i) for i in ids[:50]] == [shards.slot(i) for i in ids[:50]]
    assert all(0 <= shards.slot(i) < shards.SLOTS for i in ids)
    small = shards.slots_per_shard(5_000, 1000)
    large = shards.slots_per_shard(20_000, 1000)
    assert small > large and small % large == 0  # powers of two: a shard splits in parts
    for item in ids:  # every shard of the larger corpus lies inside one of the smaller's
        assert shards.shard_of(item, large) * large // small == shards.shard_of(item, small)
    sizes: dict[int, int] = {}
    for item in ids:
        sizes[shards.shard_of(item, large)] = sizes.get(shards.shard_of(item, large), 0) + 1
    assert max(sizes.values()) <= 1000 * 1.25 and len(sizes) >= 20
    assert shards.slots_per_shard(0, 1000) == shards.SLOTS
    with pytest.raises(ValueError, match="shard_size"):
        shards.slots_per_shard(10, 0)


def test_item_files_live_in_bucket_folders():
    path = paths.item_file(Path("data/x"), "abcdefghijk", ".json")
    assert path.parent.parent == Path("data/x") and len(path.parent.name) == 2
    counts: dict[str, int] = {}
    for i in range(650_000 // 100):
        b = paths.bucket(f"v{i:07d}")
        counts[b] = counts.get(b, 0) + 1
    assert len(counts) == 256 and max(counts.values()) < 2 * 6500 / 256


@pytest.fixture
def project(tmp_path, monkeypatch):
    """Eight videos with the files their segments jobs read."""
    monkeypatch.chdir(tmp_path)
    params = stage_project(tmp_path)
    write_manifest(Manifest(
        [DownloadItem(v, v, f"http://x/{v}", None, None, "train", "", f"m.txt:{i}")
         for i, v in enumerate(VIDS, 2)], [], [],
        gif_files=[GifFile(f"g{i}", v, f"data/sample/gifs/g{i}.gif", 0, 10, "none")
                   for i, v in enumerate(VIDS)]), paths.MANIFEST_DIR)
    for i, v in enumerate(VIDS):
        shots_file = paths.item_file(paths.shots_dir(params), v, ".npz")
        shots_file.parent.mkdir(parents=True, exist_ok=True)
        np.savez(shots_file, error="", n_frames=240, fps=24.0,
                 cuts_transnet=np.array([40 + 10 * i]), cuts_scenedetect=np.array([]),
                 transnet_probs=np.zeros(240), features_per_second=np.zeros((10, 4)),
                 seconds=np.zeros(3))
        write_json(paths.item_file(paths.ALIGN_DIR / "status", v, ".json"),
                   [{"gif_id": f"g{i}", "aligned": True, "start_frame": 100,
                     "end_frame": 200}])
    return params


def _outputs(params: dict) -> dict[str, bytes]:
    folder = get_stage("segments").folder(params)
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _run_all(stage_name: str, params: dict) -> list[dict]:
    stage = get_stage(stage_name)
    prepare(stage, params)
    return [shards.run_shard(stage, params, s, out=lambda line: None)
            for s in shards.shard_ids(stage_name)]


def test_any_shard_size_gives_the_same_bytes(project):
    project["execution"]["shard_size"] = 1000
    runs = _run_all("segments", project)
    assert len(runs) == 1 and runs[0]["done"] == len(VIDS)
    one_shard = _outputs(project)
    assert len(one_shard) == 2 * len(VIDS)  # table + key per video
    for path in list(get_stage("segments").folder(project).rglob("*.csv*")):
        path.unlink()
    project["execution"]["shard_size"] = 2
    runs = _run_all("segments", project)
    assert len(runs) >= 4 and sum(r["done"] for r in runs) == len(VIDS)
    assert _outputs(project) == one_shard


def test_plan_marks_finished_shards_and_reruns_only_missing_items(project):
    project["execution"]["shard_size"] = 3
    _run_all("segments", project)
    stage = get_stage("segments")
    plan = shards.read_plan("segments")
    assert plan is not None and plan["items"] == len(VIDS)
    assert all(shards.marker_path("segments", s).exists() for s in plan["shards"])
    # One item lost its key (killed between output and key): only its shard is unmarked,
    # and the shard job redoes that item alone.
    lost = stage.job(project, VIDS[3])
    key_path(lost.output).unlink()
    others = {v: stage.job(project, v).output.stat().st_mtime_ns for v in VIDS if v != VIDS[3]}
    prepare(stage, project)
    size = plan["slots_per_shard"]
    unmarked = [s for s in plan["shards"] if not shards.marker_path("segments", s).exists()]
    assert unmarked == [str(shards.shard_of(VIDS[3], size))]
    snap = shards.run_shard(stage, project, unmarked[0], out=lambda line: None)
    assert snap["done"] == snap["total"] and snap["skipped"] == snap["total"] - 1
    assert key_path(lost.output).exists()
    assert {v: stage.job(project, v).output.stat().st_mtime_ns for v in others} == others


def test_one_bad_item_is_logged_and_never_fails_the_shard(project):
    bad = paths.item_file(paths.shots_dir(project), VIDS[2], ".npz")
    bad.write_bytes(b"not a zip")  # truncated upstream file: this item raises
    lines: list[str] = []
    stage = get_stage("segments")
    prepare(stage, project)
    [shard] = shards.shard_ids("segments")
    snap = shards.run_shard(stage, project, shard, out=lines.append)
    assert snap["failures"] == {"error": 1} and snap["errors"] == 1
    marker = json.loads(shards.marker_path("segments", shard).read_text())
    assert [e["item"] for e in marker["errors"]] == [VIDS[2]]
    assert not stage.job(project, VIDS[2]).output.exists()  # missing: tried again next run
    assert all(stage.job(project, v).output.exists() for v in VIDS if v != VIDS[2])
    assert "8/8 items" in lines[-1] and "failed: error 1" in lines[-1]
    progress = json.loads(shards.progress_path("segments", shard).read_text())
    assert progress["done"] == 8 and progress["failures"] == {"error": 1}
    prepare(stage, project)  # the next run plans the shard again, for the one item
    assert shards.shard_ids("segments") == [shard]
    assert not shards.marker_path("segments", shard).exists()


def test_shard_cli_refuses_unplanned_shards(project):
    Path("params.yaml").write_text(yaml.safe_dump(project))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run([sys.executable, "-m", "gifworthy.cli", "run-shard", "segments", "0"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode != 0 and "gifworthy prepare segments" in proc.stderr
    prepare(get_stage("segments"), project)
    proc = subprocess.run([sys.executable, "-m", "gifworthy.cli", "run-shard", "segments",
                           "12345"], capture_output=True, text=True, env=env)
    assert proc.returncode != 0 and "no shard '12345'" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "gifworthy.cli", "progress", "segments"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["items"] == len(VIDS)


def test_a_shard_killed_mid_download_redoes_only_its_missing_items(video_30s, tmp_path,
                                                                    monkeypatch):
    """kill -9 of a real download shard job (yt-dlp from a slow loopback server): the next
    run fetches only the items that had no record, and the shard finishes."""
    ids = [f"{c}" * 11 for c in "abcdef"]
    srv = MediaServer({f"/videos/{i}.mp4": video_30s for i in ids},
                      heights={i: 240 for i in ids},
                      faults={f"/videos/{i}.mp4": Fault(chunk_delay=0.05) for i in ids}).start()
    try:
        params = yaml.safe_load((ROOT / "params.yaml").read_text())
        params["download"].update(backoff_seconds=0.05, socket_timeout=5, attempts=2)
        (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
        write_manifest(Manifest([DownloadItem(i, i, srv.url(f"/watch?v={i}"), None, None,
                                              "train", "", f"t:{n}")
                                 for n, i in enumerate(ids, 2)], [], []),
                       tmp_path / "data/manifest")
        monkeypatch.chdir(tmp_path)
        stage = DownloadStage()
        prepare(stage, params)
        [shard] = shards.shard_ids("download")
        proc = subprocess.Popen([sys.executable, "-m", "gifworthy.cli", "run-shard", "download",
                                 shard, "--workers", "2"], cwd=tmp_path,
                                start_new_session=True, stderr=subprocess.DEVNULL)
        jobs = stage.jobs(params)
        deadline = time.time() + 120
        while sum(key_path(j.output).exists() for j in jobs.values()) < 2:
            assert time.time() < deadline and proc.poll() is None
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        finished = [i for i, j in jobs.items() if key_path(j.output).exists()]
        assert 2 <= len(finished) < len(ids)
        assert not shards.marker_path("download", shard).exists()
        before = dict(srv.requests)
        srv.faults.clear()
        prepare(stage, params)  # clears the killed transfers' temporaries
        snap = shards.run_shard(stage, params, shard, workers=2, out=lambda line: None)
        assert snap["skipped"] == len(finished) and snap["done"] == len(ids)
        assert snap["failures"] == {}
        for i in finished:  # never fetched again
            assert srv.requests.get(f"/videos/{i}.mp4", 0) == before.get(f"/videos/{i}.mp4", 0)
        assert all(json.loads(j.output.read_text())["status"] == "ok" for j in jobs.values())
        assert shards.marker_path("download", shard).exists()
    finally:
        srv.stop()


def test_planning_reads_ids_as_the_manifest_reader_does(tmp_path):
    """The fast id reader (planning) agrees with the full reader, quoted fields included."""
    from gifworthy.corpus.manifest import read_download_ids, read_downloads

    items = [DownloadItem(f"v{i:010d}", f"v{i:010d}", f"http://x/{i}", None, None, "train", "",
                          f"m:{i}") for i in range(5)]
    items += [DownloadItem("c0000000001_000001_000011", "c0000000001",
                           "http://x/watch?v=a,b&t=\"1\"", 1.0, 11.0, "train",
                           "label, with comma", "m:9")]
    write_manifest(Manifest(items, [], []), tmp_path)
    path = tmp_path / "downloads.csv"
    assert read_downloads(path) == items
    assert read_download_ids(path) == [i.item_id for i in items]
    assert read_download_ids(path, segments_only=True) == [items[-1].item_id]
    path.write_text("item_id,url\nx,y\n")
    with pytest.raises(ValueError, match="downloads.csv:1: header"):
        read_download_ids(path)
