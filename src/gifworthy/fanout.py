"""The per-video jobs of the fan-out stages after download (align, shots, segments, features):
which videos they cover, what each job reads and writes, and a fingerprint that says whether
a finished output is still valid.

Why fingerprints: these stages keep their outputs between runs (``persist: true`` in
dvc.yaml), so a stage that fails as a whole (a cluster job killed with no retries left, an
interrupted ``dvc repro``) resumes with only the missing videos instead of redoing all of
them. Snakemake cannot tell a stale file from a valid one here: its inputs are ``ancient()``
(DVC checkouts give meaningless mtimes, GUIDE 3, trap 4) and its metadata is not shared
between clones (trap 3). So every job writes ``<output>.key`` after its output: a hash of
the stage's code, the params the job reads, and the identity of each input. Before
Snakemake runs, :func:`prepare` deletes every output whose key is missing or differs from
the one the job would write now, and Snakemake redoes exactly those.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable

from . import layout
from .fingerprint import code_fingerprint, content_digest
from .fsutil import read_json, remove_other_variants, write_text
from .gifify import source_key

__all__ = ["STAGES", "VideoJob", "fingerprint", "gifs_by_video", "job", "key_path", "prepare",
           "videos", "write_key"]

STAGES = ("align", "shots", "segments", "features")


@dataclasses.dataclass(frozen=True)
class VideoJob:
    """One video's job in one stage: its output, the files it reads (by role; ``records``
    are status records known by their version, ``files`` by their content), and the params
    and other values it reads (``settings``)."""

    stage: str
    youtube_id: str
    output: Path
    records: dict[str, Path]
    files: dict[str, Path]
    settings: dict[str, Any]


def gifs_by_video(params: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """GIFs to align, by video: the sample corpus's user GIFs (with their truth), or for any
    other corpus the GIFs regenerated from the metadata (an agreement check)."""
    from . import manifest
    from .sample import resolve_source

    by_video: dict[str, list[dict[str, Any]]] = {}
    if params["corpus"]["source"] == "sample":
        path = layout.SAMPLE_DIR / "gifs.json"
        for g in read_json(path) if path.exists() else []:
            gif_path = resolve_source(g) if g.get("real") else Path(g["path"])
            by_video.setdefault(g["youtube_id"], []).append({
                "gif_id": g["gif_id"], "youtube_id": g["youtube_id"], "path": str(gif_path),
                "start_frame": g["start_frame"], "end_frame": g["end_frame"],
                "distortion": g["distortion"], "decoy": bool(g.get("decoy_of"))})
        return by_video
    if not layout.GIFS_CSV.exists():
        return by_video
    gifs_dir = layout.gifs_dir(params)
    for row in manifest.read_gif_rows(layout.GIFS_CSV):
        path = gifs_dir / "v2g" / f"{row['gif_id']}.gif"
        by_video.setdefault(row["youtube_id"], []).append({
            "gif_id": row["gif_id"], "youtube_id": row["youtube_id"], "path": str(path),
            "start_sec": float(row["start_sec"]), "end_sec": float(row["end_sec"]),
            "distortion": "regenerated", "decoy": False})
    return by_video


def videos(params: dict[str, Any], items: Iterable[str] | None = None,
           gifs: dict[str, list[dict[str, Any]]] | None = None) -> list[str]:
    """The videos the fan-out stages cover: those with GIFs, among the manifest's downloads.
    ``items`` (the download ids) and ``gifs`` (:func:`gifs_by_video`) save reading them again
    when the caller has them: the Snakefile is parsed again for every cluster job."""
    from .manifest import read_downloads

    if items is None:
        if not layout.DOWNLOADS_CSV.exists():
            return []
        items = [i.item_id for i in read_downloads(layout.DOWNLOADS_CSV)]
    return sorted(set(gifs if gifs is not None else gifs_by_video(params)) & set(items))


def sources_info(params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Title and category per video where the corpus has them (the sample does)."""
    path = layout.SAMPLE_DIR / "sources.json"
    if params["corpus"]["source"] == "sample" and path.exists():
        return {s["youtube_id"]: s for s in read_json(path)}
    return {}


def stage_dir(stage: str, params: dict[str, Any]) -> Path:
    """The folder holding one stage's per-video outputs for these params."""
    return {"align": lambda: layout.ALIGN_DIR / "status",
            "shots": lambda: layout.shots_dir(params),
            "segments": lambda: layout.segments_dir(params),
            "features": lambda: layout.features_dir(params)}[stage]()


_SUFFIX = {"align": ".json", "shots": ".npz", "segments": ".csv", "features": ".npz"}


