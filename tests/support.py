"""Helpers shared by the tests (importable: pyproject puts tests/ on sys.path)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = str(Path(sys.executable).parent)
# Stage commands (`gifworthy`, `snakemake`, `dvc`) must resolve to this environment.
os.environ["PATH"] = BIN + os.pathsep + os.environ.get("PATH", "")


def make_video(path: Path, *, seconds: float = 30, size: str = "320x240", fps: int = 24,
               gop: int = 48) -> Path:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
         f"testsrc2=s={size}:r={fps}", "-f", "lavfi", "-i", "sine=f=440:sample_rate=22050",
         "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-g", str(gop),
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "32k", "-movflags", "+faststart",
         "-shortest", str(path)], check=True)
    return path


def run(cmd: list[str] | str, cwd: Path, *, check: bool = True, env: dict | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          shell=isinstance(cmd, str), env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
                             f"{proc.stderr[-5000:]}")
    return proc


PROJECT_FILES = ("dvc.yaml", "Snakefile", "rules", "profiles", "params.yaml", ".dvcignore",
                 ".gitignore", "src", "data/annotations")


def small_params(**overrides: object) -> str:
    """params.yaml text for a small, fast sample corpus (3 synthetic + 4 real videos)."""
    import yaml

    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["sample"].update(synthetic_videos=3, shots_per_video=[2, 3], shot_seconds=[2.0, 3.0],
                            gifs_per_video=[1, 2])
    params["download"].update(backoff_seconds=0.2, throttle_cooldown_seconds=1)
    # TransNetV2 beside the default PySceneDetect: the pipeline path through it (the shots
    # stage's network and the detector comparison) stays tested.
    params["shots"].update(detectors=["transnet", "scenedetect"])
    # Ranking at test size: one seed, one small net, a 2-cell ablation (each DVC matrix cell
    # is a process that loads torch).
    params["ranking"].update(seeds=[0])
    params["ranknet"].update(epochs=5, models=1)
    params["lightgbm"].update(rounds=30)
    params["ablation"].update(losses=["l1", "adaptive_huber"], noise_levels=[0.0])
    params["screentime"].update(epochs=10, augment_copies=1)
    params["screentime"]["sample"].update(labelled_videos=3, labelled_seconds=8,
                                          heldout_videos=1, heldout_seconds=8, empty_seconds=4)
    for key, value in overrides.items():
        section, _, name = key.partition(".")
        params[section][name] = value
    return yaml.safe_dump(params, sort_keys=False)


def init_project(dest: Path, params_text: str | None = None) -> Path:
    """A fresh git + DVC repository holding this project's pipeline files."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        src = ROOT / name
        if src.is_dir():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns(
                "__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, dest / name)
    (dest / "params.yaml").write_text(params_text or small_params())
    run(["git", "init", "-q"], dest)
    run(["git", "config", "user.email", "test@example.invalid"], dest)
    run(["git", "config", "user.name", "gifworthy tests"], dest)
    run(["dvc", "init", "-q"], dest)
    run(["dvc", "config", "core.analytics", "false"], dest)
    run(["git", "add", "-A"], dest)
    run(["git", "commit", "-qm", "init"], dest)
    return dest


def stage_project(path: Path) -> dict:
    """``path`` laid out as a project for the stage code (dvc.yaml and src/, so job keys see
    the stage's code as DVC does); returns the shipped params. The caller chdirs into it."""
    import yaml

    shutil.copy(ROOT / "dvc.yaml", path / "dvc.yaml")
    shutil.copytree(ROOT / "src", path / "src", ignore=shutil.ignore_patterns(
        "__pycache__", "*.egg-info"))
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def copy_project(src: Path, dest: Path) -> Path:
    """A copy of a built repository (git, DVC cache, outputs, mtimes kept): what a test that
    changes a built pipeline starts from, instead of building its own."""
    shutil.copytree(src, dest, symlinks=True)
    return dest
