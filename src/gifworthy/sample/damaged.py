"""Kinetics annotation lists damaged the ways real ones get damaged (a spreadsheet's
byte-order mark, a stray quote, a lost newline that makes one endless field, rows cut short,
hostile ids, junk bytes), with the line of every damaged row, for the tests and the
manifest benchmark. Production code never imports this."""

from __future__ import annotations

import random
import string
from pathlib import Path
from typing import Callable

__all__ = ["DAMAGE", "write_damaged_kinetics_csv"]

_ALPHABET = string.ascii_letters + string.digits + "_-"

# name -> how a good row ``label,youtube_id,start,end,split`` (as fields) becomes a bad line.
# Every one must be rejected on its own line, and none may touch its neighbours.
DAMAGE: dict[str, Callable[[list[str]], str]] = {
    "unbalanced quote": lambda r: '"' + ",".join(r),
    "quote inside a field": lambda r: ",".join([r[0], f'"{r[1]}"x', *r[2:]]),
    "field over the csv limit": lambda r: ",".join(["x" * 140_000, *r[1:]]),
    "field missing": lambda r: ",".join(r[:4]),
    "field extra": lambda r: ",".join([*r, "extra"]),
    "hostile id": lambda r: ",".join([r[0], "../" + r[1][:5], *r[2:]]),
    "NUL byte": lambda r: ",".join([r[0], r[1][:5] + "\0" + r[1][6:], *r[2:]]),
    "invalid UTF-8": lambda r: ",".join([r[0], r[1][:5] + "\udcff" + r[1][6:], *r[2:]]),
    "time not a number": lambda r: ",".join([*r[:2], "ten", *r[3:]]),
    "end before start": lambda r: ",".join([*r[:2], r[3], r[2], r[4]]),
    "unknown split": lambda r: ",".join([*r[:4], "holdout"]),
    "missing label": lambda r: ",".join(["", *r[1:4], "train"]),
}


def write_damaged_kinetics_csv(path: Path, rows: int, damaged_share: float, *, seed: int = 0,
                               bom: bool = True) -> list[int]:
    """Write a Kinetics CSV of ``rows`` data rows, ``damaged_share`` of them damaged (every
    kind of :data:`DAMAGE` in turn); returns the 1-based line numbers of the damaged rows
    (the header is line 1). Good rows have distinct ids, so none is a duplicate."""
    rng = random.Random(seed)
    labels = [f"label {i}" for i in range(700)]
    every = max(1, round(1 / damaged_share)) if damaged_share > 0 else 0
    kinds = list(DAMAGE.values())
    damaged: list[int] = []
    lines = ["label,youtube_id,time_start,time_end,split"]
    for i in range(rows):
        yid = "".join(rng.choice(_ALPHABET) for _ in range(11))
        start = rng.randrange(0, 600)
        row = [rng.choice(labels), yid, str(start), str(start + 10),
               rng.choice(("train", "train", "validate", "test"))]
        if every and i % every == every - 1:
            lines.append(kinds[len(damaged) % len(kinds)](row))
            damaged.append(i + 2)
        else:
            lines.append(",".join(row))
    data = ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return damaged
