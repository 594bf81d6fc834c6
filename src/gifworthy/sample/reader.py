"""``corpus.format: sample``: the sample stage's folder (``corpus.source``, ``data/sample``)
read as a corpus: its Video2GIF ``metadata.txt``, Kinetics ``kinetics.csv`` and
``testset.txt`` through the real readers, plus what only the sample knows and the manifest
carries on: every video's title, category and true shot starts (``sources.json``), and the
user-style GIF files with their true segments and distortions (``gifs.json``). While the
download stage runs, :meth:`SampleReader.media_server` serves the videos on 127.0.0.1 as a
video site (``/watch?v=<id>`` pages, ``/api/videos/<id>.json`` metadata with a synthetic
"Most replayed" heatmap (:mod:`gifworthy.sample.site`), ``/videos/<id>.mp4``), which the
site's yt-dlp extractor plugin reads as YouTube's is read."""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import Any, Iterator

from gifworthy.core.fsutil import read_json
from gifworthy.corpus.base import (
    MEDIA_SERVER_PLACEHOLDER,
    CorpusData,
    CorpusError,
    GifFile,
    VideoInfo,
)
from gifworthy.corpus.kinetics import read_kinetics_csv
from gifworthy.corpus.video2gif import (
    read_split_file,
    read_video2gif_metadata,
    video_infos,
)
from gifworthy.sample.corpus import resolve_source, source_ref
from gifworthy.sample.site import site_info

__all__ = ["SampleReader"]

_FILES = ("metadata.txt", "kinetics.csv", "testset.txt", "sources.json", "gifs.json")


def _folder(corpus: dict[str, Any], root: Path) -> Path:
    folder = root / str(corpus["source"])
    for name in _FILES:
        if not (folder / name).is_file():
            raise CorpusError(f"sample corpus file missing: {folder / name} (run the `sample` "
                              "stage)")
    return folder


class SampleReader:
    def read(self, corpus: dict[str, Any], root: Path) -> CorpusData:
        folder = _folder(corpus, root)
        gifs, rejections = read_video2gif_metadata(folder / "metadata.txt")
        clips, rej = read_kinetics_csv(folder / "kinetics.csv")
        rejections += rej
        test_ids, rej = read_split_file(folder / "testset.txt")
        rejections += rej
        # The metadata's facts (titles, categories, views of the GIF videos), then what only
        # the sample knows: every video's loopback URL, length and true shot starts. Titles
        # and categories of the other videos come from the site, through the download
        # records (as for any corpus), not from the sample's files.
        videos = video_infos(gifs)
        for v in read_json(folder / "sources.json"):
            cuts = None
            if v.get("shots"):
                cuts = tuple(int(round(s["start"] * float(v["fps"]))) for s in v["shots"][1:])
            known = videos.get(v["youtube_id"]) or VideoInfo(v["youtube_id"])
            videos[v["youtube_id"]] = dataclasses.replace(
                known, duration=float(v["duration"]),
                url=f"{MEDIA_SERVER_PLACEHOLDER}/watch?v={v['youtube_id']}", cuts=cuts)
        gif_files = [GifFile(g["gif_id"], g["youtube_id"], source_ref(g), int(g["start_frame"]),
                             int(g["end_frame"]), g["distortion"], bool(g.get("decoy_of")))
                     for g in read_json(folder / "gifs.json")]
        return CorpusData(clips=clips, gifs=gifs, rejections=rejections, test_ids=test_ids,
                          videos=videos, gif_files=gif_files)

    @contextlib.contextmanager
    def media_server(self, corpus: dict[str, Any], root: Path) -> Iterator[str | None]:
        from gifworthy.sample.server import MediaServer

        folder = _folder(corpus, root)
        views = {vid: v.views for vid, v in
                 video_infos(read_video2gif_metadata(folder / "metadata.txt")[0]).items()}
        routes, heights, infos = {}, {}, {}
        for video in read_json(folder / "sources.json"):
            vid = video["youtube_id"]
            routes[f"/videos/{vid}.mp4"] = resolve_source(video, root)
            heights[vid] = int(video["height"])
            infos[vid] = site_info(video, views.get(vid))
        with MediaServer(routes, heights=heights, infos=infos) as server:
            yield server.base_url
