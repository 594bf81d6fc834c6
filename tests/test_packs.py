"""Packs: per-bucket tars of a stage's per-item files (what DVC versions), and the loose files
kept in step with them (gifworthy.pipeline.packs)."""

from __future__ import annotations

import io
import os
import shutil
import tarfile
from pathlib import Path

import pytest

from gifworthy.pipeline import packs
from gifworthy.pipeline.paths import bucket
from support import ROOT, run

ITEMS = [f"clip{i:03d}" for i in range(40)]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the state lives in ./.gifworthy/packs


def loose_stage(root: Path, items=ITEMS, *, extra: bytes = b"") -> list[Path]:
    """A trim-like variant folder: status/<b>/<id>.json(.key) and clips/<b>/<id>.mp4."""
    for item in items:
        b = bucket(item)
        for rel, data in ((f"status/{b}/{item}.json", b'{"status": "ok"}' + extra),
                          (f"status/{b}/{item}.json.key", b"k" * 64 + b"\n"),
                          (f"clips/{b}/{item}.mp4", item.encode() * 100 + extra)):
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
    return [root / "status", root / "clips"]


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and packs.PACKS not in p.relative_to(root).parts}


def test_packs_hold_every_item_file_but_temporaries_and_timings(tmp_path):
    root = tmp_path / "data/clips/v"
    folders = loose_stage(root)
    b = bucket(ITEMS[0])
    (root / f"status/{b}/.tmp-x-123.json").write_text("half")
    (root / f"clips/{b}/{ITEMS[0]}.mp4.seconds.json").write_text('{"ffmpeg": 1.0}')
    counts = packs.pack_folder(root, folders)
    buckets = {bucket(i) for i in ITEMS}
    assert counts["written"] == len(buckets) and counts["files"] == 3 * len(ITEMS)
    assert sorted(p.stem for p in (root / "packs").glob("*.tar")) == sorted(buckets)
    with tarfile.open(root / f"packs/{b}.tar") as tar:
        names = tar.getnames()
        assert names == sorted(names)
        assert all(m.mtime == 0 and m.uid == 0 and m.uname == "" for m in tar.getmembers())
    assert f"status/{b}/{ITEMS[0]}.json" in names and f"clips/{b}/{ITEMS[0]}.mp4" in names
    assert not [n for n in names if ".tmp-" in n or n.endswith(".seconds.json")]


def test_pack_bytes_depend_on_content_only(tmp_path):
    """Two runs that wrote the same files at other times, in another order (another shard
    size), give byte-identical packs."""
    a, b = tmp_path / "a/v", tmp_path / "b/v"
    packs.pack_folder(a, loose_stage(a))
    folders = loose_stage(b, list(reversed(ITEMS)))
    for p in b.rglob("*"):
        if p.is_file():
            os.utime(p, ns=(123_456_789, 987_654_321_000))
    packs.pack_folder(b, folders)
    for tar in (a / "packs").glob("*.tar"):
        assert tar.read_bytes() == (b / "packs" / tar.name).read_bytes()


def test_only_changed_buckets_are_repacked_and_emptied_ones_removed(tmp_path):
    root = tmp_path / "v"
    folders = loose_stage(root)
    packs.pack_folder(root, folders)
    again = packs.pack_folder(root, folders)
    assert again["written"] == 0 and again["kept"] == len({bucket(i) for i in ITEMS})
    b = bucket(ITEMS[0])
    mates = [i for i in ITEMS if bucket(i) == b]
    before = (root / f"packs/{b}.tar").read_bytes()
    (root / f"status/{b}/{ITEMS[0]}.json").write_bytes(b'{"status": "failed"}')
    changed = packs.pack_folder(root, folders)
    assert changed["written"] == 1 and (root / f"packs/{b}.tar").read_bytes() != before
    for item in mates:
        for p in root.glob(f"*/{b}/{item}.*"):
            p.unlink()
    emptied = packs.pack_folder(root, folders)
    assert emptied["removed"] == 1 and not (root / f"packs/{b}.tar").exists()


def test_a_fresh_clone_gets_every_loose_file_back(tmp_path):
    """After `dvc pull` a clone has only the packs: unpack writes every member, byte for
    byte, and a second unpack reads nothing but the packs' stat."""
    root = tmp_path / "v"
    packs.pack_folder(root, loose_stage(root))
    want = snapshot(root)
    clone = tmp_path / "clone"
    (clone / "v").mkdir(parents=True)
    shutil.copytree(root / "packs", clone / "v/packs")
    os.chdir(clone)
    counts = packs.unpack_folder(Path("v"))
    assert counts["written"] == 3 * len(ITEMS) and counts["refused"] == 0
    assert snapshot(Path("v")) == want
    assert packs.unpack_folder(Path("v"))["in_step"] == counts["synced"]
    # Packing what was unpacked writes nothing: the two forms are in step.
    assert packs.pack_folder(Path("v"), [Path("v/status"), Path("v/clips")])["written"] == 0


def test_a_damaged_pack_is_named_and_its_bucket_left_alone(tmp_path):
    root = tmp_path / "v"
    packs.pack_folder(root, loose_stage(root))
    want = snapshot(root)
    b = bucket(ITEMS[0])
    damaged = root / f"packs/{b}.tar"
    damaged.write_bytes(b"not a tar at all" * 64)
    with pytest.raises(packs.PackError, match=f"{b}.tar: not a readable pack"):
        packs.unpack_folder(root)
    assert {k: v for k, v in snapshot(root).items()} == want  # no loose file touched


