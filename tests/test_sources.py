"""The four sources: YouTube ids (test_download, test_access), any URL yt-dlp knows, local
folders, and the Kinetics mirror's tar.gz archives: real yt-dlp, ffmpeg and tarfile against
loopback servers the tests start and stop."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
import yaml

from gifworthy.core.ids import clip_id, path_item_id, url_item_id
from gifworthy.corpus.base import CorpusError, DownloadItem
from gifworthy.corpus.build import build_manifest
from gifworthy.corpus.folder import read_folder
from gifworthy.corpus.manifest import Manifest, read_downloads, write_manifest
from gifworthy.corpus.urls import read_url_list
from gifworthy.download.stage import (
    DownloadStage,
    download_item,
    mirror_stage,
    status_path,
    video_path,
)
from gifworthy.download.throttle import ThrottleGate
from gifworthy.media.probe import probe
from gifworthy.pipeline import paths
from gifworthy.pipeline.stage import prepare
from gifworthy.sample.server import Fault, MediaServer
from support import make_video

ROOT = Path(__file__).resolve().parents[1]
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())
DL = dict(PARAMS["download"], backoff_seconds=0.05, socket_timeout=3, attempts=2)


def fetch(it: DownloadItem, out: Path, **dl: object) -> dict:
    return dict(download_item(it, out, {**DL, **dl}, gate=ThrottleGate(out / "gate.json"),
                              log=lambda m: None))


# ------------------------------------------------------------------------------------------
# Any URL yt-dlp knows
# ------------------------------------------------------------------------------------------
def test_url_list_reads_youtube_and_other_sites(tmp_path):
    listing = tmp_path / "urls.csv"
    listing.write_text(
        "url,time_start,time_end,label,split\n"
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ,10,20,dancing,train\n"   # 2
        "https://youtu.be/dQw4w9WgXcQ,,,,\n"                                  # 3 whole video
        "https://vimeo.com/76979871,1.5,4.5,skiing,val\n"                     # 4
        "https://example.org/media/My Clip.mp4,,,,\n"                          # 5 space
        "file:///etc/passwd,,,,\n"                                            # 6 not http
        "https://example.org/a.mp4,5,,x,train\n"                              # 7 half segment
        "https://example.org/b.mp4,9,3,x,train\n"                             # 8 end <= start
        "https://example.org/c.mp4,,,,\n"                                     # 9
        "https://example.org/c.mp4,,,,\n"                                     # 10 duplicate
        "\"https://example.org/d.mp4,,,,\n")                                  # 11 bad quote
    data = read_url_list(listing)
    vimeo = url_item_id("https://vimeo.com/76979871")
    assert vimeo.startswith("vimeo-com-76979871-")
    assert [(c.youtube_id, c.start, c.end, c.split) for c in data.clips] == [
        ("dQw4w9WgXcQ", 10.0, 20.0, "train"), (vimeo, 1.5, 4.5, "validate")]
    c = url_item_id("https://example.org/c.mp4")
    assert [v for v, _ in data.sources] == ["dQw4w9WgXcQ", c]
    assert data.videos[vimeo].url == "https://vimeo.com/76979871"
    assert {r.origin.rsplit(":", 1)[1]: r.reason.split(" ")[0] for r in data.rejections} == {
        "5": "url", "6": "url", "7": "only", "8": "end", "10": "duplicate", "11": "not"}


def test_url_list_manifest_names_every_item_safely(tmp_path):
    (tmp_path / "urls.csv").write_text(
        "url,start,end\nhttps://vimeo.com/1,0,5\nhttps://evil.example/../../x/..%2F..,,\n")
    manifest = build_manifest({"format": "urls", "source": "urls.csv", "max_videos": 0},
                              root=tmp_path)
    ids = [d.item_id for d in manifest.downloads]
    assert ids[0] == clip_id(url_item_id("https://vimeo.com/1"), 0, 5)
    assert all("/" not in i and ".." not in i for i in ids)


@pytest.mark.slow  # two downloads of a 30 s video; CI runs it (make test-slow)
def test_a_plain_media_url_downloads_through_ytdlp(video_30s, tmp_path):
    with MediaServer({"/files/talk.mp4": video_30s}, pages=False) as srv:
        url = srv.url("/files/talk.mp4")
        vid = url_item_id(url)
        whole = fetch(DownloadItem(vid, vid, url, None, None, "train", "", "t:1"), tmp_path)
        clip = clip_id(vid, 3, 7)
        part = fetch(DownloadItem(clip, vid, url, 3.0, 7.0, "train", "", "t:2"), tmp_path)
    assert whole["status"] == "ok" and whole["info"]["extractor_key"] == "Generic"
    assert abs(whole["duration"] - 30.0) < 0.1
    assert part["status"] == "ok" and abs(part["duration"] - 4.0) < 0.2


# ------------------------------------------------------------------------------------------
# Local folders
# ------------------------------------------------------------------------------------------
@pytest.fixture
def folder(tmp_path):
    base = tmp_path / "videos"
    (base / "trip").mkdir(parents=True)
    (base / ".cache").mkdir()
    make_video(base / "a.mp4", seconds=3)
    make_video(base / "trip" / "beach day.mkv", seconds=2)
    make_video(base / ".hidden.mp4", seconds=1)
    make_video(base / ".cache" / "c.mp4", seconds=1)
    (base / "notes.txt").write_text("not a video")
    return base


def test_folder_corpus_lists_every_video_and_nothing_else(folder, tmp_path):
    data = read_folder("videos", tmp_path)
    assert [v for v, _ in data.sources] == [path_item_id("a.mp4"),
                                            path_item_id("trip/beach day.mkv")]
    assert data.videos[path_item_id("a.mp4")].url == "local:videos/a.mp4"
    assert data.videos[path_item_id("trip/beach day.mkv")].title == "beach day"
    with pytest.raises(CorpusError, match="corpus.source: nowhere: not a folder"):
        read_folder("nowhere", tmp_path)
    manifest = build_manifest({"format": "folder", "source": "videos", "max_videos": 0},
                              root=tmp_path)
    assert [d.url for d in manifest.downloads] == ["local:videos/a.mp4",
                                                   "local:videos/trip/beach%20day.mkv"]


@pytest.mark.parametrize("how", ["copy", "hardlink"])
def test_local_files_are_placed_never_moved_or_modified(folder, tmp_path, monkeypatch, how):
    monkeypatch.chdir(tmp_path)
    originals = {p: (p.read_bytes(), p.stat().st_mtime_ns)
                 for p in folder.rglob("*") if p.is_file()}
    manifest = build_manifest({"format": "folder", "source": "videos", "max_videos": 0},
                              root=tmp_path)
    out = tmp_path / "out"
    records = [fetch(item, out, local_files=how) for item in manifest.downloads]
    assert [r["status"] for r in records] == ["ok", "ok"]
    mp4, mkv = (video_path(out, r["item_id"]) for r in records)
    assert mp4.read_bytes() == (folder / "a.mp4").read_bytes()
    assert (mp4.stat().st_ino == (folder / "a.mp4").stat().st_ino) == (how == "hardlink")
    assert probe(mkv)["duration"] == pytest.approx(2.0, abs=0.1)  # remuxed into MP4
    assert records[1]["info"]["title"] == "beach day"
    assert records[1]["info"]["extractor_key"] == "LocalFile"
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in originals} == originals


def test_a_local_file_gone_or_damaged_is_a_record(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("bad.mp4").write_bytes(b"\x00" * 4096)
    gone = fetch(DownloadItem("g", "g", "local:missing.mp4", None, None, "train", "", ""),
                 tmp_path / "out")
    bad = fetch(DownloadItem("b", "b", "local:bad.mp4", None, None, "train", "", ""),
                tmp_path / "out")
    assert (gone["status"], gone["category"]) == ("failed", "video unavailable")
    assert (bad["status"], bad["category"]) == ("failed", "corrupt")
    assert Path("bad.mp4").read_bytes() == b"\x00" * 4096


# ------------------------------------------------------------------------------------------
# The Kinetics mirror
# ------------------------------------------------------------------------------------------
CLIPS = {  # archive -> clips in it, in class folders as the 700-2020 archives have them
    "k700_train_001.tar.gz": ["abseiling/aaaaaaaaaaa_000010_000020.mp4",
                              "abseiling/bbbbbbbbbbb_000000_000010.mp4"],
    "k700_train_002.tar.gz": ["zumba/ccccccccccc_000005_000015.mp4",
                              "zumba/ddddddddddd_000001_000011.mp4"],
}


def _tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return buf.getvalue()


@pytest.fixture
def mirror(tmp_path):
    clip = make_video(tmp_path / "clip.mp4", seconds=10).read_bytes()
    site = tmp_path / "mirror"
    (site / "700_2020/train").mkdir(parents=True)
    routes, sums = {}, []
    for name, members in CLIPS.items():
        body = _tar({m: clip for m in members})
        (site / "700_2020/train" / name).write_bytes(body)
        routes[f"/kinetics/700_2020/train/{name}"] = site / "700_2020/train" / name
        sums.append(f"{hashlib.md5(body).hexdigest()}  {name}")  # noqa: S324
    (site / "md5.txt").write_text("\n".join(sums) + "\n")
    routes["/kinetics/md5.txt"] = site / "md5.txt"

    def start(faults=None) -> MediaServer:
        srv = MediaServer(routes, pages=False, faults=faults).start()
        listing = site / "700_2020/train/k700_2020_train_path.txt"
        listing.write_text("".join(f"{srv.base_url}/kinetics/700_2020/train/{n}\n"
                                   for n in CLIPS))
        srv.routes["/kinetics/700_2020/train/k700_2020_train_path.txt"] = listing
        started.append(srv)
        return srv

    started: list[MediaServer] = []
    yield start
    for srv in started:
        srv.stop()


def _project(tmp_path: Path, srv: MediaServer, mode: str, **mirror: object) -> dict:
    params = dict(PARAMS)
    params["download"] = dict(DL, kinetics_source=mode, mirror={
        **PARAMS["download"]["mirror"], "base_url": srv.url("/kinetics"),
        "checksums": srv.url("/kinetics/md5.txt"), **mirror})
    items = [DownloadItem(clip_id(y, a, b), y, f"https://www.youtube.com/watch?v={y}",
                          float(a), float(b), "train", "x", f"k.csv:{i}")
             for i, (y, a, b) in enumerate([("aaaaaaaaaaa", 10, 20), ("ccccccccccc", 5, 15),
                                            ("eeeeeeeeeee", 0, 10)], start=2)]
    Path("params.yaml").write_text(yaml.safe_dump(params))
    write_manifest(Manifest(items, [], []), paths.MANIFEST_DIR)
    return params


def _records(params: dict) -> dict[str, dict]:
    folder = paths.download_dir(params)
    return {i.item_id: json.loads(status_path(folder, i.item_id).read_text())
            for i in read_downloads(paths.DOWNLOADS_CSV)}


def test_mirror_clips_arrive_in_the_clip_layout_with_records(mirror, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    srv = mirror()
    params = _project(tmp_path, srv, "mirror")
    stage = DownloadStage()
    prepare(stage, params)
    for item in read_downloads(paths.DOWNLOADS_CSV):
        assert "deferred to the Kinetics mirror" in stage.run_one(params, item.item_id)
    counts = mirror_stage(params)
    assert counts == {"wanted": 3, "archives": 2, "fetched": 2, "placed": 2,
                      "not_in_mirror": 1, "failed_archives": 0}
    recs = _records(params)
    ok = recs["aaaaaaaaaaa_000010_000020"]
    assert (ok["status"], ok["source"], ok["archive"]) == ("ok", "mirror",
                                                           "k700_train_001.tar.gz")
    assert probe(paths.download_dir(params) / ok["file"])["duration"] == pytest.approx(10, 0.05)
    gone = recs["eeeeeeeeeee_000000_000010"]
    assert (gone["status"], gone["category"]) == ("failed", "not in mirror")
    # Only the named clips were written; the archives are gone, their member lists kept.
    assert len(list(paths.download_dir(params).rglob("*.mp4"))) == 2
    assert not list(Path(".gifworthy/mirror").rglob("*.tar.gz"))
    assert len(list(Path(".gifworthy/mirror").rglob("index/*/*.json"))) == 2
    # The next run keeps them all and fetches no archive again.
    requests = sum(srv.requests.values())
    assert prepare(stage, params)["kept"] == 3
    assert mirror_stage(params)["wanted"] == 0
    assert sum(srv.requests.values()) == requests


@pytest.mark.slow  # back-off between the archive's tries
def test_mirror_resumes_a_cut_archive_and_checks_its_md5(mirror, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "k700_train_002.tar.gz"
    srv = mirror({f"/kinetics/700_2020/train/{name}": Fault(truncate_at=5000, times=1)})
    params = _project(tmp_path, srv, "mirror")
    assert mirror_stage(params)["placed"] == 2
    ranges = [h.get("Range") for p, h in srv.headers if p.endswith(name)]
    assert ranges == [None, "bytes=5000-"]  # the second try continued the .part
    # A corrupted archive (md5 differs) is deleted, its clips wait for the next run.
    for p in Path(".gifworthy/mirror").rglob("index/*/*.json"):
        p.unlink()
    status_path(paths.download_dir(params), "ccccccccccc_000005_000015").unlink()
    Path(srv.routes[f"/kinetics/700_2020/train/{name}"]).write_bytes(b"not a tar")
    counts = mirror_stage(params)
    assert counts["failed_archives"] == 1 and counts["not_in_mirror"] == 0
    assert not list(Path(".gifworthy/mirror").rglob(name))


def test_youtube_then_mirror_takes_only_what_youtube_lost(mirror, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    srv = mirror()
    params = _project(tmp_path, srv, "youtube_then_mirror")
    folder = paths.download_dir(params)
    lost = {"aaaaaaaaaaa_000010_000020": ("video unavailable", False),
            "ccccccccccc_000005_000015": ("HTTP 503", True),      # transient: YouTube again
            "eeeeeeeeeee_000000_000010": ("private video", False)}
    for clip, (category, retry) in lost.items():
        status_path(folder, clip).parent.mkdir(parents=True, exist_ok=True)
        status_path(folder, clip).write_text(json.dumps(
            {"status": "failed", "category": category, "retry": retry,
             "message": f"ERROR: {category}"}))
    counts = mirror_stage(params)
    assert (counts["wanted"], counts["placed"], counts["not_in_mirror"]) == (2, 1, 1)
    recs = _records(params)
    assert recs["aaaaaaaaaaa_000010_000020"]["status"] == "ok"
    assert recs["aaaaaaaaaaa_000010_000020"]["youtube_failure"].startswith("video unavailable")
    assert recs["ccccccccccc_000005_000015"]["status"] == "failed"  # left to YouTube
    assert recs["eeeeeeeeeee_000000_000010"]["category"] == "private video"
    assert "not in the mirror" in recs["eeeeeeeeeee_000000_000010"]["message"]
