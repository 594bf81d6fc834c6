"""Annotation readers and the manifest: good rows pass, every bad row is named by file:line."""

import csv
import json
import time
from pathlib import Path

import pytest

from gifworthy.corpus.base import CorpusError
from gifworthy.corpus.build import build_manifest
from gifworthy.corpus.kinetics import read_kinetics_csv, read_kinetics_json
from gifworthy.corpus.manifest import read_downloads, read_videos, write_manifest
from gifworthy.corpus.video2gif import V2G_COLUMNS, read_split_file, read_video2gif_metadata
from gifworthy.sample.damaged import write_damaged_kinetics_csv

HEADER = "label,youtube_id,time_start,time_end,split\n"

# (row, reason fragment) - each row must be rejected with that reason, on its own line.
BAD_KINETICS_ROWS = [
    ("testifying,../x,84,94,validate", "youtube_id"),
    ("testifying,../../etc/pa,84,94,train", "youtube_id"),
    ("testifying,abc/def/ghi,84,94,train", "youtube_id"),
    ("testifying,---QUuC4vJ,84,94,train", "youtube_id"),          # 10 characters
    ("testifying,---QUuC4vJsX,84,94,train", "youtube_id"),        # 12 characters
    ("testifying,---QUuC4v.s,84,94,train", "youtube_id"),
    ("testifying,aaaaaaaaaaa,94,84,train", "end <= start"),
    ("testifying,aaaaaaaaaab,84,84,train", "end <= start"),
    ("testifying,aaaaaaaaaac,-5,10,train", "negative"),
    ("testifying,aaaaaaaaaad,nan,10,train", "not finite"),
    ("testifying,aaaaaaaaaae,ten,20,train", "not a number"),
    ("testifying,aaaaaaaaaaf,0,10,holdout", "unknown split"),
    (",aaaaaaaaaag,0,10,train", "missing label"),
    ("testifying,aaaaaaaaaah,0,10", "expected 5 fields"),
    ("testifying,aaaaaaaaaai,0,10,train,extra", "expected 5 fields"),
    # Damaged lines: the csv module read as a stream would take every later line into one
    # field (or raise _csv.Error and lose the file); here each is one rejection.
    ('"testifying,aaaaaaaaaaj,0,10,train', "unbalanced quote"),
    ('testifying,"aaaaaaaaaak"x,0,10,train', "not a CSV row"),
    ("x" * 140_000 + ",aaaaaaaaaal,0,10,train", "over 131,072 characters"),
    ("testifying,aaaaa\0aaaam,0,10,train", "youtube_id"),
]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("row, reason", BAD_KINETICS_ROWS)
def test_bad_kinetics_row_rejected_with_file_and_line(tmp_path, row, reason):
    good = "testifying,---QUuC4vJs,84,94,validate\n"
    path = write(tmp_path, "k.csv", HEADER + good + row + "\n" + good.replace("84,94", "1,11"))
    clips, rejections = read_kinetics_csv(path)
    assert [c.youtube_id for c in clips] == ["---QUuC4vJs", "---QUuC4vJs"]
    assert len(rejections) == 1
    assert rejections[0].origin == f"{path}:3"
    assert reason in rejections[0].reason


@pytest.mark.parametrize("kind", ["train", "test"])
def test_byte_order_mark_loses_nothing(tmp_path, kind):
    """A list saved by a spreadsheet starts with U+FEFF: the header must still read."""
    header = HEADER if kind == "train" else "youtube_id,time_start,time_end,split\n"
    row = ("testifying," if kind == "train" else "") + f"---QUuC4vJs,84,94,{kind}\n"
    path = tmp_path / "k.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (header + row).encode())
    clips, rejections = read_kinetics_csv(path)
    assert rejections == [] and [c.youtube_id for c in clips] == ["---QUuC4vJs"]


