import json
import subprocess

import pytest

from support import make_video
from gifworthy.cli import main
from gifworthy.media import count_frames, probe
from gifworthy.trim import TrimError, prepare, trim, trim_item, variant


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
    status = dl / "status/aaaaaaaaaaa_000000_000002.json"
    status.write_text(json.dumps({
        "item_id": "aaaaaaaaaaa_000000_000002", "youtube_id": "aaaaaaaaaaa", "status": "ok",
        "segment": [0, 2], "segment_download": True,
        "file": "videos/aaaaaaaaaaa_000000_000002.mp4", "finished_at": "t"}))
    rec = trim_item(status, dl, tmp_path / "clips", {"mode": "exact", "crf": 20,
                                                   "preset": "veryfast"})
    assert rec["status"] == "failed" and rec["category"] == "corrupt"
    assert "aaaaaaaaaaa_000000_000002.mp4" in rec["message"]
    written = json.loads((tmp_path / "clips/status/aaaaaaaaaaa_000000_000002.json").read_text())
    assert written["status"] == "failed"
    assert not (tmp_path / "clips/clips").exists() or not list((tmp_path / "clips/clips").iterdir())


def test_prepare_requeues_clips_made_by_other_code_or_from_another_download(tmp_path):
    params = {"mode": "exact", "crf": 20, "preset": "veryfast"}
    dl = tmp_path / "dl"
    (dl / "status").mkdir(parents=True)
    ids = [f"{c * 11}_000000_000002" for c in "abc"]
    for item in ids:
        (dl / f"status/{item}.json").write_text(json.dumps(
            {"item_id": item, "status": "failed", "finished_at": "t1"}))
        trim_item(dl / f"status/{item}.json", dl, tmp_path / "clips" / variant(params), params,
                  code="code-1")
    (dl / f"status/{ids[1]}.json").write_text(json.dumps(
        {"item_id": ids[1], "status": "ok", "finished_at": "t2"}))  # downloaded again
    status = tmp_path / "clips" / variant(params) / "status"
    assert prepare(set(ids), tmp_path / "clips", dl, params, code="code-1")["requeued"] == 1
    assert sorted(p.stem for p in status.iterdir()) == [ids[0], ids[2]]
    assert prepare(set(ids), tmp_path / "clips", dl, params, code="code-2")["requeued"] == 2


def test_cli_trim(video_30s, tmp_path, capsys):
    out = tmp_path / "c.mp4"
    assert main(["trim", str(video_30s), str(out), "--start", "2", "--end", "4"]) == 0
    assert json.loads(capsys.readouterr().out)["frames"] == 48


def test_odd_named_file_is_not_an_option(tmp_path):
    src = make_video(tmp_path / "-looks-like-a-flag.mp4", seconds=2)
    info = trim(src, tmp_path / "-out.mp4", start=0, duration=1)
    assert info["frames"] == 24
