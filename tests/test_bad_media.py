"""Damaged media at every stage that reads it: nothing cut short is counted as done, and a
bad input is a record, never a failed job. Real ffmpeg, real yt-dlp over loopback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml

from gifworthy.align.stage import align_video_gifs
from gifworthy.corpus.base import DownloadItem
from gifworthy.download.stage import download_item
from gifworthy.download.throttle import ThrottleGate
from gifworthy.media.encode import GififyError, TrimError, gifify, trim
from gifworthy.media.probe import MediaError, check_complete
from gifworthy.sample.server import MediaServer
from gifworthy.shots.stage import save_shots

ROOT = Path(__file__).resolve().parents[1]
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())


def _damaged(kind: str, good: Path, folder: Path) -> Path:
    """A damaged copy of ``good`` (a 30 s +faststart MP4)."""
    out = folder / f"{kind.replace(' ', '_')}.mp4"
    data = good.read_bytes()
    if kind == "first half, index intact":
        out.write_bytes(data[: len(data) // 2])
    elif kind == "garbage":
        out.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, np.uint8).tobytes())
    elif kind == "empty":
        out.write_bytes(b"")
    elif kind == "audio only":
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(good), "-vn",
                        "-c:a", "copy", str(out)], check=True)
    elif kind == "index at the end, cut":
        tail = folder / "tail.mp4"
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(good), "-c",
                        "copy", str(tail)], check=True)  # no +faststart: moov last
        out.write_bytes(tail.read_bytes()[: tail.stat().st_size * 2 // 3])
    else:
        raise ValueError(kind)
    return out


KINDS = ["first half, index intact", "garbage", "empty", "audio only", "index at the end, cut"]


@pytest.mark.parametrize("kind", KINDS)
def test_trim_of_damaged_source_fails_with_the_reason(video_30s, tmp_path, kind):
    """10-20 s of the video: the first half of the file holds about 14 s, so the clip would
    come out 4 s short and look complete (exit code 0) without the checks."""
    src = _damaged(kind, video_30s, tmp_path)
    dst = tmp_path / "clip.mp4"
    with pytest.raises(TrimError) as err:
        trim(src, dst, start=10.0, duration=10.0)
    assert str(src) in str(err.value)
    assert not dst.exists() and list(tmp_path.glob("*clip*")) == []


def test_trim_inside_what_a_cut_file_still_holds_is_whole(video_30s, tmp_path):
    src = _damaged("first half, index intact", video_30s, tmp_path)
    info = trim(src, tmp_path / "clip.mp4", start=2.0, duration=5.0)
    assert abs(info["duration"] - 5.0) < 0.05


@pytest.mark.parametrize("kind", KINDS)
def test_gif_of_damaged_source_fails_with_the_reason(video_30s, tmp_path, kind):
    src = _damaged(kind, video_30s, tmp_path)
    out = tmp_path / "clip.gif"
    with pytest.raises(GififyError, match="damaged|truncated|unreadable|no frames"):
        gifify(src, out, start=10.0, end=20.0)
    assert not out.exists()


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "audio only"])  # whole, no video:
def test_check_complete_names_what_is_missing(video_30s, tmp_path, kind):  # probe's to say
    check_complete(video_30s)
    with pytest.raises(MediaError, match="truncated|partial|Invalid|no video|moov|unreadable|"
                                         "End of file"):
        check_complete(_damaged(kind, video_30s, tmp_path))


@pytest.mark.parametrize("kind", ["garbage", "empty", "audio only", "index at the end, cut",
                                  "missing"])
def test_per_video_stages_record_an_unreadable_source(video_30s, tmp_path, kind):
    """align and shots: one record per GIF (or one shots file) saying why, not an exception
    that fails the job and leaves nothing, so the item is not retried forever."""
    src = tmp_path / "missing.mp4" if kind == "missing" else _damaged(kind, video_30s, tmp_path)
    gif = tmp_path / "g.gif"
    gifify(video_30s, gif, start=1.0, end=3.0)
    records = align_video_gifs(src, [{"gif_id": "g1", "youtube_id": "aaaaaaaaaaa",
                                      "path": str(gif)}])
    assert len(records) == 1 and records[0]["aligned"] is False
    assert records[0]["reason"].startswith("source video unreadable")
    out = tmp_path / "shots.npz"
    message = save_shots(src, out, PARAMS["shots"], runtime="torch")
    assert message.startswith("cannot detect shots") and out.exists()
    with np.load(out) as z:
        assert str(z["error"]).startswith("cannot detect shots")


def test_full_download_cut_short_with_its_index_is_not_done(video_30s, tmp_path):
    """A host that serves the first half of a +faststart MP4 as the whole file (its
    Content-Length says so, so yt-dlp sees no short read): the index still lists 30 s, so a
    probe says whole. Counting packets shows what is missing: a "corrupt" failure, retried."""
    half = _damaged("first half, index intact", video_30s, tmp_path)
    with MediaServer({"/videos/aaaaaaaaaaa.mp4": half}, heights={"aaaaaaaaaaa": 240}) as srv:
        item = DownloadItem("aaaaaaaaaaa", "aaaaaaaaaaa", srv.url("/watch?v=aaaaaaaaaaa"),
                            None, None, "train", "", "t:1")
        dl = dict(PARAMS["download"], attempts=2, backoff_seconds=0.01)
        rec = download_item(item, tmp_path / "out", dl, gate=ThrottleGate(tmp_path / "g"),
                            sleep=lambda s: None)
    assert (rec["status"], rec["category"], rec["retry"]) == ("failed", "corrupt", True), rec
    assert "truncated" in rec["message"] and rec["attempts"] == 2
    assert not list((tmp_path / "out").rglob("*.mp4"))
