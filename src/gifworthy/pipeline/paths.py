"""Every path under ``data/``, ``models/``, ``metrics/`` and ``dvclive/``, and every variant
name. The Snakefile, the stages, the CLI and the tests all ask here, so a path is spelled
once. Params that change a file's bytes are part of its folder name (GUIDE 3, trap 3:
Snakemake cannot see param changes in a fresh clone or a DVC temp workspace). This module
imports no stage."""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import Any

__all__ = [
    "ABLATION_DIR", "ALIGN_DIR", "CLIPS_ROOT", "DOWNLOADS_CSV", "DOWNLOAD_ROOT", "EVAL_DIR",
    "EXPLORER_DIR", "FEATURES_ROOT", "GIFS_CSV", "GIF_FILES_CSV", "GIFS_ROOT", "LIVE_DIR",
    "MANIFEST_DIR", "METRICS_DIR", "MODELS_DIR", "SAMPLE_DIR", "SCREENTIME_MODEL_DIR",
    "DETECTOR_TAGS", "SEGMENTS_ROOT", "SHOTS_ROOT", "SHOTS_VARIANT", "SHARDS_DIR", "STATUS",
    "THROTTLE_FILE", "VIDEOS_CSV",
    "BOT_CHECK_FILE", "BUCKET_NAME",
    "bucket", "clips_dir", "item_file", "item_files", "slot",
    "download_dir", "download_record", "download_variant", "features_dir", "gifify_variant",
    "gifs_dir", "metrics_file", "seconds_file", "segments_dir", "shots_dir", "stage_folder",
    "timings_file",
    "trim_variant",
]

# Where the embedded sample corpus is built (its own DVC stage; only the sample package and
# the corpus readers look inside).
SAMPLE_DIR = Path("data/sample")
MANIFEST_DIR = Path("data/manifest")
DOWNLOADS_CSV = MANIFEST_DIR / "downloads.csv"
GIFS_CSV = MANIFEST_DIR / "gifs.csv"
VIDEOS_CSV = MANIFEST_DIR / "videos.csv"
GIF_FILES_CSV = MANIFEST_DIR / "gif_files.csv"
DOWNLOAD_ROOT = Path("data/download")
CLIPS_ROOT = Path("data/clips")
GIFS_ROOT = Path("data/gifs")
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
# Sites that asked for a bot check during this run (cleared when the next run is prepared).
BOT_CHECK_FILE = Path(".gifworthy/bot_check.json")
# Execution state of the shard jobs (plans, done markers, progress): machine state, never data,
# so it is neither in git nor in DVC (a different shard size must change no output's bytes).
SHARDS_DIR = Path(".gifworthy/shards")
# The folder of per-item status records inside a stage's variant folder.
STATUS = "status"


def slot(item_id: str) -> int:
    """An item's slot in 0..65535: the high 16 bits of the CRC-32 of its id. Stable (the id
    alone decides it), uniform enough for ids, and fast (650,000 ids in 0.1 s). Shards are
    runs of slots (:mod:`gifworthy.pipeline.shards`)."""
    return zlib.crc32(item_id.encode()) >> 16


def bucket(item_id: str) -> str:
    """The subfolder of an item's files: the high byte of its slot in hex, so 256 folders.
    At Kinetics-700 size (650,000 clips) a folder holds about 2,500 items, a few thousand
    entries with their keys, instead of a million entries in one folder; and a shard's
    files lie in one folder (or a few)."""
    return f"{zlib.crc32(item_id.encode()) >> 24:02x}"


# What a bucket folder's name looks like (:func:`bucket`).
BUCKET_NAME = re.compile(r"[0-9a-f]{2}")


def item_file(folder: Path, item_id: str, suffix: str) -> Path:
    """``folder/<bucket>/<item_id><suffix>``: where every per-item file lives."""
    return Path(f"{folder}/{bucket(item_id)}/{item_id}{suffix}")  # one parse: 650,000 a plan


