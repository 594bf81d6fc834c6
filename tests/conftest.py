"""Shared fixtures: real ffmpeg media made once per session, and the small sample pipeline
built once per test run (the expensive fixture every pipeline test starts from)."""

from pathlib import Path

import pytest

from support import init_project, make_video, run


@pytest.fixture(scope="session")
def video_30s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "src30.mp4")


@pytest.fixture(scope="session")
def built_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small sample pipeline (support.small_params), `dvc repro` once and committed.
    Read it directly; to change it, work on ``support.copy_project(built_pipeline, ...)``."""
    repo = init_project(tmp_path_factory.mktemp("built") / "repo")
    run(["dvc", "repro"], repo, timeout=1800)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "first run"], repo)
    return repo
