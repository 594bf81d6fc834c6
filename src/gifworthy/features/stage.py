"""The features stage: the extractors named in params.yaml, concatenated in that order, from
one ffmpeg decode per video with one branch per distinct stream (size, rate, colour), one
``.npz`` per video (matrix, column names, segment table), and their speed report."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Collection

import numpy as np

from gifworthy.core.fsutil import atomic_path, read_json, write_json
from gifworthy.corpus.base import VideoInfo
from gifworthy.corpus.manifest import read_videos, videos_to_rank
from gifworthy.features.backbones import load_c3d
from gifworthy.features.base import ExtractorContext
from gifworthy.features.registry import get_extractor
from gifworthy.media.decode import Stream, decode_streams
from gifworthy.media.probe import MediaError, frame_rate, probe
from gifworthy.nets.runtime import DEFAULT_RUNTIME
from gifworthy.pipeline import paths
from gifworthy.pipeline.records import read_record, source_video
from gifworthy.pipeline.stage import Job, Stage, write_index
from gifworthy.segments import COLUMNS, read_table

__all__ = ["FeaturesStage", "extract_features", "features_video", "load_video_features",
           "summarize"]


def extract_features(video: str, segments: list[dict[str, Any]], params: dict[str, Any], *,
                     transnet_per_second: np.ndarray | None = None, category: str = "",
                     title: str = "", runtime: str = DEFAULT_RUNTIME) -> dict[str, Any]:
    """Features of ``segments`` of ``video`` from ``params["extractors"]`` (in order).

    Returns ``matrix`` (segments x features, float32), ``names`` (one per column),
    ``blocks`` ({extractor: [first, last) columns}) and ``seconds`` (time per extractor,
    plus ``decode``, for the speed report).
    """
    names_wanted = list(params["extractors"])
    extractors = {name: get_extractor(name) for name in names_wanted}
    if "c3d" in names_wanted:
        load_c3d(params.get("c3d_weights"))  # fail before decoding anything
    info = probe(video)
    specs: dict[str, Stream] = {}
    for extractor in extractors.values():
        specs.update(extractor.streams(params, info["width"], info["height"]))
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    with decode_streams(video, specs, info) as (streams, info):
        seconds["decode"] = round(time.perf_counter() - t0, 3)
        fps = frame_rate(info["fps"])
        n_frames = len(streams["small"]) if "small" in streams else int(
            round(info["duration"] * fps))
        ctx = ExtractorContext(
            streams=streams, segments=segments, params=params, fps=fps,
            n_frames=max(n_frames, max((s["end_frame"] for s in segments), default=0)),
            transnet_per_second=transnet_per_second, category=category, title=title,
            runtime=runtime)
        blocks: dict[str, list[int]] = {}
        matrices: list[np.ndarray] = []
        names: list[str] = []
        for name, extractor in extractors.items():
            t = time.perf_counter()
            rows, cols = extractor.extract(ctx)
            seconds[name] = round(time.perf_counter() - t, 3)
            blocks[name] = [sum(m.shape[1] for m in matrices),
                            sum(m.shape[1] for m in matrices) + rows.shape[1]]
            matrices.append(rows)
            names += cols
    matrix = np.concatenate(matrices, axis=1) if matrices else np.zeros((len(segments), 0))
    return {"matrix": matrix.astype(np.float32), "names": names, "blocks": blocks,
            "seconds": seconds, "duration": info["duration"]}


def features_video(video: Any, segments_csv: Any, shots_file: Any, out: Any,
                   params: dict[str, Any], *, category: str = "", title: str = "",
                   runtime: str = DEFAULT_RUNTIME) -> None:
    """Features of one video's segments, written with its segment table to ``out`` (.npz,
    atomically). A missing video or a video with no segments gives an empty matrix."""
    segments = read_table(Path(segments_csv))
    # Only TransNetV2's per-second features are read here (the segments carry the cuts). They
    # are empty when shots.detectors leaves TransNetV2 out, which the schema allows unless
    # the transnet extractor is on.
    with np.load(Path(shots_file)) as shots:
        transnet_per_second = np.asarray(shots["features_per_second"])
    seconds: dict[str, float] = {}
    record: dict[str, Any] = {"error": "", "names": np.zeros(0, str),
                              "duration": 0.0, "gif_id": np.array([s["gif_id"] for s in segments])}
    matrix = np.zeros((len(segments), 0), np.float32)
    if video is None:
        record["error"] = "source video not downloaded"
    elif segments:
        try:
            found = extract_features(str(video), segments, params,
                                     transnet_per_second=transnet_per_second,
                                     category=category, title=title, runtime=runtime)
        except (MediaError, ValueError, OSError) as exc:
            record["error"] = f"cannot extract features: {exc}"
        else:
            matrix = found["matrix"]
            record.update(names=np.array(found["names"]), duration=found["duration"],
                          blocks=json.dumps(found["blocks"]))
            seconds = found["seconds"]
    table = {c: np.array([s[c] for s in segments]) for c in COLUMNS}
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    write_json(paths.seconds_file(Path(out)), seconds)  # before the output, which marks done
    with atomic_path(out) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, matrix=matrix, **{f"segment_{k}": v for k, v in table.items()}, **record)


def load_video_features(path: Any) -> dict[str, Any]:
    """A features file: ``matrix``, ``names``, ``segments`` (the table as columns), ``error``,
    and the ``seconds`` its steps took (from the file beside it, when present)."""
    timing = paths.seconds_file(Path(path))
    seconds = read_json(timing) if timing.is_file() else {}
    with np.load(path, allow_pickle=False) as z:
        out = {"matrix": np.asarray(z["matrix"]), "names": [str(n) for n in z["names"]],
               "error": str(z["error"]), "duration": float(z["duration"]),
               "seconds": seconds,
               "blocks": json.loads(str(z["blocks"])) if "blocks" in z else {},
               "segments": {k[len("segment_"):]: np.asarray(z[k]) for k in z.files
                            if k.startswith("segment_")},
               "gif_id": [str(g) for g in z["gif_id"]]}
    return out


def summarize(files: list[Any]) -> dict[str, Any]:
    """Seconds per minute of video for each extractor and for the decode, and the decode's
    share, over all videos."""
    totals: dict[str, float] = {}
    minutes = 0.0
    videos = errors = segments = 0
    dims = 0
    for path in files:
        f = load_video_features(path)
        videos += 1
        if f["error"]:
            errors += 1
            continue
        segments += len(f["matrix"])
        dims = f["matrix"].shape[1] or dims
        minutes += f["duration"] / 60.0
        for k, v in f["seconds"].items():
            totals[k] = totals.get(k, 0.0) + float(v)
    per_minute = {k: round(v / minutes, 3) for k, v in totals.items()} if minutes else {}
    spent = sum(totals.values())
    return {"videos": videos, "errors": errors, "segments": segments, "dimensions": dims,
            "video_minutes": round(minutes, 2),
            "seconds_per_video_minute": per_minute,
            "decode_share": round(totals.get("decode", 0.0) / spent, 4) if spent else 0.0}


class FeaturesStage(Stage):
    """One job per video with GIFs (or per download, :func:`videos_to_rank`); the video's
    title and category come from its download record (the site's metadata), else from the
    manifest."""
    reads = ("segments", "shots", "download")

    name = "features"
    pool = "serial"

    def folder(self, params: dict[str, Any]) -> Path:
        return paths.features_dir(params)

    def variant_levels(self, params: dict[str, Any]) -> list[tuple[Path, Path, str]]:
        folder = self.folder(params)  # <segments variant>/<extractors variant>
        return [(paths.FEATURES_ROOT, folder.parent, paths.SHOTS_VARIANT + r"_.+"),
                (folder.parent, folder, r".+_f.+")]

    def _job(self, params: dict[str, Any], video: str, info: dict[str, VideoInfo]) -> Job:
        known = info.get(video) or VideoInfo(video)
        # The site's own title and category (kept by the download record) before what the
        # corpus file says: Kinetics lists have neither, and titles change.
        record = paths.download_record(params, video)
        site = (read_record(record) or {}).get("info") or {}
        categories = site.get("categories") or [known.category]
        output = paths.item_file(self.folder(params), video, ".npz")
        return Job(self.name, video, output, media=(paths.seconds_file(output),),
                   records={"download": record},
                   files={"segments": paths.item_file(paths.segments_dir(params), video, ".csv"),
                          "shots": paths.item_file(paths.shots_dir(params), video, ".npz")},
                   settings={"features": params["features"],
                             "runtime": params["inference"]["runtime"],
                             "category": str(categories[0] or ""),
                             "title": str(site.get("title") or known.title)})

    def jobs(self, params: dict[str, Any], only: Collection[str] | None = None
             ) -> dict[str, Job]:
        wanted = [v for v in videos_to_rank(params) if only is None or v in only]
        info = read_videos() if wanted else {}
        return {v: self._job(params, v, info) for v in wanted}

    def item_ids(self, params: dict[str, Any]) -> list[str]:
        return videos_to_rank(params)

    def run_job(self, params: dict[str, Any], job: Job) -> str:
        features_video(source_video(params, job.item), job.files["segments"], job.files["shots"],
                       job.output, job.settings["features"], category=job.settings["category"],
                       title=job.settings["title"], runtime=job.settings["runtime"])
        self.finish(job)
        return f"{job.item}: features written"

    def report(self, params: dict[str, Any]) -> dict[str, Any]:
        files = paths.item_files(self.folder(params), "*.npz")
        summary = summarize(files)
        write_index(paths.FEATURES_ROOT, files)
        write_json(paths.metrics_file(self.name), summary)
        return summary.get("seconds_per_video_minute", {})
