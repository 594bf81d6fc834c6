"""The explorer's data and static files (the browser tests drive the page itself)."""

import csv
import json
from pathlib import Path

from gifworthy.corpus.manifest import DOWNLOAD_COLUMNS, GIF_COLUMNS
from gifworthy.explorer.build import build_explorer, explorer_data
from gifworthy.pipeline.paths import bucket, item_file

HOSTILE = '<img src=x onerror=alert(1)></script><script>alert(2)</script>&amp;'


def write_manifest(root: Path, clips, gifs):
    (root / "manifest").mkdir(parents=True)
    with open(root / "manifest/downloads.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(DOWNLOAD_COLUMNS)
        for i, (label, yid) in enumerate(clips):
            w.writerow([f"{yid}_000000_000010", yid, "u", 0, 10, "train", label, f"k.csv:{i}"])
    with open(root / "manifest/gifs.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(GIF_COLUMNS)
        for gif_id, yid, start, end, title in gifs:
            w.writerow([gif_id, yid, start, end, 0, 0, 10, "test", title, f"video {yid}", 60,
                        1440, "Music", "m:1"])


def gif_record(root: Path, kind: str, item: str, status="ok"):
    path = item_file(root / "gifs/status" / kind, item, ".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    rec = {"status": status, "outputs": {"gif": {"file": f"{kind}/{bucket(item)}/{item}.gif"}}}
    path.write_text(json.dumps(rec))


def test_data_groups_and_links(tmp_path):
    write_manifest(tmp_path, [("flash", "aaaaaaaaaaa"), (HOSTILE, "bbbbbbbbbbb")],
                   [("1", "ccccccccccc", 20, 25, "late"), ("2", "ccccccccccc", 3, 5, "early")])
    gif_record(tmp_path, "clips", "aaaaaaaaaaa_000000_000010")
    gif_record(tmp_path, "v2g", "1")
    data = explorer_data(tmp_path / "manifest", tmp_path / "gifs", tmp_path / "site", ["gif"])
    clips = {c["youtube_id"]: c for c in data["clips"]}
    clip = "aaaaaaaaaaa_000000_000010"
    assert clips["aaaaaaaaaaa"]["src"] == f"../gifs/clips/{bucket(clip)}/{clip}.gif"
    assert clips["bbbbbbbbbbb"]["src"] is None and clips["bbbbbbbbbbb"]["status"] == "missing"
    (video,) = data["videos"]
    assert [g["gif_id"] for g in video["gifs"]] == ["2", "1"]  # in timeline order
    assert video["duration"] == 60


def test_annotation_text_cannot_escape_data_js(tmp_path):
    write_manifest(tmp_path, [(HOSTILE, "bbbbbbbbbbb")], [("9", "ccccccccccc", 1, 2, HOSTILE)])
    build_explorer(tmp_path / "manifest", tmp_path / "gifs", tmp_path / "site", ["gif"])
    for path in (tmp_path / "site").rglob("*.js"):
        if path.name != "explorer.js":
            js = path.read_text()
            assert "<" not in js and ">" not in js and "&" not in js, path
    index = json.loads((tmp_path / "site/index.js").read_text().split("=", 1)[1].rstrip()
                       .rstrip(";"))
    assert index["labels"] == [[HOSTILE, 1]]  # the text survives, as text
    chunk = (tmp_path / "site/labels/0.js").read_text()
    name, payload = json.loads("[" + chunk.split("(", 1)[1].rstrip().rstrip(";").rstrip(")")
                               + "]")
    assert name == "labels/0" and payload[0]["label"] == HOSTILE
    code = (tmp_path / "site/explorer.js").read_text()
    for sink in (".innerHTML =", ".outerHTML =", "insertAdjacentHTML", "document.write"):
        assert sink not in code


def test_empty_corpus_builds_an_empty_site(tmp_path):
    summary = build_explorer(tmp_path / "nothing", tmp_path / "gifs", tmp_path / "site", ["gif"])
    assert summary["clips"] == summary["videos"] == summary["gifs"] == 0
    assert {p.name for p in (tmp_path / "site").iterdir()} == {
        "index.html", "explorer.js", "explorer.css", "index.js"}


def test_one_clip(tmp_path):
    write_manifest(tmp_path, [("solo", "aaaaaaaaaaa")], [])
    gif_record(tmp_path, "clips", "aaaaaaaaaaa_000000_000010")
    summary = build_explorer(tmp_path / "manifest", tmp_path / "gifs", tmp_path / "site", ["gif"])
    assert {k: summary[k] for k in ("clips", "videos", "gifs", "clips_with_gif", "labels")} == {
        "clips": 1, "videos": 0, "gifs": 0, "clips_with_gif": 1, "labels": 1}


def test_explore_serve_on_loopback(tmp_path):
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from support import ROOT

    write_manifest(tmp_path / "data", [("solo", "aaaaaaaaaaa")], [])
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "gifworthy.cli", "explore", "--serve",
                             "--port", str(port)], cwd=tmp_path, stdout=subprocess.PIPE,
                            text=True)
    try:
        line = proc.stdout.readline()  # the build summary
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/explorer/index.html" in line
        deadline = time.time() + 10
        while True:
            try:
                body = urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/explorer/labels/0.js", timeout=2).read().decode()
                break
            except OSError:
                assert time.time() < deadline
                time.sleep(0.1)
        assert '"label":"solo"' in body
    finally:
        proc.terminate()
        proc.wait(10)


def test_ranked_segments_join_their_video(tmp_path):
    write_manifest(tmp_path, [], [("1", "ccccccccccc", 20, 25, "a gif")])
    ranked = tmp_path / "eval" / "ranked.json"
    ranked.parent.mkdir()
    ranked.write_text(json.dumps({
        "ccccccccccc": [{"rank": 1, "start": 19.5, "end": 22.0, "score": 2.0, "hit": True,
                         "file": "gifs/ccccccccccc/rank1.gif"}],
        "zzzzzzzzzzz": [{"rank": 1, "start": 0, "end": 1, "score": 0.1, "hit": False,
                         "file": None}]}))
    data = explorer_data(tmp_path / "manifest", tmp_path / "gifs", tmp_path / "site", ["gif"],
                         ranked=ranked)
    (video,) = data["videos"]  # a ranked video without GIF rows is not invented
    assert video["ranked"][0]["src"] == "../eval/gifs/ccccccccccc/rank1.gif"
    without = explorer_data(tmp_path / "manifest", tmp_path / "gifs", tmp_path / "site", ["gif"])
    assert "ranked" not in without["videos"][0]