def test_byte_order_mark_in_every_text_input(tmp_path):
    bom = b"\xef\xbb\xbf"
    data = {"---QUuC4vJs": {"annotations": {"label": "a", "segment": [1, 11]},
                            "subset": "train"}}
    (tmp_path / "k.json").write_bytes(bom + json.dumps(data).encode())
    clips, rejections = read_kinetics_json(tmp_path / "k.json")
    assert rejections == [] and len(clips) == 1
    (tmp_path / "m.txt").write_bytes(bom + (";\t".join(V2G_COLUMNS) + "\n" + v2g_row())
                                     .encode())
    gifs, rejections = read_video2gif_metadata(tmp_path / "m.txt")
    assert rejections == [] and len(gifs) == 1
    (tmp_path / "t.txt").write_bytes(bom + b"aaaaaaaaaaa\nbbbbbbbbbbb\n")
    ids, rejections = read_split_file(tmp_path / "t.txt")
    assert rejections == [] and ids == {"aaaaaaaaaaa", "bbbbbbbbbbb"}


def test_damaged_list_keeps_every_good_row(tmp_path):
    """10,000 rows, 1% damaged in every way the damage table knows, through the manifest:
    9,900 downloads and 100 rejections in rejected.csv, each naming its own line; well under
    a second of work, not a traceback."""
    path = tmp_path / "k.csv"
    damaged = write_damaged_kinetics_csv(path, 10_000, 0.01)
    t0 = time.perf_counter()
    manifest = build_manifest({"format": "kinetics_csv", "source": "k.csv"}, root=tmp_path)
    counts = write_manifest(manifest, tmp_path / "m")
    seconds = time.perf_counter() - t0
    assert (counts["downloads"], counts["rejected"]) == (9_900, 100)
    with open(tmp_path / "m/rejected.csv", newline="") as fh:
        origins = [row["origin"] for row in csv.DictReader(fh)]
    assert origins == [f"k.csv:{line}" for line in damaged]
    assert seconds < 10  # about 0.2 s; generous for a loaded CI machine


def test_kinetics_csv_good_rows_and_variants(tmp_path):
    path = write(tmp_path, "k.csv",
                 "label,youtube_id,time_start,time_end,split,is_cc\n"
                 'testifying,---QUuC4vJs,84,94,validate,0\n'
                 '"abseiling, indoor",_-aB3dE4fG5,0.5,10.5,train,1\n'
                 ",Zz9Zz9Zz9Zz,3,13,test,0\n\n")
    clips, rejections = read_kinetics_csv(path)
    assert rejections == []
    assert [(c.label, c.split, c.start) for c in clips] == [
        ("testifying", "validate", 84.0), ("abseiling, indoor", "train", 0.5), ("", "test", 3.0)]


def test_duplicate_rows_name_the_first(tmp_path):
    path = write(tmp_path, "k.csv", HEADER + "a,aaaaaaaaaaa,0,10,train\n"
                 "b,bbbbbbbbbbb,0,10,train\na,aaaaaaaaaaa,0,10,train\n")
    clips, rejections = read_kinetics_csv(path)
    assert len(clips) == 2
    assert rejections[0].origin.endswith(":4")
    assert rejections[0].reason == f"duplicate of {path}:2"


def test_header_without_columns(tmp_path):
    clips, rejections = read_kinetics_csv(write(tmp_path, "k.csv", "a,b,c\n1,2,3\n"))
    assert clips == [] and "header lacks" in rejections[0].reason


def test_kinetics_json(tmp_path):
    data = {
        "---QUuC4vJs": {"annotations": {"label": "testifying", "segment": [84.0, 94.0]},
                        "duration": 10.0, "subset": "validate", "url": "x"},
        "../../x": {"annotations": {"label": "a", "segment": [0, 10]}, "subset": "train"},
        "bbbbbbbbbbb": {"annotations": {"label": "a", "segment": [10, 0]}, "subset": "train"},
        "ccccccccccc": {"annotations": {"label": "a"}, "subset": "train"},
    }
    path = write(tmp_path, "k.json", json.dumps(data, indent=1))
    clips, rejections = read_kinetics_json(path)
    assert [c.youtube_id for c in clips] == ["---QUuC4vJs"]
    reasons = {r.origin.rsplit(":", 1)[1]: r.reason for r in rejections}
    assert len(reasons) == 3
    assert all(int(line) > 1 for line in reasons)  # real line numbers, not just "1"


