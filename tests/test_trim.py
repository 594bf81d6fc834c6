import json
import subprocess
from pathlib import Path

import pytest

from gifworthy.cli import main
from gifworthy.corpus.base import DownloadItem
from gifworthy.corpus.manifest import Manifest, write_manifest
from gifworthy.media.encode import TrimError, trim
from gifworthy.media.probe import count_frames, probe
from gifworthy.pipeline import paths
from gifworthy.pipeline.stage import prepare
from gifworthy.trim import TrimStage, trim_item
from support import make_video, stage_project


@pytest.mark.parametrize("start, end", [(0.0, 10.0), (3.3, 7.9), (12.0, 29.5), (1.04, 1.5)])
def test_exact_trim_is_within_one_frame(video_30s, tmp_path, start, end):
    out = tmp_path / "clip.mp4"
    info = trim(video_30s, out, start=start, duration=end - start, mode="exact")
    frames = count_frames(out)
    assert abs(frames / 24 - (end - start)) <= 1 / 24 + 1e-9
    assert info["frames"] == frames
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_exact_trim_starts_on_the_annotated_frame(tmp_path):
    # A video whose frames show their own index lets us check the first frame exactly.
    src = tmp_path / "numbered.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=black:s=64x64:r=10",
                    "-vf", "geq=lum='N*2':cb=128:cr=128", "-t", "10", "-g", "50",
                    "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p", str(src)], check=True)
    out = tmp_path / "clip.mp4"
    trim(src, out, start=3.0, duration=2.0, mode="exact", crf=0)
    pixel = subprocess.run(["ffmpeg", "-v", "error", "-i", str(out), "-frames:v", "1",
                            "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"],
                           capture_output=True, check=True).stdout
    assert abs(pixel[0] - 60) <= 2  # frame 30 of the source (lum = 2 * 30)


def test_fast_trim_copies_streams(video_30s, tmp_path):
    out = tmp_path / "fast.mp4"
    info = trim(video_30s, out, start=5.0, duration=4.0, mode="fast")
    assert probe(out)["codec"] == "h264"
    # Stream copy cuts on keyframes (GOP 2 s here): never shorter, at most a GOP longer.
    assert 4.0 - 1 / 24 <= info["duration"] <= 6.0 + 1 / 24


def test_corrupt_input_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 1000)
    with pytest.raises(TrimError, match="bad.mp4"):
        trim(bad, tmp_path / "out.mp4", start=0, duration=1)
    assert not (tmp_path / "out.mp4").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.mp4"]


def test_trim_item_records_corrupt_download_and_keeps_going(tmp_path):
    dl = tmp_path / "dl"
    (dl / "videos").mkdir(parents=True)
    (dl / "status").mkdir()
    (dl / "videos/aaaaaaaaaaa_000000_000002.mp4").write_bytes(b"not a video")
    status = dl / "status/aaaaaaaaaaa_000000_000002.json"  # any record path works
    status.write_text(json.dumps({
        "item_id": "aaaaaaaaaaa_000000_000002", "youtube_id": "aaaaaaaaaaa", "status": "ok",
        "segment": [0, 2], "segment_download": True,
        "file": "videos/aaaaaaaaaaa_000000_000002.mp4", "finished_at": "t"}))
    rec = trim_item(status, dl, tmp_path / "clips",
                    {"mode": "exact", "crf": 20, "preset": "veryfast"})
    assert rec["status"] == "failed" and rec["category"] == "corrupt"
    assert "aaaaaaaaaaa_000000_000002.mp4" in rec["message"]
    written = json.loads(paths.item_file(tmp_path / "clips/status", "aaaaaaaaaaa_000000_000002",
                                         ".json").read_text())
    assert written["status"] == "failed"
    assert not [p for p in (tmp_path / "clips/clips").rglob("*") if p.is_file()]


def test_prepare_requeues_clips_made_by_other_code_or_from_another_download(tmp_path,
                                                                          monkeypatch):
    monkeypatch.chdir(tmp_path)
    params = stage_project(tmp_path)
    ids = [f"{c * 11}_000000_000002" for c in "abc"]
    write_manifest(Manifest([DownloadItem(i, i[:11], "u", 0.0, 2.0, "train", "", "t:1")
                             for i in ids], [], []), paths.MANIFEST_DIR)
    records = {i: paths.download_record(params, i) for i in ids}
    stage = TrimStage()
    for item, record in records.items():
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps({"item_id": item, "status": "failed", "finished_at": "t1"}))
        assert "skipped" in stage.run_one(params, item)
    records[ids[1]].write_text(json.dumps(
        {"item_id": ids[1], "status": "ok", "finished_at": "t2"}))  # downloaded again
    status = paths.clips_dir(params) / paths.STATUS
    assert prepare(stage, params)["stale"] == 1
    assert sorted(p.name for p in status.rglob("*") if p.is_file()) == [
        f"{ids[0]}.json", f"{ids[0]}.json.key", f"{ids[2]}.json", f"{ids[2]}.json.key"]
    with open("src/gifworthy/trim.py", "a") as fh:  # other trim code
        fh.write("\n# changed\n")
    assert prepare(stage, params)["stale"] == 2
    assert Path("data/clips").exists() and not [p for p in status.rglob("*") if p.is_file()]


def test_cli_trim(video_30s, tmp_path, capsys):
    out = tmp_path / "c.mp4"
    assert main(["trim", str(video_30s), str(out), "--start", "2", "--end", "4"]) == 0
    assert json.loads(capsys.readouterr().out)["frames"] == 48


def test_odd_named_file_is_not_an_option(tmp_path):
    src = make_video(tmp_path / "-looks-like-a-flag.mp4", seconds=2)
    info = trim(src, tmp_path / "-out.mp4", start=0, duration=1)
    assert info["frames"] == 24