def item_files(folder: Path, pattern: str) -> list[Path]:
    """The per-item files of ``folder`` matching ``pattern`` (e.g. ``*.npz``), by name (so by
    item id, whatever their buckets)."""
    return sorted(folder.glob(f"[0-9a-f][0-9a-f]/{pattern}"), key=lambda p: p.name)


def metrics_file(stage: str) -> Path:
    """``metrics/<stage>.json``: each stage's small metrics file (``cache: false``)."""
    return METRICS_DIR / f"{stage}.json"


def timings_file(stage: str) -> Path:
    """``metrics/timings/<stage>.json``: how long a stage's steps took (``cache: false``).
    Seconds never go into a cached output, whose bytes must depend on its inputs only."""
    return METRICS_DIR / "timings" / f"{stage}.json"


def seconds_file(output: Path) -> Path:
    """Beside a per-item output: how long its steps took. Machine facts, not data:
    ``.dvcignore`` keeps ``*.seconds.json`` out of DVC, so the output folder's hash depends
    on content only, while the stage's report still reads them."""
    return output.with_name(output.name + ".seconds.json")


def download_variant(download: dict[str, Any]) -> str:
    """Folder name for the params that change downloaded bytes."""
    cut = "full"
    if download.get("segments", True):
        cut = "exact" if download.get("exact_cuts", True) else "keyframe"
    return f"h{int(download['max_height'])}_{cut}"


def trim_variant(trim: dict[str, Any]) -> str:
    """Folder name for the params that change a clip's bytes."""
    if trim["mode"] == "fast":
        return "fast"
    return f"exact_crf{int(trim['crf'])}_{trim['preset']}"


def gifify_variant(gifify: dict[str, Any]) -> str:
    """Folder name for every param that changes a GIF's bytes."""
    return (f"w{int(gifify['width'])}_s{gifify['sample_fps']:g}_p{gifify['play_fps']:g}"
            f"_c{int(gifify['colors'])}_{gifify['dither']}")


def download_dir(params: dict[str, Any]) -> Path:
    return DOWNLOAD_ROOT / download_variant(params["download"])


def download_record(params: dict[str, Any], item_id: str) -> Path:
    """The status record of one download item."""
    return item_file(download_dir(params) / STATUS, item_id, ".json")


def clips_dir(params: dict[str, Any]) -> Path:
    return CLIPS_ROOT / trim_variant(params["trim"])


def gifs_dir(params: dict[str, Any]) -> Path:
    return GIFS_ROOT / gifify_variant(params["gifify"])


# Each shot detector's tag in the shots folder's name (gifworthy.shots.detectors.DETECTORS,
# in its order; a test holds the two together).
DETECTOR_TAGS = {"transnet": "tn", "scenedetect": "sd", "autoshot": "as"}
# What a shots folder's name looks like (another variant's folder, for the stage's clean-up).
SHOTS_VARIANT = r"(tn|sd|as)[^_]+(_(tn|sd|as)[^_]+)*"


def shots_dir(params: dict[str, Any]) -> Path:
    """The detectors the shots stage runs, with their thresholds, name the folder
    (``tn0.5_sd27`` for TransNetV2 and PySceneDetect)."""
    p = params["shots"]
    return SHOTS_ROOT / "_".join(f"{tag}{p[f'{name}_threshold']:g}"
                                 for name, tag in DETECTOR_TAGS.items()
                                 if name in p["detectors"])


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


def stage_folder(stage: str, params: dict[str, Any]) -> Path:
    """The variant folder of a fan-out stage's per-item files (what its ``Stage.folder``
    returns), by stage name: where its packs are (:mod:`gifworthy.pipeline.packs`)."""
    folders = {"download": download_dir, "trim": clips_dir, "gifify": gifs_dir,
               "align": lambda _: ALIGN_DIR / STATUS, "shots": shots_dir,
               "segments": segments_dir, "features": features_dir}
    if stage not in folders:
        raise ValueError(f"no fan-out stage {stage!r} (stages: {', '.join(folders)})")
    return folders[stage](params)