def job(stage: str, params: dict[str, Any], youtube_id: str,
        gifs: dict[str, list[dict[str, Any]]] | None = None,
        info: dict[str, dict[str, Any]] | None = None) -> VideoJob:
    """What the ``stage`` job of one video reads and writes. ``gifs`` and ``info`` (from
    :func:`gifs_by_video` and the sample's sources) may be passed to save reading them again
    for every video."""
    if stage not in STAGES:
        raise ValueError(f"unknown fan-out stage {stage!r} (one of {', '.join(STAGES)})")
    download = layout.download_dir(params) / "status" / f"{youtube_id}.json"
    shots = layout.shots_dir(params) / f"{youtube_id}.npz"
    output = stage_dir(stage, params) / f"{youtube_id}{_SUFFIX[stage]}"
    if stage == "align":
        video_gifs = (gifs if gifs is not None else gifs_by_video(params)).get(youtube_id, [])
        # A GIF counts by its content, not its path (a package file's path is per machine).
        return VideoJob(stage, youtube_id, output, {"download": download},
                        {f"gif:{g['gif_id']}": Path(g["path"]) for g in video_gifs},
                        {"gifs": [{k: v for k, v in g.items() if k != "path"}
                                  for g in video_gifs]})
    if stage == "shots":
        return VideoJob(stage, youtube_id, output, {"download": download}, {},
                        {"shots": shots_settings(params)})
    if stage == "segments":
        return VideoJob(stage, youtube_id, output, {},
                        {"shots": shots,
                         "align": layout.ALIGN_DIR / "status" / f"{youtube_id}.json"},
                        {"detector": params["shots"]["detector"],
                         "segments": params["segments"]})
    video_info = (info if info is not None else sources_info(params)).get(youtube_id, {})
    return VideoJob(stage, youtube_id, output, {"download": download},
                    {"segments": layout.segments_dir(params) / f"{youtube_id}.csv",
                     "shots": shots},
                    {"features": params["features"],
                     "category": video_info.get("category", ""),
                     "title": video_info.get("title", "")})


def shots_settings(params: dict[str, Any]) -> dict[str, Any]:
    """The shots params a shots job reads (the detector choice and the metric tolerance only
    matter downstream and in the report, so changing them keeps the shots)."""
    p = params["shots"]
    return {"transnet_threshold": p["transnet_threshold"],
            "scenedetect_threshold": p["scenedetect_threshold"]}


def fingerprint(j: VideoJob, code: str) -> str:
    """The key the job's output must carry to be valid."""
    doc = {"stage": j.stage, "code": code, "settings": j.settings,
           # Records count by path and version (source_key), not bytes: re-recording the same
           # download ("reused") must not redo what was made from it.
           "records": {k: source_key(p) for k, p in sorted(j.records.items())},
           "files": {k: content_digest(p) for k, p in sorted(j.files.items())}}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def key_path(output: Path) -> Path:
    return output.with_name(output.name + ".key")


def write_key(j: VideoJob, code: str | None = None) -> None:
    """Record that ``j.output`` is finished and valid (after it was written)."""
    key = fingerprint(j, code if code is not None else code_fingerprint(j.stage))
    write_text(key_path(j.output), key + "\n")


_VARIANT_NAMES = {"shots": r"tn.+_sd.+", "segments": r"tn.+_sd.+"}


def prepare(stage: str, params: dict[str, Any], *,
            dvc_yaml: str | os.PathLike[str] = "dvc.yaml") -> dict[str, int]:
    """Reconcile a stage's persisted outputs before Snakemake runs: remove other params'
    variant folders, temporaries and the files of videos no longer covered
    (``removed_files``), and outputs whose key is missing or stale (``stale``, with their
    keys). What remains is exactly what a fresh run would
    write again, so Snakemake only runs the jobs whose outputs are gone."""
    folder = stage_dir(stage, params)
    removed = []
    if stage in _VARIANT_NAMES:
        removed = remove_other_variants(folder.parent, folder, _VARIANT_NAMES[stage])
    elif stage == "features":  # <segments variant>/<extractors variant>
        removed = remove_other_variants(layout.FEATURES_ROOT, folder.parent, r"tn.+_sd.+")
        removed += remove_other_variants(folder.parent, folder, r".+_f.+")
    folder.mkdir(parents=True, exist_ok=True)  # exists even for an empty corpus
    code = code_fingerprint(stage, dvc_yaml)
    gifs = gifs_by_video(params)
    info = sources_info(params) if stage == "features" else None
    wanted = {yid: job(stage, params, yid, gifs=gifs, info=info)
              for yid in videos(params, gifs=gifs)}
    counts = {"removed_variants": len(removed), "removed_files": 0, "stale": 0, "kept": 0}
    for path in sorted(folder.iterdir()):
        if path.is_dir():
            continue
        name = path.name[:-len(".key")] if path.name.endswith(".key") else path.name
        yid, suffix = os.path.splitext(name)
        if path.name.startswith(".tmp-") or suffix != _SUFFIX[stage] or yid not in wanted:
            path.unlink()
            counts["removed_files"] += not path.name.endswith(".key")
    for yid, j in wanted.items():
        key = key_path(j.output)
        if not j.output.exists():
            key.unlink(missing_ok=True)
            continue
        current = key.read_text(encoding="utf-8").strip() if key.exists() else ""
        if current == fingerprint(j, code):
            counts["kept"] += 1
            continue
        j.output.unlink()
        key.unlink(missing_ok=True)
        counts["stale"] += 1
    return counts
