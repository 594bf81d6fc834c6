"""The pipeline through real DVC and Snakemake, in temporary git repositories."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from support import copy_project, init_project, run, small_params

os.environ.setdefault("DVC_NO_ANALYTICS", "1")


def status_records(repo: Path, variant: str = "h360_exact") -> dict[str, dict]:
    folder = repo / "data/download" / variant / "status"
    if not folder.exists():
        return {}
    out = {}
    for p in folder.glob("*/*.json"):
        if p.name.startswith("."):
            continue  # a record being written (a .tmp- file, renamed into place when whole)
        try:
            out[p.stem] = json.loads(p.read_text())
        except ValueError:  # being written right now
            pass
    return out


@pytest.fixture
def repo(built_pipeline, tmp_path):
    """The tests below change the pipeline (experiments in the workspace, often up to one
    stage only): each works on its own copy of the built one, so none sees another's
    leftovers."""
    return copy_project(built_pipeline, tmp_path / "repo")


def test_repro_builds_everything(built_pipeline):
    repo = built_pipeline  # read only
    manifest = json.loads((repo / "metrics/manifest.json").read_text())
    download = json.loads((repo / "metrics/download.json").read_text())
    trim = json.loads((repo / "metrics/trim.json").read_text())
    assert manifest["videos"] == 7 and manifest["rejected"] == 0
    assert download["ok"] == download["items"] == manifest["downloads"]
    assert download["download_time_share"] > 0
    assert trim["ok"] == manifest["segments"] and trim["within_one_frame_share"] == 1.0
    stats = (repo / "data/download/stats.csv").read_text().splitlines()
    assert stats[0] == "id,bytes,download_seconds,ffmpeg_seconds,when"
    assert len(stats) == 1 + download["items"]
    assert (repo / "data/download/failed.csv").read_text().splitlines() == ["id,category,message"]
    gifs = json.loads((repo / "metrics/gifify.json").read_text())
    assert gifs["ok"] == gifs["items"] == manifest["segments"] + manifest["gifs"]
    site = repo / "data/explorer"
    assert {"index.html", "index.js", "explorer.js", "explorer.css", "labels"} <= {
        p.name for p in site.iterdir()}
    clips = [c for path in sorted((site / "labels").glob("*.js"))
             for c in json.loads("[" + path.read_text().split("(", 1)[1].rstrip().rstrip(";")
                                 .rstrip(")") + "]")[1]]
    assert len(clips) == manifest["segments"]
    assert all(c["src"] and (site / c["src"]).resolve().is_file() for c in clips)
    align = json.loads((repo / "metrics/align.json").read_text())
    assert align["decoys"] >= 1 and align["decoys_rejected"] == align["decoys"]
    assert align["aligned"] >= 0.8 * align["gifs"]
    assert (repo / "data/align/alignments.csv").read_text().startswith("gif_id,youtube_id")
    shots = json.loads((repo / "metrics/shots.json").read_text())
    assert shots["transnet"]["real"]["f1"] >= 0.9 and "scenedetect" in shots
    segments = json.loads((repo / "metrics/segments.json").read_text())
    assert segments["videos"] == manifest["videos"] and segments["positive"] >= 1
    features = json.loads((repo / "metrics/features.json").read_text())
    assert features["segments"] == segments["segments"] and features["errors"] == 0
    assert set(features["seconds_per_video_minute"]) >= {"decode", "image", "motion"}
    # The ranking stages have test videos to score (the small sample's testset.txt could
    # draw none; the sample then takes at least MIN_TEST_VIDEOS).
    evaluation = json.loads((repo / "metrics/eval.json").read_text())
    assert "skipped" not in evaluation and evaluation["test_videos"] >= 2, evaluation
    # The download stage really went through yt-dlp and the height-limited selection.
    rec = next(iter(status_records(repo).values()))
    assert rec["format_id"] and rec["height"] <= 360 or rec["height"] == 720


def test_second_repro_is_a_fast_noop(repo):
    t0 = time.time()
    proc = run(["dvc", "repro"], repo)
    assert time.time() - t0 < 10
    assert "Data and pipelines are up to date" in proc.stdout
    assert "Running stage" not in proc.stdout


@pytest.mark.slow  # CI runs it (make test-slow); make test stays fast
def test_loss_experiment_retrains_only_and_metrics_diff_shows_it(repo):
    proc = run(["dvc", "exp", "run", "-S", "ranknet.loss=l2", "-n", "l2-loss"], repo)
    for stage in ("train", "evaluate"):
        assert f"Running stage '{stage}'" in proc.stdout
    # The ablation sets the loss itself; nothing before training depends on it.
    for stage in ("download", "shots", "segments", "features", "ablation@"):
        assert f"Running stage '{stage}" not in proc.stdout
    diff = json.loads(run(["dvc", "metrics", "diff", "HEAD", "--json"], repo).stdout)
    # The training curve's last loss moves with the loss function. The test metrics need
    # not: on this 7-video build l2 and the adaptive Huber loss may order every test
    # segment alike.
    curve = diff["dvclive/train/metrics.json"]
    assert [k for k, v in curve.items() if k.endswith("train_loss") and v["old"] != v["new"]]
    # LightGBM is retrained in the same stage, deterministically: its metrics do not move.
    assert not [k for k in diff.get("metrics/eval.json", {}) if k.startswith("lightgbm.")]
    shown = json.loads(run(["dvc", "exp", "show", "--json"], repo).stdout)
    names = [r.get("name") for b in shown for e in b.get("experiments") or []
             for r in e.get("revs") or []]
    assert "l2-loss" in names


@pytest.mark.slow  # CI runs it (make test-slow); make test stays fast
def test_gif_param_change_never_redownloads_or_retrims(repo):
    before = {k: r["finished_at"] for k, r in status_records(repo).items()}
    # Targeted: the stages between the param and the explorer (train/eval cannot depend on it).
    proc = run(["dvc", "exp", "run", "explorer", "-S", "gifify.width=120"], repo)
    assert "Running stage 'gifify'" in proc.stdout and "Running stage 'explorer'" in proc.stdout
    for stage in ("sample", "manifest", "download", "trim"):
        assert f"Running stage '{stage}'" not in proc.stdout
    assert {k: r["finished_at"] for k, r in status_records(repo).items()} == before
    assert (repo / "data/gifs/w120_s4_p16_c48_bayer5/status").is_dir()
    assert not (repo / "data/gifs/w180_s4_p16_c48_bayer5").exists()


@pytest.mark.slow  # CI runs it (make test-slow); make test stays fast
def test_trim_param_change_never_redownloads(repo):
    before = {k: r["finished_at"] for k, r in status_records(repo).items()}
    proc = run(["dvc", "exp", "run", "gifify", "-S", "trim.crf=26"], repo)
    assert "Running stage 'trim'" in proc.stdout
    for stage in ("sample", "manifest", "download"):
        assert f"Running stage '{stage}'" not in proc.stdout
    assert {k: r["finished_at"] for k, r in status_records(repo).items()} == before
    assert (repo / "data/clips/exact_crf26_veryfast/status").is_dir()
    assert not (repo / "data/clips/exact_crf20_veryfast").exists()
    # GIFs made from the old clips are remade from the new ones (their job keys name the
    # clip records they were made from).
    assert "Running stage 'gifify'" in proc.stdout
    records = list((repo / "data/gifs").glob("*/status/clips/*/*.json"))
    clips = list((repo / "data/clips/exact_crf26_veryfast/status").glob("*/*.json"))
    assert records and clips
    assert min(p.stat().st_mtime for p in records) >= max(p.stat().st_mtime for p in clips)


@pytest.mark.slow  # CI runs it (make test-slow); make test stays fast
def test_segment_param_reruns_only_segments_and_features(repo):
    proc = run(["dvc", "exp", "run", "features", "-S", "segments.max_sec=3"], repo)
    assert "Running stage 'segments'" in proc.stdout
    assert "Running stage 'features'" in proc.stdout
    for stage in ("download", "trim", "gifify", "align", "shots"):
        assert f"Running stage '{stage}'" not in proc.stdout
    assert list((repo / "data/segments").glob("*_1-3s_p0.66/*/*.csv"))
    assert not list((repo / "data/segments").glob("*_1-4s_p0.66"))


@pytest.mark.slow  # CI runs it (make test-slow); make test stays fast
def test_download_param_reruns_only_what_depends_on_it(repo, tmp_path):
    proc = run(["dvc", "exp", "run", "trim", "-S", "download.exact_cuts=false"], repo)
    assert "Running stage 'download'" in proc.stdout
    assert "Running stage 'trim'" in proc.stdout
    assert "Running stage 'sample'" not in proc.stdout
    assert "Running stage 'manifest'" not in proc.stdout
    # Bytes that depend on the param live under a path that names it (GUIDE 3, trap 3).
    assert status_records(repo, "h360_keyframe")
    assert not (repo / "data/download/h360_exact").exists()

    # Committed, the experiment's metrics differ from the first run's in a fresh clone.
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "keyframe cuts"], repo)
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(repo), str(clone)], tmp_path)
    diff = json.loads(run(["dvc", "metrics", "diff", "HEAD~1", "--json"], clone).stdout)
    assert "bytes" in diff["metrics/download.json"]  # keyframe cuts move other bytes
    assert "metrics/trim.json" in diff


def _stale_stages(repo: Path) -> set[str]:
    status = json.loads(run(["dvc", "status", "--json"], repo).stdout)
    return {name.split("@")[0] for name in status}


@pytest.mark.parametrize("module, stale, fresh", [
    ("segments.py", {"segments", "features", "train", "evaluate", "ablation"},
     {"sample", "manifest", "download", "shots", "align", "screentime_train"}),
    ("features/motion.py", {"features", "train", "evaluate", "ablation", "ablation_report"},
     {"segments", "shots", "download", "explorer"}),
    ("cli/stages.py", {"download", "trim", "gifify", "align", "shots", "segments", "features"},
     {"sample", "manifest", "train", "explorer", "screentime_train"}),
    ("cli/ranking.py", {"train", "evaluate", "ablation", "ablation_report"},
     {"features", "download", "screentime_train"}),
])
def test_a_comment_in_a_module_makes_exactly_its_importers_stale(repo, module, stale, fresh):
    """Stage code cannot drift: dvc.yaml deps name package folders, so a change to any module
    a stage's command imports makes that stage stale in `dvc status` (and nothing else)."""
    path = repo / "src/gifworthy" / module
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"\n# a comment\n")
        found = _stale_stages(repo)
        assert stale <= found, found
        assert not fresh & found, found
    finally:
        path.write_bytes(original)
    assert not _stale_stages(repo)


