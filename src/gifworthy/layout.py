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
METRICS_DIR = Path("metrics")
THROTTLE_FILE = Path(".gifworthy/throttle.json")


def download_dir(params: dict[str, Any]) -> Path:
    return DOWNLOAD_ROOT / download.variant(params["download"])


def clips_dir(params: dict[str, Any]) -> Path:
    return CLIPS_ROOT / trim.variant(params["trim"])


def gifs_dir(params: dict[str, Any]) -> Path:
    return GIFS_ROOT / gifify.variant(params["gifify"])
