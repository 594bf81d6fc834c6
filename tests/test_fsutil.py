"""Atomic writes: complete or absent, never half-written, with the usual file mode."""

from __future__ import annotations

import os
import stat

import pytest

from gifworthy.core.fsutil import atomic_path, write_text


def test_finished_file_gets_the_umask_mode_not_mkstemps_0600(tmp_path):
    old = os.umask(0o022)
    try:
        write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644


def test_failed_write_leaves_target_untouched_and_no_temporary(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_atomic_dir_replaces_whole_or_not_at_all(tmp_path):
    from gifworthy.core.fsutil import atomic_dir

    target = tmp_path / "frames"
    with atomic_dir(target) as tmp:
        (tmp / "a.jpg").write_text("1")
    assert [p.name for p in target.iterdir()] == ["a.jpg"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o777 & ~_umask()
    with pytest.raises(RuntimeError):
        with atomic_dir(target) as tmp:
            (tmp / "b.jpg").write_text("half")
            raise RuntimeError("killed")
    assert [p.name for p in target.iterdir()] == ["a.jpg"]
    assert [p.name for p in tmp_path.iterdir()] == ["frames"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_csv_text_is_exactly_what_csv_writer_writes():
    import csv
    import io
    import random

    from gifworthy.core.fsutil import csv_text

    rng = random.Random(0)
    pieces = ["a", "", "b c", "x,y", 'say "hi"', "line\nbreak", "cr\r", 3, 2.5, None, "-0",
              "ünï", " lead"]
    rows = [[rng.choice(pieces) for _ in range(rng.randrange(1, 6))] for _ in range(2000)]
    rows += [[""], ["only"], ("t", "u"), []]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["h1", "h2"])
    writer.writerows(rows)
    assert csv_text(["h1", "h2"], rows) == buf.getvalue()
    assert csv_text(["h1", "h2"], (tuple(r) for r in rows)) == buf.getvalue()