def test_kinetics_json_label_must_be_a_string(tmp_path):
    data = {
        "aaaaaaaaaaa": {"annotations": {"label": ["a", "b"], "segment": [0, 10]},
                        "subset": "train"},
        "bbbbbbbbbbb": {"annotations": {"label": {"x": 1}, "segment": [0, 10]},
                        "subset": "train"},
        "ccccccccccc": {"annotations": {"label": "ok", "segment": [[0], 10]}, "subset": "train"},
        "ddddddddddd": {"annotations": {"label": "ok", "segment": [0, 10]}, "subset": ["x"]},
        "eeeeeeeeeee": {"annotations": {"label": "ok", "segment": [0, 10]}, "subset": "train"},
    }
    clips, rejections = read_kinetics_json(write(tmp_path, "k.json", json.dumps(data, indent=1)))
    assert [(c.youtube_id, c.label) for c in clips] == [("eeeeeeeeeee", "ok")]
    reasons = sorted(r.reason for r in rejections)
    assert reasons == ["annotations.label is a dict, not a string",
                       "annotations.label is a list, not a string",
                       "annotations.segment holds something other than numbers",
                       "subset is a list, not a string"]


def v2g_row(**fields):
    row = {c: "" for c in V2G_COLUMNS}
    row.update(youtube_id="aaaaaaaaaaa", is_creative_commons="1", gif_id="1", gif_url="u",
               gif_start_frame="24", gif_end_frame="72", gif_start_sec="1.0",
               gif_end_sec="3.0", gif_views="120", video_duration="60", video_frame_count="1440")
    row.update({k: str(v) for k, v in fields.items()})
    return ";\t".join(row[c] for c in V2G_COLUMNS)


def test_video2gif_metadata(tmp_path):
    lines = [";\t".join(V2G_COLUMNS),
             v2g_row(),
             v2g_row(gif_id="2", video_description="has ;\t the separator"),
             v2g_row(gif_id="3", youtube_id="../evil/xyz"),
             v2g_row(gif_id="4", gif_start_sec="5", gif_end_sec="4"),
             v2g_row(gif_id="5", gif_end_frame="10"),
             v2g_row(gif_id="1"),
             v2g_row(gif_id="6", gif_start_sec="70", gif_end_sec="72"),
             "only;\ttwo"]
    path = write(tmp_path, "metadata.txt", "\n".join(lines) + "\n")
    gifs, rejections = read_video2gif_metadata(path)
    assert [g.gif_id for g in gifs] == ["1", "2"]
    assert gifs[0].start_sec == 1.0 and gifs[0].end_frame == 72 and gifs[0].views == 120
    by_line = {int(r.origin.rsplit(":", 1)[1]): r.reason for r in rejections}
    assert set(by_line) == {4, 5, 6, 7, 8, 9}
    assert "youtube_id" in by_line[4] and "end <= start" in by_line[5]
    assert "gif_end_frame" in by_line[6] and "duplicate" in by_line[7]
    assert "after the video's end" in by_line[8] and "21 fields" in by_line[9]


