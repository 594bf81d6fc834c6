"""The shots stage: every registered detector on every video with GIFs (one job a video),
one ``.npz`` per video, and the detectors' precision/recall/F1 in ``metrics/shots.json``.

A shot list is a list of ``(start_frame, end_frame)`` (end exclusive) covering the video; a
*cut* is the first frame of every shot but the first. TransNetV2's per-second ``fc1`` means
are stored too: one network pass gives both shots and a feature (pooled per segment by the
features stage).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Collection

import numpy as np

from gifworthy.core.fsutil import atomic_path, csv_text, read_json, write_json, write_text
from gifworthy.corpus.manifest import read_videos, videos_to_rank
from gifworthy.media.probe import MediaError, count_frames, frame_rate, probe
from gifworthy.nets.runtime import DEFAULT_RUNTIME
from gifworthy.pipeline import paths
from gifworthy.pipeline.records import source_video
from gifworthy.pipeline.stage import Job, Stage
from gifworthy.shots.detectors import DETECTORS, get_detector

__all__ = ["TIMED", "ShotsStage", "cuts_to_shots", "detect_shots", "load_shots", "save_shots",
           "shots_settings"]

# The steps whose seconds a shots file records, in order.
TIMED = ("decode", "transnet", "scenedetect", "autoshot")


def cuts_to_shots(cuts: list[int], n_frames: int) -> list[tuple[int, int]]:
    bounds = [0] + sorted(c for c in set(cuts) if 0 < c < n_frames) + [n_frames]
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def detect_shots(path: str | os.PathLike[str], params: dict[str, Any], *,
                 detectors: Collection[str] | None = None,
                 runtime: str = DEFAULT_RUNTIME) -> dict[str, Any]:
    """The detectors ``params["detectors"]`` names (or ``detectors``) on one video
    (``params``: the ``shots`` section; ``runtime``: where the networks run,
    :mod:`gifworthy.nets.runtime`).

    Returns ``n_frames``, ``fps``, ``cuts`` per detector and, when TransNetV2 ran, its
    probabilities and its features averaged per second of video (``features_per_second``,
    seconds x 1024; empty otherwise).
    """
    names = [d for d in DETECTORS if d in set(detectors or params["detectors"])]
    found = {name: get_detector(name).detect(
        path, float(params[get_detector(name).threshold_key]), runtime=runtime)
        for name in names}
    framed = next((d for d in found.values() if d.n_frames is not None), None)
    transnet = found.get("transnet")
    seconds: dict[str, float] = {}
    for d in found.values():
        seconds.update(d.seconds)
    if framed is None:  # no detector decoded frames: count them (headers can be wrong)
        t = time.perf_counter()
        n_frames, fps = count_frames(path), frame_rate(probe(path)["fps"])
        seconds["decode"] = time.perf_counter() - t
    else:
        n_frames, fps = int(framed.n_frames or 0), frame_rate(framed.fps)
    return {
        "n_frames": n_frames,
        "fps": fps,
        "seconds": seconds,
        "cuts": {name: d.cuts for name, d in found.items()},
        "transnet_probs": transnet.probs if transnet else np.zeros(0, np.float32),
        "features_per_second": transnet.features_per_second if transnet
        else np.zeros((0, 1024), np.float32),
    }


def shots_settings(params: dict[str, Any]) -> dict[str, Any]:
    """The shots params a shots job reads (the detector the segments use and the metric
    tolerance only matter downstream and in the report, so changing them keeps the shots)."""
    p = params["shots"]
    run = [d for d in DETECTORS if d in p["detectors"]]
    return {"detectors": run,
            **{get_detector(d).threshold_key: p[get_detector(d).threshold_key] for d in run},
            "runtime": params["inference"]["runtime"]}


def save_shots(video: str | os.PathLike[str] | None, out: Path, params: dict[str, Any], *,
               runtime: str = DEFAULT_RUNTIME) -> str:
    """Run the detectors of ``params["detectors"]`` on ``video`` and write ``out`` (.npz,
    atomically): cuts of each, TransNetV2 probabilities, per-second features, frame count and
    rate. A video that is missing or cannot be decoded gives a file with ``error`` set, never
    a crash."""
    run = [d for d in DETECTORS if d in params["detectors"]]
    record: dict[str, Any] = {"error": "", "n_frames": 0, "fps": 0.0,
                              **{f"cuts_{d}": np.zeros(0, int) for d in run},
                              "transnet_probs": np.zeros(0, np.float32),
                              "features_per_second": np.zeros((0, 1024), np.float32)}
    seconds: dict[str, float] = {}
    if video is None:
        record["error"] = "source video not downloaded"
    else:
        try:
            found = detect_shots(video, params, runtime=runtime)
        except (MediaError, ValueError, OSError) as exc:
            record["error"] = f"cannot detect shots: {exc}"
        else:
            record.update(n_frames=found["n_frames"], fps=found["fps"],
                          **{f"cuts_{d}": np.asarray(found["cuts"][d], int) for d in run},
                          transnet_probs=found["transnet_probs"],
                          features_per_second=found["features_per_second"])
            seconds = {k: round(found["seconds"].get(k, 0.0), 4) for k in TIMED}
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(paths.seconds_file(out), seconds)  # before the output: it marks the job done
    with atomic_path(out) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **record)
    if record["error"]:
        return record["error"]
    return f"{record['n_frames']} frames, " + ", ".join(
        f"{len(record[f'cuts_{d}'])} {d} cuts" for d in run)


def load_shots(path: Path, detector: str) -> dict[str, Any]:
    """A shots file as ``n_frames``, ``fps``, ``shots`` (of ``detector``), ``error``, the
    ``cuts`` of every detector that ran, the TransNetV2 ``features_per_second`` and the
    ``seconds`` its steps took (from the file beside it; empty after a ``dvc pull``, which
    does not carry timings)."""
    timing = paths.seconds_file(Path(path))
    seconds = read_json(timing) if timing.is_file() else {}
    with np.load(path) as z:
        n = int(z["n_frames"])
        if f"cuts_{detector}" not in z.files:
            raise ValueError(f"{path}: has no {detector} cuts (shots.detectors did not "
                             f"include {detector} when it was made)")
        return {"n_frames": n, "fps": float(z["fps"]), "error": str(z["error"]),
                "shots": cuts_to_shots([int(c) for c in z[f"cuts_{detector}"]], n),
                "cuts": {d: [int(c) for c in z[f"cuts_{d}"]] for d in DETECTORS
                         if f"cuts_{d}" in z.files},
                "features_per_second": np.asarray(z["features_per_second"]),
                "seconds": {k: float(seconds.get(k, 0.0)) for k in TIMED}}


class ShotsStage(Stage):
    """One job per video with GIFs (or per download, :func:`videos_to_rank`)."""
    reads = ("download",)

    name = "shots"
    pool = "serial"

    def folder(self, params: dict[str, Any]) -> Path:
        return paths.shots_dir(params)

    def variant_levels(self, params: dict[str, Any]) -> list[tuple[Path, Path, str]]:
        return [(paths.SHOTS_ROOT, self.folder(params), paths.SHOTS_VARIANT)]

    def _job(self, params: dict[str, Any], video: str) -> Job:
        output = paths.item_file(self.folder(params), video, ".npz")
        return Job(self.name, video, output,
                   records={"download": paths.download_record(params, video)},
                   settings={"shots": shots_settings(params)},
                   media=(paths.seconds_file(output),))

    def jobs(self, params: dict[str, Any], only: Collection[str] | None = None
             ) -> dict[str, Job]:
        return {v: self._job(params, v) for v in videos_to_rank(params)
                if only is None or v in only}

    def item_ids(self, params: dict[str, Any]) -> list[str]:
        return videos_to_rank(params)

    def run_job(self, params: dict[str, Any], job: Job) -> str:
        result = save_shots(source_video(params, job.item), job.output, params["shots"],
                            runtime=job.settings["shots"]["runtime"])
        self.finish(job)
        return f"{job.item}: {result}"

    def report(self, params: dict[str, Any]) -> dict[str, Any]:
        from gifworthy.shots.evaluate import shots_report

        videos = {path.stem: load_shots(path, params["shots"]["detector"])
                  for path in paths.item_files(self.folder(params), "*.npz")}
        summary = shots_report(videos, params["shots"], read_videos(),
                               runtime=params["inference"]["runtime"])
        run = [d for d in DETECTORS if d in params["shots"]["detectors"]]
        rows = [[yid, f["n_frames"], round(f["fps"], 4),
                 *(len(f["cuts"].get(d, ())) for d in run), f["error"]]
                for yid, f in videos.items()]
        # The stage's index (and what keeps its output folder there for an empty corpus).
        write_text(paths.SHOTS_ROOT / "index.csv", csv_text(
            ["youtube_id", "frames", "fps", *(f"{d}_cuts" for d in run), "error"], rows))
        write_json(paths.metrics_file(self.name), summary)
        return {d: summary[d]["all"]["f1"] for d in run}
