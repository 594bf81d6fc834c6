"""Where each stage's files live. The Snakefile, the CLI and the tests all ask here, so a path
is defined once. Params that change a file's bytes are part of its directory name (GUIDE 3,
trap 3: Snakemake cannot see param changes in a fresh clone or a DVC temp workspace)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import download, gifify, trim

SAMPLE_DIR = Path("data/sample")
MANIFEST_DIR = Path("data/manifest")
DOWNLOADS_CSV = MANIFEST_DIR / "downloads.csv"
DOWNLOAD_ROOT = Path("data/download")
CLIPS_ROOT = Path("data/clips")
GIFS_ROOT = Path("data/gifs")
GIFS_CSV = MANIFEST_DIR / "gifs.csv"
EXPLORER_DIR = Path("data/explorer")
ALIGN_DIR = Path("data/align")
SHOTS_ROOT = Path("data/shots")
SEGMENTS_ROOT = Path("data/segments")
FEATURES_ROOT = Path("data/features")
MODELS_DIR = Path("models/ranking")
SCREENTIME_MODEL_DIR = Path("models/screentime")
EVAL_DIR = Path("data/eval")
ABLATION_DIR = Path("data/ablation")
LIVE_DIR = Path("dvclive/train")
METRICS_DIR = Path("metrics")
THROTTLE_FILE = Path(".gifworthy/throttle.json")


def download_dir(params: dict[str, Any]) -> Path:
    return DOWNLOAD_ROOT / download.variant(params["download"])


def clips_dir(params: dict[str, Any]) -> Path:
    return CLIPS_ROOT / trim.variant(params["trim"])


def gifs_dir(params: dict[str, Any]) -> Path:
    return GIFS_ROOT / gifify.variant(params["gifify"])


def shots_dir(params: dict[str, Any]) -> Path:
    """Both detectors run in the shots stage; their thresholds name the directory."""
    p = params["shots"]
    return SHOTS_ROOT / f"tn{p['transnet_threshold']:g}_sd{p['scenedetect_threshold']:g}"


def segments_dir(params: dict[str, Any]) -> Path:
    p = params["segments"]
    return SEGMENTS_ROOT / (f"{shots_dir(params).name}_{params['shots']['detector']}"
                            f"_{p['min_sec']:g}-{p['max_sec']:g}s_p{p['positive_overlap']:g}")


def features_dir(params: dict[str, Any]) -> Path:
    p = params["features"]
    name = "+".join(p["extractors"]) + f"_f{p['image_fps']:g}"
    if p.get("context_text"):
        name += "_text"
    if "c3d" in p["extractors"] and p.get("c3d_weights"):
        name += "_" + Path(p["c3d_weights"]).stem
    return FEATURES_ROOT / segments_dir(params).name / name


def source_video(params: dict[str, Any], youtube_id: str) -> Path | None:
    """The downloaded full video of ``youtube_id``, or None when its download is missing or
    failed."""
    status = download.status_path(download_dir(params), youtube_id)
    if not status.exists():
        return None
    return gifify.source_of_video(status, download_dir(params))[0]