def test_a_checked_out_pack_replaces_its_bucket_exactly(tmp_path):
    """`dvc checkout` of another version: the bucket becomes that pack's content (files it
    lacks go, changed files are rewritten); a pack rewritten with the same bytes writes
    nothing."""
    old, new = tmp_path / "old", tmp_path / "new"
    packs.pack_folder(old, loose_stage(old))
    packs.pack_folder(new, loose_stage(new, ITEMS[::2], extra=b"v2"))
    root = tmp_path / "work"
    shutil.copytree(old / "packs", root / "packs")
    packs.unpack_folder(root)
    for tar in (root / "packs").glob("*.tar"):
        shutil.copy(old / "packs" / tar.name, tar)  # same bytes, new mtime
    same = packs.unpack_folder(root)
    assert same["written"] == 0 and same["synced"] == 0
    for tar in (root / "packs").glob("*.tar"):
        tar.unlink()
    for tar in (new / "packs").glob("*.tar"):
        shutil.copy(tar, root / "packs" / tar.name)
    counts = packs.unpack_folder(root)
    assert counts["removed"] >= len(ITEMS) // 2 * 3 - 6  # the odd items (a few share buckets)
    assert snapshot(root) == snapshot(new)


def test_hostile_members_write_nothing_outside_the_buckets(tmp_path):
    root = tmp_path / "v"
    (root / "packs").mkdir(parents=True)
    with tarfile.open(root / "packs/ab.tar", "w") as tar:
        for name in ("../../escape.txt", "/abs/ab/x.json", "status/cd/other-bucket.json",
                     "status/ab/../../ab/x.json", "packs/ab/x.json", "status/ab/good.json"):
            info = tarfile.TarInfo(name)
            info.size = 2
            tar.addfile(info, io.BytesIO(b"{}"))
        link = tarfile.TarInfo("status/ab/link.json")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)
    counts = packs.unpack_folder(root)
    assert counts["refused"] == 6 and counts["written"] == 1
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()
            and p.suffix != ".tar" and ".gifworthy" not in p.parts] == ["v/status/ab/good.json"]


def test_dvc_versions_the_packs_not_the_loose_files(tmp_path):
    """With the project's .dvcignore, a stage folder's DVC output is its packs and tables:
    a real `dvc add` hashes a handful of files, and loose files do not make it dirty."""
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(ROOT / ".dvcignore", repo / ".dvcignore")
    for cmd in (["git", "init", "-q"], ["dvc", "init", "-q"]):
        run(cmd, repo)
    os.chdir(repo)
    root = Path("data/clips/exact")
    packs.pack_folder(root, loose_stage(root))
    (root / "index.csv").write_text("x\n")
    run(["dvc", "add", "-q", "data/clips"], repo)
    dvc_file = (repo / "data/clips.dvc").read_text()
    assert f"nfiles: {len(list((root / 'packs').glob('*.tar'))) + 1}" in dvc_file
    (root / f"status/{bucket(ITEMS[0])}/late.json").write_text("{}")
    assert "modified" not in run(["dvc", "status"], repo).stdout


def _loose_files(repo: Path) -> dict[str, bytes]:
    """Every per-item file of the fan-out stages (bucket folders under data/), timings
    aside."""
    return {p.relative_to(repo).as_posix(): p.read_bytes()
            for p in sorted((repo / "data").glob("**/[0-9a-f][0-9a-f]/*"))
            if p.is_file() and not p.name.endswith(".seconds.json")}


def test_the_pipeline_versions_every_stage_as_packs(built_pipeline):
    """In a real `dvc repro`: every fan-out stage's per-item files are in its packs, byte for
    byte, and DVC's record of the stage's output counts the packs and tables, not the items."""
    import yaml

    from gifworthy.pipeline.paths import stage_folder
    from gifworthy.pipeline.stage import STAGES

    params = yaml.safe_load((built_pipeline / "params.yaml").read_text())
    lock = yaml.safe_load((built_pipeline / "dvc.lock").read_text())["stages"]
    loose = _loose_files(built_pipeline)
    packed: dict[str, bytes] = {}
    for name in STAGES:
        folder = built_pipeline / stage_folder(name, params)
        tars = sorted((folder / packs.PACKS).glob("*.tar"))
        assert tars, name
        for tar_path in tars:
            with tarfile.open(tar_path) as tar:
                for member in tar.getmembers():
                    rel = (folder / member.name).relative_to(built_pipeline).as_posix()
                    data = tar.extractfile(member)
                    assert data is not None
                    packed[rel] = data.read()
        out = next(o for o in lock[name]["outs"] if o["path"].startswith("data/"))
        loose_here = [k for k in loose if k.startswith(out["path"] + "/")]
        assert out["nfiles"] < len(loose_here), (name, out["nfiles"], len(loose_here))
    assert packed == loose


def test_a_clone_with_only_the_packs_unpacks_to_the_same_files(built_pipeline, tmp_path):
    """What a `dvc pull` gives (the packs and tables, no loose file): `gifworthy unpack`
    writes every per-item file back, byte for byte, and a second one writes nothing."""
    clone = tmp_path / "clone"
    shutil.copytree(built_pipeline, clone, symlinks=True,
                    ignore=shutil.ignore_patterns("[0-9a-f][0-9a-f]", ".gifworthy"))
    assert not _loose_files(clone)
    first = run(["gifworthy", "unpack"], clone).stdout
    assert _loose_files(clone) == _loose_files(built_pipeline)
    assert '"written"' in first
    assert run(["gifworthy", "unpack"], clone).stdout.strip() == "{}"
