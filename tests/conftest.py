"""Shared fixtures: real ffmpeg media made once per session."""

from pathlib import Path

import pytest

from support import make_video


@pytest.fixture(scope="session")
def video_30s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "src30.mp4")
