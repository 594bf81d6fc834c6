"""The timeline picture: who is on screen when."""


from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from gifworthy.core.fsutil import atomic_path

__all__ = ["timeline_png"]


_PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
            (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def _spans(on: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs of a 1-d boolean array."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(int), [0]])))
    return list(zip(edges[::2], edges[1::2]))


def timeline_png(on_screen: np.ndarray, classes: Sequence[str], fps: float,
                 out: str | os.PathLike[str], *, title: str = "",
                 probs: np.ndarray | None = None, truth: np.ndarray | None = None) -> None:
    """A timeline: one row per character, a bar where it is on screen (the smoothed
    probability drawn over it, the true seconds as a thin line under it when given)."""
    from PIL import Image, ImageDraw, ImageFont

    n = len(on_screen)
    font = ImageFont.load_default()
    label_w, row_h, pad, top = 110, 34, 12, 34
    width = label_w + max(600, min(2400, 4 * n)) + pad
    plot_w = width - label_w - pad
    height = top + row_h * max(1, len(classes)) + 40
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    secs = n / fps if fps else 0
    draw.text((pad, 8), title or "screen time", fill="black", font=font)

    def x_of(i: float) -> float:
        return label_w + plot_w * (i / max(n, 1))

    for r, name in enumerate(classes):
        y0 = top + r * row_h
        colour = _PALETTE[r % len(_PALETTE)]
        total = on_screen[:, r].sum() / fps if n else 0
        draw.text((pad, y0 + 10), f"{name} {total:.0f}s", fill="black", font=font)
        draw.rectangle([label_w, y0 + 4, label_w + plot_w, y0 + row_h - 6], fill=(242, 242, 242))
        for a, b in _spans(on_screen[:, r]):
            draw.rectangle([x_of(a), y0 + 4, x_of(b), y0 + row_h - 6], fill=colour)
        if probs is not None and n:
            pts = [(x_of(i + 0.5), y0 + row_h - 6 - (row_h - 10) * float(probs[i, r]))
                   for i in range(n)]
            draw.line(pts, fill=(40, 40, 40), width=1)
        if truth is not None:
            for a, b in _spans(truth[:, r]):
                draw.rectangle([x_of(a), y0 + row_h - 4, x_of(b), y0 + row_h - 2], fill="black")
    axis_y = top + row_h * max(1, len(classes)) + 4
    step = next(s for s in (1, 5, 10, 30, 60, 300, 600, 1800, 3600, 10 ** 9)
                if secs / s <= 12)
    for s in np.arange(0, secs + 1e-9, step):
        x = x_of(s * fps)
        draw.line([(x, axis_y), (x, axis_y + 4)], fill="black")
        draw.text((x - 8, axis_y + 6), f"{int(s // 60)}:{int(s % 60):02d}", fill="black", font=font)
    with atomic_path(out) as tmp:
        img.save(tmp, format="PNG")