def kill_repro_when(repo: Path, target: list[str], ready, timeout: float) -> None:
    """Start `dvc repro *target` and SIGKILL its whole process group (DVC, Snakemake and the
    jobs) as soon as ``ready()`` holds, as a lost session or a killed login node would."""
    proc = subprocess.Popen(["dvc", "repro", *target], cwd=repo, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + timeout
    while not ready():
        assert proc.poll() is None, "repro ended before it could be interrupted"
        assert time.time() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(0.5)


@pytest.mark.slow  # CI runs it (make test-slow); make test stays fast
@pytest.mark.timeout(900)
def test_killed_repro_resumes_without_redoing_finished_work(tmp_path):
    repo = init_project(tmp_path / "repo")
    kill_repro_when(repo, ["download"], lambda: len(status_records(repo)) >= 4, timeout=300)
    done = {k: r["finished_at"] for k, r in status_records(repo).items()}
    videos = repo / "data/download/h360_exact/videos"
    partial = [p.name for p in videos.rglob(".tmp-*")]
    total = json.loads((repo / "metrics/manifest.json").read_text())["downloads"]
    assert 4 <= len(done) < total

    result = run(["dvc", "repro", "download"], repo)
    after = status_records(repo)
    assert len(after) == total and all(r["status"] == "ok" for r in after.values())
    for item, finished_at in done.items():
        # Snakemake may rerun a job it had not yet seen finish; the job then finds the video
        # in place and records it again without fetching it ("reused").
        assert after[item]["finished_at"] == finished_at, f"{item} was downloaded again"
    assert not list(videos.rglob(".tmp-*"))
    print(f"killed with {len(done)}/{total} done and {len(partial)} partial downloads")
    assert "Data and pipelines are up to date" in run(["dvc", "repro", "download"],
                                                       repo).stdout
    assert result.returncode == 0


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_killed_features_stage_resumes_with_only_the_missing_videos(built_pipeline, tmp_path):
    """The persisted fan-out stages after download: an interrupted `dvc repro` keeps every
    finished video (valid fingerprint), and the rerun computes only the others."""
    repo = copy_project(built_pipeline, tmp_path / "repo")
    # A change to the features code (one that moves no number) redoes every video's features.
    code = repo / "src/gifworthy/features/stage.py"
    code.write_text(code.read_text() + "\n# a change that moves no number\n")
    features_root = repo / "data/features"

    built = max(p.stat().st_mtime_ns for p in features_root.rglob("*.npz.key"))

    def finished() -> dict[str, int]:  # keys written by this run (the built ones are stale)
        keys = {}
        for p in features_root.rglob("*.npz.key"):
            try:
                keys[p.name] = p.stat().st_mtime_ns
            except FileNotFoundError:  # removed by features-prepare meanwhile
                pass
        return {name: mtime for name, mtime in keys.items() if mtime > built}

    videos = len(list((repo / "data/segments").glob("*/*/*.csv")))
    kill_repro_when(repo, ["features"], lambda: len(finished()) >= 2, timeout=600)
    done = finished()
    assert 2 <= len(done) < videos
    outputs = {p.name: p.stat().st_mtime_ns for p in features_root.rglob("*.npz")}

    result = run(["dvc", "repro", "features"], repo)
    print(f"killed with {len(done)}/{videos} videos' features done")
    assert "features-prepare: " in result.stdout
    prepared = json.loads(result.stdout.split("features-prepare: ", 1)[1].splitlines()[0])
    assert prepared["kept"] == len(done)
    # One shard job; it computes only the videos without a finished output.
    computed = (result.stdout + result.stderr).count(": features written")
    assert computed == videos - len(done), result.stdout[-3000:]
    after = finished()
    assert len(after) == videos
    assert {k: after[k] for k in done} == done, "a finished video was redone"
    for name, mtime in outputs.items():
        if name + ".key" in done:
            assert (next(features_root.rglob(name))).stat().st_mtime_ns == mtime
    assert not [p for p in features_root.rglob(".tmp-*")]
    features = json.loads((repo / "metrics/features.json").read_text())
    assert features["errors"] == 0 and features["videos"] == videos
    assert "Data and pipelines are up to date" in run(["dvc", "repro", "features"], repo).stdout


@pytest.mark.slow  # CI runs it (make test-slow); make test stays fast
def test_empty_corpus_runs_through_every_stage(tmp_path):
    params = yaml.safe_load(small_params(**{"sample.synthetic_videos": 0}))
    params["corpus"].update(format="kinetics_csv", source="data/annotations/empty.csv")
    repo = init_project(tmp_path / "repo", yaml.safe_dump(params))
    (repo / "data/annotations/empty.csv").write_text("label,youtube_id,time_start,time_end,split\n")
    run(["dvc", "repro"], repo)
    assert json.loads((repo / "metrics/download.json").read_text())["items"] == 0
    assert json.loads((repo / "metrics/gifify.json").read_text())["items"] == 0
    assert "\"clips\":0," in (repo / "data/explorer/index.js").read_text()
    # Editing the annotation file reruns the manifest (data/annotations is a dependency).
    (repo / "data/annotations/empty.csv").write_text(
        "label,youtube_id,time_start,time_end,split\nx,../evil/xyz,0,10,train\n")
    run(["dvc", "repro", "manifest"], repo)
    assert "../evil" in (repo / "data/manifest/rejected.csv").read_text()


def test_bad_params_fail_before_any_stage(tmp_path):
    params = yaml.safe_load(small_params())
    params["download"]["max_height"] = "tall"
    repo = init_project(tmp_path / "repo", yaml.safe_dump(params))
    proc = run(["dvc", "repro"], repo, check=False)
    assert proc.returncode != 0
    assert "download.max_height" in proc.stdout + proc.stderr
    assert not (repo / "data/sample").exists()
