"""Kinetics annotation lists: the CSV (``label,youtube_id,time_start,time_end,split``) and
the JSON (``{youtube_id: {"annotations": {"label", "segment"}, "subset", ...}}``)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

from gifworthy.corpus.base import (
    Clip,
    CorpusData,
    NoMediaServer,
    Rejection,
    RowError,
    check_segment,
    corpus_file,
    dedupe_clips,
    parse_split,
    parse_time,
    parse_youtube_id,
)

__all__ = ["MAX_FIELD_CHARS", "KineticsCsvReader", "KineticsJsonReader", "clip_checks",
           "read_kinetics_csv", "read_kinetics_json", "split_csv_line"]


def clip_checks(
    youtube_id: str, start: str, end: str, label: str, split: str
) -> tuple[str, float, float, str, str]:
    yid = parse_youtube_id(youtube_id.strip())
    t0, t1 = parse_time(start, "time_start"), parse_time(end, "time_end")
    check_segment(t0, t1)
    sp = parse_split(split)
    label = label.strip()
    if not label and sp != "test":
        raise RowError(f"missing label in split {sp!r} (only test rows may lack one)")
    return yid, t0, t1, label, sp


# csv's own limit: a longer field is a damaged line (a lost newline, binary junk).
MAX_FIELD_CHARS = 131_072


def split_csv_line(line: str) -> list[str]:
    """One physical line of a CSV as its fields; :class:`RowError` if it cannot be one row.

    Each line is parsed on its own: an annotation list never has a row spanning lines, and
    parsing the file as one stream lets a single unbalanced quote swallow every line after
    it into one field. Lines without a quote (nearly all) are split directly.
    """
    if '"' not in line:
        fields = line.split(",")
    else:
        try:
            fields = next(csv.reader((line,), strict=True))
        except csv.Error as exc:
            raise RowError(f"not a CSV row ({exc}): unbalanced quote?") from None
        except StopIteration:
            return []
    if any(len(f) > MAX_FIELD_CHARS for f in fields):
        raise RowError(f"a field is over {MAX_FIELD_CHARS:,} characters")
    return fields


def read_kinetics_csv(path: str | Path) -> tuple[list[Clip], list[Rejection]]:
    """Read a Kinetics CSV (``label,youtube_id,time_start,time_end,split[,is_cc]``).

    Columns are found by header name, so the test lists without ``label`` and the lists with
    an extra ``is_cc`` column read too. Lines are 1-based, the header is line 1. A damaged
    line (bad quoting, an endless field, the wrong number of fields) is one rejection; every
    other line is read. A byte-order mark (a list saved by a spreadsheet) is skipped.
    """
    path = Path(path)
    clips: list[Clip] = []
    rejections: list[Rejection] = []
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        header_line = fh.readline()
        if not header_line.strip():
            return [], [Rejection(f"{path}:1", "empty file (no header)")]
        try:
            header = [h.strip().lower() for h in split_csv_line(header_line.rstrip("\r\n"))]
        except RowError as exc:
            return [], [Rejection(f"{path}:1", f"header: {exc}", header_line[:200])]
        required = ["youtube_id", "time_start", "time_end", "split"]
        missing = [c for c in required if c not in header]
        if missing:
            return [], [Rejection(f"{path}:1", f"header lacks column(s) {', '.join(missing)}",
                                  ",".join(header)[:200])]
        i_id, i_t0, i_t1, i_sp = (header.index(c) for c in required)
        i_label = header.index("label") if "label" in header else None
        width = len(header)
        for lineno, line in enumerate(fh, start=2):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue  # blank line
            origin = f"{path}:{lineno}"
            try:
                row = split_csv_line(line)
                if len(row) != width:
                    raise RowError(f"expected {width} fields, found {len(row)}")
                yid, t0, t1, label, sp = clip_checks(
                    row[i_id], row[i_t0], row[i_t1],
                    row[i_label] if i_label is not None else "", row[i_sp])
            except RowError as exc:
                rejections.append(Rejection(origin, str(exc), line[:200]))
                continue
            clips.append(Clip(yid, t0, t1, label, sp, origin))
    return dedupe_clips(clips, rejections), rejections


def _json_key_lines(text: str) -> dict[str, int]:
    """Line number of each top-level key's first occurrence (for file:line messages)."""
    lines: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        for match in re.finditer(r'"((?:[^"\\]|\\.)*)"\s*:', line):
            lines.setdefault(match.group(1), lineno)
    return lines


def read_kinetics_json(path: str | Path) -> tuple[list[Clip], list[Rejection]]:
    """Read a Kinetics JSON: ``{id: {"annotations": {"label", "segment"}, "subset", ...}}``."""
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [Rejection(f"{path}:{exc.lineno}", f"not valid JSON: {exc.msg}")]
    if not isinstance(data, dict):
        return [], [Rejection(f"{path}:1", "top level is not an object of videos")]
    key_lines = _json_key_lines(text)
    clips: list[Clip] = []
    rejections: list[Rejection] = []
    for key, entry in data.items():
        origin = f"{path}:{key_lines.get(key, 1)}"
        try:
            if not isinstance(entry, dict):
                raise RowError("entry is not an object")
            ann = entry.get("annotations")
            if not isinstance(ann, dict):
                raise RowError("missing 'annotations' object")
            segment = ann.get("segment")
            if not (isinstance(segment, (list, tuple)) and len(segment) == 2):
                raise RowError("annotations.segment is not [start, end]")
            label = ann.get("label")
            if label is not None and not isinstance(label, str):
                raise RowError(f"annotations.label is a {type(label).__name__}, not a string")
            subset = entry.get("subset", "")
            if not isinstance(subset, str):
                raise RowError(f"subset is a {type(subset).__name__}, not a string")
            if not all(isinstance(t, (int, float, str)) and not isinstance(t, bool)
                       for t in segment):
                raise RowError("annotations.segment holds something other than numbers")
            yid, t0, t1, label, sp = clip_checks(
                str(key), str(segment[0]), str(segment[1]), label or "", subset)
        except RowError as exc:
            rejections.append(Rejection(origin, str(exc), str(key)[:80]))
            continue
        clips.append(Clip(yid, t0, t1, label, sp, origin))
    return dedupe_clips(clips, rejections), rejections


class KineticsCsvReader(NoMediaServer):
    """``corpus.format: kinetics_csv``: ``corpus.source`` is the CSV."""

    def read(self, corpus: dict[str, Any], root: Path) -> CorpusData:
        clips, rejections = read_kinetics_csv(corpus_file(corpus["source"], root))
        # Every clip's video is fetched from its default YouTube URL (build._url).
        return CorpusData(clips=clips, rejections=rejections)


class KineticsJsonReader(NoMediaServer):
    """``corpus.format: kinetics_json``: ``corpus.source`` is the JSON."""

    def read(self, corpus: dict[str, Any], root: Path) -> CorpusData:
        clips, rejections = read_kinetics_json(corpus_file(corpus["source"], root))
        # Every clip's video is fetched from its default YouTube URL (build._url).
        return CorpusData(clips=clips, rejections=rejections)
