"""The labels a user gives (``labels.csv``) and the truth of a sample video."""


from __future__ import annotations

import csv
import dataclasses
import os
import re
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

__all__ = ["NONE", "LabelError", "LabelledFrame", "label_rows", "read_labels", "read_truth"]


NONE = "none"


_SEPARATORS = re.compile(r"[;+|]")


_CLASS_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")


_TRAILING_NUMBER = re.compile(r"^(.*?)[_\-. ]?(\d+)$")


MAX_REPORTED_ERRORS = 20


class LabelError(ValueError):
    """The labels cannot be used; the message names the file and lines."""


@dataclasses.dataclass(frozen=True)
class LabelledFrame:
    path: Path
    video: str
    second: int | None  # the frame's number, when its name ends in one (temporal order)
    labels: frozenset[str]  # empty = none of the characters
    line: int


# ---------------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------------
def _frame_video(rel: Path) -> tuple[str, int | None]:
    match = _TRAILING_NUMBER.match(rel.stem)
    number = int(match.group(2)) if match else None
    if len(rel.parts) > 1:
        return rel.parts[0], number
    prefix = match.group(1) if match else rel.stem
    return prefix or "frames", number


def label_rows(labels_csv: str | os.PathLike[str]
               ) -> Iterator[tuple[int, str, str, dict[str, Any]]]:
    """``(line, frame, label cell, row)`` of each row of a labels CSV (columns ``frame`` and
    ``label`` or ``labels``, any case, a BOM allowed), cells stripped. An unreadable file or
    a missing column raises :class:`LabelError` naming the file."""
    try:
        fh = open(labels_csv, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise LabelError(f"{labels_csv}: cannot read labels ({exc.strerror})") from None
    with fh:
        reader = csv.DictReader(fh)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        reader.fieldnames = header
        column = "label" if "label" in header else "labels" if "labels" in header else None
        if "frame" not in header or column is None:
            raise LabelError(f"{labels_csv}:1: need columns 'frame' and 'label' "
                             f"(found {', '.join(header) or 'no header'})")
        for row in reader:
            yield (reader.line_num, (row.get("frame") or "").strip(),
                   (row.get(column) or "").strip(), row)


def read_labels(labels_csv: str | os.PathLike[str], frames_dir: str | os.PathLike[str],
                classes: Sequence[str] | None = None
                ) -> tuple[list[LabelledFrame], list[str]]:
    """Labelled frames and the sorted class list (``none`` excluded).

    Every problem is collected and raised at once as :class:`LabelError`, each naming the CSV
    and its line: a missing column, a frame path outside ``frames_dir`` or not found, an empty
    or malformed label, ``none`` mixed with a class, a class outside ``classes`` (when given),
    and a class of ``classes`` that no frame shows.
    """
    labels_csv, frames_dir = Path(labels_csv), Path(frames_dir)
    root = frames_dir.resolve()
    errors: list[str] = []
    merged: dict[Path, dict[str, Any]] = {}
    for line, frame, cell, row in label_rows(labels_csv):
        if not frame:
            errors.append(f"{labels_csv}:{line}: empty frame path")
            continue
        rel = Path(frame)
        target = (frames_dir / rel).resolve()
        if rel.is_absolute() or not target.is_relative_to(root):
            errors.append(f"{labels_csv}:{line}: frame {frame!r} is outside {frames_dir}")
            continue
        if not target.is_file():
            errors.append(f"{labels_csv}:{line}: frame {frame!r} not found in {frames_dir}")
            continue
        names = [n.strip() for n in _SEPARATORS.split(cell)] if cell else []
        if not names or any(not n for n in names):
            errors.append(f"{labels_csv}:{line}: empty label for {frame!r} "
                          f"(write '{NONE}' for a frame without any character)")
            continue
        bad = [n for n in names if not _CLASS_NAME.match(n)]
        if bad:
            errors.append(f"{labels_csv}:{line}: malformed class name {bad[0]!r}")
            continue
        lowered = {n.lower() for n in names}
        if NONE in lowered and len(lowered) > 1:
            errors.append(f"{labels_csv}:{line}: '{NONE}' cannot be combined with "
                          f"{', '.join(sorted(lowered - {NONE}))} for {frame!r}")
            continue
        if classes is not None:
            unknown = sorted(lowered - {NONE} - {c.lower() for c in classes})
            if unknown:
                errors.append(f"{labels_csv}:{line}: unknown class {unknown[0]!r} "
                              f"(classes: {', '.join(classes)})")
                continue
        entry = merged.setdefault(target, {"rel": rel, "labels": set(), "line": line,
                                           "video": (row.get("video") or "").strip(),
                                           "none": False})
        entry["none"] |= lowered == {NONE}
        entry["labels"] |= lowered - {NONE}
        if entry["none"] and entry["labels"]:
            errors.append(f"{labels_csv}:{line}: {frame!r} is labelled both '{NONE}' and "
                          f"{', '.join(sorted(entry['labels']))} (line {entry['line']})")
    found = sorted({c for e in merged.values() for c in e["labels"]})
    wanted = sorted(c.lower() for c in classes) if classes is not None else found
    if not errors:
        empty = [c for c in wanted if c not in found]
        if empty:
            errors.append(f"{labels_csv}: class {empty[0]!r} has no labelled frame"
                          + (f" (nor {', '.join(empty[1:])})" if len(empty) > 1 else ""))
        elif not merged:
            errors.append(f"{labels_csv}: no labelled frames")
        elif not found:
            errors.append(f"{labels_csv}: every frame is '{NONE}'; label at least one character")
    if errors:
        more = len(errors) - MAX_REPORTED_ERRORS
        raise LabelError("\n".join(errors[:MAX_REPORTED_ERRORS]
                                   + ([f"... and {more} more"] if more > 0 else [])))
    frames = []
    for target, e in merged.items():
        video, number = _frame_video(e["rel"])
        frames.append(LabelledFrame(target, e["video"] or video, number,
                                    frozenset(e["labels"]), e["line"]))
    frames.sort(key=lambda f: (f.video, f.second if f.second is not None else -1, str(f.path)))
    return frames, wanted


# ---------------------------------------------------------------------------------------------
# Ground truth (the sample corpus, or a user's fully labelled video)
# ---------------------------------------------------------------------------------------------
def read_truth(path: str | os.PathLike[str], classes: Sequence[str]) -> dict[str, np.ndarray]:
    """``video,second,labels`` rows -> {video: (T, C) booleans}, seconds in order."""
    rows: dict[str, dict[int, set[str]]] = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for n, row in enumerate(csv.DictReader(fh), start=2):
            try:
                second = int(row["second"])
            except (KeyError, TypeError, ValueError):
                raise LabelError(f"{path}:{n}: bad second {row.get('second')!r}") from None
            names = {x.strip().lower() for x in _SEPARATORS.split(row.get("labels") or "")} - {
                "", NONE}
            rows.setdefault(row["video"], {})[second] = names
    out = {}
    for video, seconds in rows.items():
        n = max(seconds) + 1 if seconds else 0
        out[video] = np.array([[c in seconds.get(s, set()) for c in classes] for s in range(n)],
                              dtype=bool).reshape(n, len(classes))
    return out
