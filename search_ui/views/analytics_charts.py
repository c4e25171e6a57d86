"""Chart geometry for the analytics pages: numbers in, rectangles and labels out, SVG by templates.

The charts are pictures of the tables printed beside them (role="img" with a title and a summary),
so nothing in them needs to be focusable or scripted; the numbers and their links live in the table.
Colours come from one sequential blue ramp whose darkest steps carry white text (contrast ≥ 4.5:1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

RAMP = ("#eef4fb", "#cfe0f3", "#a6c6e8", "#6fa2d6", "#3f7fc2", "#1f5fa3", "#0b3f75")
"""Light to dark; text is white on the last three steps, ink on the others."""
BAR = "#1f5fa3"
SELF = "#e3e7eb"
SERIES = ("#1f5fa3", "#c76a00", "#a3261b")  # added, updated, deleted: blue, orange, red


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    y: float
    width: float
    text_x: float


def bar_chart(rows: Sequence[tuple[str, int]], width: int = 560, bar: int = 22, gap: int = 6,
              label_width: int = 240) -> dict[str, Any]:
    """Horizontal bars (long library names fit on the left); value printed after each bar."""
    top = max((value for _, value in rows), default=0) or 1
    room = width - label_width - 70
    bars = []
    for index, (label, value) in enumerate(rows):
        length = room * value / top
        bars.append(Bar(_clip(label, 30), value, index * (bar + gap), max(length, 1.0 if value else 0.0),
                        label_width + length + 6))
    return {"width": width, "height": max(len(rows), 1) * (bar + gap), "bar": bar, "label_width": label_width,
            "bars": bars, "fill": BAR}


def heatmap(codes: Sequence[str], rows: Sequence[Sequence[tuple[int, float]]], cell: int = 56,
            label: int = 70) -> dict[str, Any]:
    """Member × member squares shaded by the row percentage, each printed with its percentage."""
    squares = []
    for i, row in enumerate(rows):
        for j, (count, share) in enumerate(row):
            x, y = label + j * cell, label + i * cell
            if i == j:  # a member with itself: always 100 %, so shown neutral, not as the darkest square
                squares.append({"x": x, "y": y, "fill": SELF, "ink": "#1d232b", "text": "—"})
                continue
            step = min(len(RAMP) - 1, int(share / 100 * (len(RAMP) - 1) + 0.5)) if count else 0
            squares.append({"x": x, "y": y, "fill": RAMP[step], "ink": "#ffffff" if step >= 4 else "#1d232b",
                            "text": f"{share:.0f}%" if count else "0"})
    size = label + len(codes) * cell
    return {"width": size + 4, "height": size + 4, "cell": cell, "label": label, "squares": squares,
            "columns": [{"x": label + j * cell + cell / 2, "text": _clip(c, 8)} for j, c in enumerate(codes)],
            "rows": [{"y": label + i * cell + cell / 2, "text": _clip(c, 8)} for i, c in enumerate(codes)]}


def grouped_bars(groups: Sequence[tuple[str, Sequence[int]]], series: Sequence[str], height: int = 180,
                 group_width: int = 48) -> dict[str, Any]:
    """Vertical grouped bars: one group per harvest run, one bar per series (added/updated/deleted)."""
    top = max((v for _, values in groups for v in values), default=0) or 1
    inner = height - 40
    bar = (group_width - 12) / max(len(series), 1)
    out = []
    for g, (label, values) in enumerate(groups):
        x0 = 40 + g * group_width
        for s, value in enumerate(values):
            h = inner * value / top
            out.append({"x": x0 + s * bar, "y": 10 + inner - h, "w": bar - 1, "h": max(h, 1.0 if value else 0.0),
                        "fill": SERIES[s % len(SERIES)], "value": value, "series": series[s]})
        out[-1]["group_label"] = label
    return {"width": max(40 + len(groups) * group_width + 10, 60 + 90 * len(series)), "height": height, "bars": out,
            "labels": [{"x": 40 + g * group_width + (group_width - 12) / 2, "text": label}
                       for g, (label, _) in enumerate(groups)],
            "top": top, "base": 10 + inner, "legend": [{"name": n, "fill": SERIES[i % len(SERIES)]}
                                                       for i, n in enumerate(series)]}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