def _shared_testset() -> Path | None:
    """The real Video2GIF test split, in the workspace's shared/ beside the repository."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared/data/video2gif/testset.txt"
        if candidate.is_file():
            return candidate
    return None


@pytest.mark.skipif(_shared_testset() is None, reason="shared/data/video2gif not beside repo")
def test_real_video2gif_testset_reads():
    ids, rejections = read_split_file(_shared_testset())
    assert len(ids) == 357 and rejections == []


def test_manifest_from_kinetics_keeps_paths_inside(tmp_path):
    write(tmp_path, "k.csv", HEADER + "a,-aaaaaaaaaa,0,10,train\n"
                   "b,../xxxxxxxx,0,10,train\nc,ccccccccccc,1.5,4.25,test\n")
    manifest = build_manifest({"format": "kinetics_csv", "source": "k.csv"}, root=tmp_path)
    counts = write_manifest(manifest, tmp_path / "data/manifest")
    assert counts == {"downloads": 2, "segments": 2, "gifs": 0, "rejected": 1, "videos": 2}
    items = read_downloads(tmp_path / "data/manifest/downloads.csv")
    assert [i.item_id for i in items] == ["-aaaaaaaaaa_000000_000010",
                                          "ccccccccccc_000001500ms_000004250ms"]
    assert items[0].url == "https://www.youtube.com/watch?v=-aaaaaaaaaa"
    rejected = (tmp_path / "data/manifest/rejected.csv").read_text()
    assert "k.csv:3" in rejected and "youtube_id" in rejected


def test_manifest_refuses_corpus_outside_repository(tmp_path):
    outside = write(tmp_path, "k.csv", HEADER)
    repo = tmp_path / "repo"
    repo.mkdir()
    with pytest.raises(CorpusError, match="outside the repository"):
        build_manifest({"format": "kinetics_csv", "source": str(outside)}, root=repo)
    with pytest.raises(CorpusError, match="outside the repository"):
        build_manifest({"format": "kinetics_csv", "source": "../k.csv"}, root=repo)
    with pytest.raises(CorpusError, match="not found"):
        build_manifest({"format": "kinetics_csv", "source": "missing.csv"}, root=repo)


def test_manifest_video2gif_split_and_max_videos(tmp_path):
    lines = [";\t".join(V2G_COLUMNS), v2g_row(), v2g_row(gif_id="2"),
             v2g_row(gif_id="3", youtube_id="bbbbbbbbbbb"),
             v2g_row(gif_id="4", youtube_id="ccccccccccc")]
    write(tmp_path, "metadata.txt", "\n".join(lines) + "\n")
    write(tmp_path, "testset.txt", "bbbbbbbbbbb\n")
    manifest = build_manifest({"format": "video2gif", "source": "metadata.txt",
                               "split_file": "testset.txt", "max_videos": 2}, root=tmp_path)
    assert [(d.item_id, d.split, d.is_segment) for d in manifest.downloads] == [
        ("aaaaaaaaaaa", "train", False), ("bbbbbbbbbbb", "test", False)]
    assert len(manifest.gifs) == 3


def test_format_is_chosen_by_params_not_by_suffix(tmp_path):
    """A Kinetics CSV named .txt reads as Kinetics when corpus.format says so; an unknown
    format is a clear error naming the key."""
    write(tmp_path, "list.txt", HEADER + "a,aaaaaaaaaaa,0,10,train\n")
    manifest = build_manifest({"format": "kinetics_csv", "source": "list.txt"}, root=tmp_path)
    assert [d.item_id for d in manifest.downloads] == ["aaaaaaaaaaa_000000_000010"]
    with pytest.raises(CorpusError, match="corpus.format 'kinetics'"):
        build_manifest({"format": "kinetics", "source": "list.txt"}, root=tmp_path)


def test_video2gif_manifest_carries_titles_categories_and_views(tmp_path):
    """Downstream reads the corpus only through the manifest: videos.csv holds what the
    metadata says of each video (the features stage's context comes from here)."""
    facts = {"video_title": "Dog surfs a wave", "video_category": "Pets & Animals",
             "video_views": "5000"}
    lines = [";\t".join(V2G_COLUMNS), v2g_row(**facts), v2g_row(gif_id="2", **facts)]
    write(tmp_path, "metadata.txt", "\n".join(lines) + "\n")
    manifest = build_manifest({"format": "video2gif", "source": "metadata.txt"}, root=tmp_path)
    write_manifest(manifest, tmp_path / "m")
    videos = read_videos(tmp_path / "m/videos.csv")
    row = dict(zip(V2G_COLUMNS, v2g_row(**facts).split(";\t")))
    info = videos[row["youtube_id"]]
    assert info.title == row["video_title"] and info.title
    assert info.category == row["video_category"] and info.category
    assert info.views == int(row["video_views"])
    assert info.cuts is None
