"""Packs: the form in which DVC versions a fan-out stage's per-item files, one uncompressed
tar per bucket.

Why: at Kinetics-700 size one stage holds about 2,000,000 per-item files (a clip, its record
and its key per item). DVC stats, hashes and cache-checks every file of an output on every
``dvc status`` and ``dvc repro``: 110 s with nothing to do, measured, and 973 s to add
(``benchmarks/bench_dvc_layout.py``). Packed into 256 tars the same bytes take about a second.

The stages keep reading and writing loose files, one per item, in bucket folders
(:func:`gifworthy.pipeline.paths.item_file`): resume per item, atomic records and keys, and
ffmpeg reading a clip by path all stay as they are. ``.dvcignore`` keeps every bucket folder
under ``data/`` out of DVC, so a stage's DVC output is its packs plus its small tables.
The two forms are kept in step at the stage's boundaries:

* :func:`pack` (``gifworthy pack <stage>``, the last step of every fan-out stage's DVC
  command) writes the pack of every bucket whose loose files changed since it was last
  packed or unpacked, and deletes the packs of emptied buckets. A pack's bytes depend only on
  its members' names and bytes (sorted, mtime 0, no owner), so two runs, or two shard sizes,
  give the same pack.
* :func:`unpack` (``gifworthy unpack``, and the first step of every command that reads a
  stage's per-item files) brings the loose files in step with packs that DVC put there
  (``dvc pull``, ``dvc checkout``, ``dvc exp apply``): in a fresh clone it writes every
  member; after a checkout that changed a pack it makes that bucket's loose files exactly the
  pack's. Loose files newer than their pack (a run interrupted before its pack step) are
  left to the stage's keys: :func:`gifworthy.pipeline.stage.prepare` judges them, and the
  next pack step packs them.

Which pack changed is told by machine state in ``.gifworthy/packs/`` (outside git and DVC):
per bucket, the pack's size and mtime and the SHA-256 it was written or read with, and a
digest of the loose listing (names, sizes, mtimes). With nothing changed, :func:`unpack` is
one ``stat`` per pack and :func:`pack` one per loose file (8 s for 2,000,000 files).

Disk: the loose files and the packs are two copies, as the loose files and DVC's cache were
before (``cache.type`` copy). With ``dvc config cache.type hardlink`` the packs in the
workspace are links into the cache, and the total is again two copies (packs are only ever
replaced whole, never edited, which is what hardlinked outputs need).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, BinaryIO, Iterable

from gifworthy.core.errors import GifworthyError
from gifworthy.core.fsutil import atomic_path, write_json
from gifworthy.pipeline.paths import BUCKET_NAME

__all__ = ["PACKS", "STATE_DIR", "PackError", "pack", "pack_folder", "unpack", "unpack_folder"]


class PackError(GifworthyError):
    """A pack that cannot be read (damaged by hand or on disk: DVC writes packs whole)."""

# The folder of a stage's packs, inside its variant folder (beside the item folders; a folder
# the reconciler and the item globs skip, as its name is not a bucket's).
PACKS = "packs"
# Machine state: what each pack and loose bucket looked like when last in step.
STATE_DIR = Path(".gifworthy/packs")
_BUCKET = BUCKET_NAME
_CHUNK = 1 << 20


def _packed(name: str) -> bool:
    """Whether a loose file belongs in a pack: not a temporary, not a timing (machine facts,
    ``.dvcignore``d like before)."""
    return not name.startswith(".tmp-") and not name.endswith(".seconds.json")


def _bucket_files(root: Path, folder: Path, b: str) -> list[tuple[str, os.stat_result]]:
    rel = folder.relative_to(root).as_posix()
    prefix = "" if rel == "." else rel + "/"
    try:
        with os.scandir(folder / b) as inner:
            return [(f"{prefix}{b}/{f.name}", f.stat(follow_symlinks=False))
                    for f in inner if f.is_file(follow_symlinks=False) and _packed(f.name)]
    except (FileNotFoundError, NotADirectoryError):
        return []


def _loose(root: Path, folders: list[Path], only: str | None = None
           ) -> dict[str, list[tuple[str, os.stat_result]]]:
    """Every packable loose file under ``folders`` (the stage's item folders), by bucket
    (only bucket ``only``, when given): (path relative to ``root``, stat), sorted by path."""
    found: dict[str, list[tuple[str, os.stat_result]]] = {}
    for folder in folders:
        if only is not None:
            buckets = [only]
        elif folder.is_dir():
            with os.scandir(folder) as entries:
                buckets = [e.name for e in entries
                           if e.is_dir(follow_symlinks=False) and _BUCKET.fullmatch(e.name)]
        else:
            continue
        for b in buckets:
            found.setdefault(b, []).extend(_bucket_files(root, folder, b))
    for files in found.values():
        files.sort()
    return found


def _listing_digest(files: list[tuple[str, os.stat_result]]) -> str:
    h = hashlib.sha256()
    for rel, st in files:
        h.update(f"{rel}\t{st.st_size}\t{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _identity(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _state_file(root: Path) -> Path:
    return STATE_DIR / (root.as_posix().strip("/").replace("/", "__") + ".json")


def _read_state(root: Path) -> dict[str, dict[str, Any]]:
    try:
        doc = json.loads(_state_file(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    buckets = doc.get("buckets") if isinstance(doc, dict) else None
    return buckets if isinstance(buckets, dict) else {}


def _write_state(root: Path, buckets: dict[str, dict[str, Any]]) -> None:
    write_json(_state_file(root), {"root": root.as_posix(), "buckets": buckets})


class _HashingWriter(io.RawIOBase):
    """A write-only file that hashes what passes through (the pack's SHA-256 without reading
    it back)."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.sha = hashlib.sha256()
        self.position = 0

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.sha.update(view)
        self.fh.write(view)
        self.position += len(view)
        return len(view)


def _write_pack(target: Path, root: Path, rels: list[str]) -> str:
    """Write ``target`` (atomically): every file, sorted by path, with mtime 0, mode 0644 and
    no owner, so the bytes depend on names and contents only. Returns its SHA-256."""
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        sink = _HashingWriter(fh)
        with tarfile.open(fileobj=sink, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for rel in rels:
                path = root / rel
                info = tarfile.TarInfo(rel)
                info.size = path.stat().st_size
                info.mtime = 0
                info.mode = 0o644
                with open(path, "rb") as src:
                    tar.addfile(info, src)
        fh.flush()
        os.fsync(fh.fileno())
        digest = sink.sha.hexdigest()
    return digest


def _buckets(folders: list[Path]) -> set[str]:
    found: set[str] = set()
    for folder in folders:
        if folder.is_dir():
            with os.scandir(folder) as entries:
                found |= {e.name for e in entries
                          if e.is_dir(follow_symlinks=False) and _BUCKET.fullmatch(e.name)}
    return found


def _pack_job(job: tuple[Path, Path, list[str]]) -> str:
    target, root, rels = job
    return _write_pack(target, root, rels)


def pack_folder(root: Path, folders: list[Path], *, workers: int | None = None
                ) -> dict[str, int]:
    """Pack the loose files of ``folders`` (item folders inside ``root``) into
    ``root/packs/<bucket>.tar``: rewrite the packs whose bucket changed, delete the packs of
    empty buckets, keep the rest. Buckets are listed one at a time (memory stays that of one
    bucket's listing) and written by ``workers`` processes (tar headers are Python work).
    Returns counts (written, kept, removed, files)."""
    packs = root / PACKS
    state = _read_state(root)
    existing = {p.stem for p in packs.glob("*.tar")} if packs.is_dir() else set()
    counts = {"written": 0, "kept": 0, "removed": 0, "files": 0}
    new_state: dict[str, dict[str, Any]] = {}
    todo: list[tuple[str, list[str], str]] = []
    for b in sorted(_buckets(folders) | existing):
        files = _loose(root, folders, b).get(b, [])
        target = packs / f"{b}.tar"
        if not files:
            target.unlink(missing_ok=True)
            counts["removed"] += b in existing
            continue
        counts["files"] += len(files)
        listing = _listing_digest(files)
        known = state.get(b, {})
        if (b in existing and known.get("loose") == listing
                and known.get("pack") == _identity(target)):
            new_state[b] = known
            counts["kept"] += 1
        else:
            todo.append((b, [rel for rel, _ in files], listing))
    workers = max(1, min(workers or os.cpu_count() or 1, 4, len(todo)))
    jobs = [(packs / f"{b}.tar", root, rels) for b, rels, _ in todo]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            digests = list(pool.map(_pack_job, jobs))
    else:
        digests = [_pack_job(job) for job in jobs]
    for (b, _, listing), sha in zip(todo, digests):
        new_state[b] = {"pack": _identity(packs / f"{b}.tar"), "sha256": sha,
                        "loose": listing, "folders": _rel_folders(root, folders)}
        counts["written"] += 1
    for stray in packs.glob(".tmp-*") if packs.is_dir() else []:
        stray.unlink(missing_ok=True)
    _write_state(root, dict(sorted(new_state.items())))
    return counts


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _safe_member(member: tarfile.TarInfo, bucket: str) -> bool:
    """Only regular files at ``<item folder>/<bucket>/<name>``: a pack from elsewhere (a
    hostile ``../x`` or absolute name, a link, another bucket's file) writes nothing outside
    the stage's bucket folders."""
    if not member.isfile():
        return False
    parts = member.name.split("/")
    return (len(parts) >= 2 and parts[-2] == bucket and not member.name.startswith("/")
            and parts[0] != PACKS and all(p not in ("", ".", "..") for p in parts)
            and _packed(parts[-1]))


def _same_bytes(path: Path, size: int, src: IO[bytes]) -> bool:
    try:
        if path.stat().st_size != size:
            return False
        with open(path, "rb") as fh:
            while True:
                a, b = fh.read(_CHUNK), src.read(_CHUNK)
                if a != b:
                    return False
                if not a:
                    return True
    except OSError:
        return False


def _rel_folders(root: Path, folders: list[Path]) -> list[str]:
    return sorted(f.relative_to(root).as_posix() for f in folders)


def _member_folders(root: Path, names: set[str]) -> list[Path]:
    """The item folders the members ``<item folder>/<bucket>/<name>`` lie in."""
    return [root / f for f in sorted({n.rsplit("/", 2)[0] if n.count("/") >= 2 else ""
                                      for n in names})]


def _write_member(src: IO[bytes], dest: Path) -> None:
    """A member's bytes to ``dest``. A file that exists is replaced through a temporary (a
    reader never sees it half-written); a new one is written in place: if the run is killed
    half-way, the bucket's state is not recorded, so the next unpack compares and rewrites it
    (and nothing reads a bucket before its unpack)."""
    if dest.exists():
        tmp = dest.with_name(f".tmp-{dest.name}-{os.getpid()}")
        with open(tmp, "wb") as out:
            shutil.copyfileobj(src, out, _CHUNK)
        os.replace(tmp, dest)
    else:
        with open(dest, "wb") as out:
            shutil.copyfileobj(src, out, _CHUNK)


def _sync_bucket(root: Path, target: Path, b: str, known: dict[str, Any] | None,
                 ident: list[int] | None) -> tuple[dict[str, Any] | None, dict[str, int]]:
    """Bring bucket ``b`` in step with its pack ``target``: (its new state, or None when it
    was in step already; counts)."""
    counts = {"synced": 0, "written": 0, "removed": 0, "in_step": 0, "refused": 0}
    sha = _file_sha256(target)
    if known and known.get("sha256") == sha:
        # The same bytes rewritten (a DVC checkout, a hardlink commit): only the stat moved.
        counts["in_step"] = 1
        return {**known, "pack": ident}, counts
    members: set[str] = set()
    made: set[Path] = set()
    try:
        tar = tarfile.open(target, mode="r:")
    except tarfile.TarError as exc:
        raise PackError(f"{target}: not a readable pack ({exc}); `dvc checkout` or "
                        "`dvc pull` brings back the version DVC has") from None
    with tar:
        for member in tar:
            if not _safe_member(member, b):
                counts["refused"] += 1
                continue
            members.add(member.name)
            dest = root / member.name
            src = tar.extractfile(member)
            if src is None or _same_bytes(dest, member.size, src):
                continue
            src = tar.extractfile(member)
            assert src is not None
            if dest.parent not in made:
                dest.parent.mkdir(parents=True, exist_ok=True)
                made.add(dest.parent)
            _write_member(src, dest)
            counts["written"] += 1
    folders = _member_folders(root, members)
    if known:
        # DVC put another version of this pack here: the bucket becomes exactly the pack.
        for rel, _ in _loose(root, folders, b).get(b, []):
            if rel not in members:
                (root / rel).unlink(missing_ok=True)
                counts["removed"] += 1
    listing = _listing_digest(_loose(root, folders, b).get(b, []))
    counts["synced"] = 1
    return {"pack": ident, "sha256": sha, "loose": listing,
            "folders": _rel_folders(root, folders)}, counts


def unpack_folder(root: Path, *, workers: int = 4) -> dict[str, int]:
    """Bring the loose files under ``root`` in step with ``root/packs`` (see the module
    docstring). The item folders are the members' own, so no stage code is needed (a command
    unpacks its upstream stages' packs without importing them). Buckets are synced by
    ``workers`` threads (creating files is system calls, which run in parallel). Returns
    counts (buckets synced, files written, files removed, packs in step, members refused)."""
    packs = root / PACKS
    counts = {"synced": 0, "written": 0, "removed": 0, "in_step": 0, "refused": 0}
    if not packs.is_dir():
        return counts
    state = _read_state(root)
    todo = []
    for target in sorted(packs.glob("*.tar")):
        b = target.stem
        if not _BUCKET.fullmatch(b):
            continue
        ident = _identity(target)
        if state.get(b, {}).get("pack") == ident:
            counts["in_step"] += 1
        else:
            todo.append((target, b, ident))
    changed = bool(todo)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {b: pool.submit(_sync_bucket, root, target, b, state.get(b), ident)
                   for target, b, ident in todo}
        for b, future in futures.items():
            entry, done = future.result()
            if entry is not None:
                state[b] = entry
            for k, v in done.items():
                counts[k] += v
    present = {t.stem for t in packs.glob("*.tar")}
    for b in sorted(set(state) - present):
        # A pack DVC removed (a checkout of a version where the bucket is empty): the bucket
        # becomes empty too, as it would be in a clone of that version.
        folders = [root / f for f in state[b].get("folders", []) if ".." not in f]
        for rel, _ in _loose(root, folders, b).get(b, []):
            (root / rel).unlink(missing_ok=True)
            counts["removed"] += 1
        del state[b]
        changed = True
    if changed:
        _write_state(root, state)
    return counts


def pack(stage: Any, params: dict[str, Any]) -> dict[str, int]:
    """Pack one stage's per-item files (:class:`gifworthy.pipeline.stage.Stage`)."""
    return pack_folder(stage.folder(params), stage.item_folders(params))


def unpack(stages: Iterable[str], params: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Bring the loose files of ``stages`` (fan-out stage names) in step with their packs:
    what every command that reads per-item files runs first. One ``stat`` per pack when in
    step. Returns the counts of the stages where anything was synced or refused."""
    from gifworthy.pipeline.paths import stage_folder

    done: dict[str, dict[str, int]] = {}
    for name in stages:
        counts = unpack_folder(stage_folder(name, params))
        if counts["synced"] or counts["refused"]:
            done[name] = counts
    return done
