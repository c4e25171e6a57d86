"""The scale benchmark's plot: wall time and peak RSS of each stage against corpus size, as a small SVG
written by hand (log-log axes; matplotlib is not a dependency of this project).

    python bench/scale.py --plot WORKDIR/results.jsonl bench/scale.svg    # several files: comma-separated
"""

from __future__ import annotations

import json
import math
from pathlib import Path

COLOURS = {"harvest": "#1b6ca8", "index": "#c0392b", "cluster": "#27ae60", "cluster-baseline": "#8e44ad"}
W, H, PAD = 320, 220, 46


def load(paths: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for path in paths.split(","):
        for line in Path(path).read_text().splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows


def _panel(x0: int, title: str, series: dict[str, list[tuple[float, float]]], unit: str) -> list[str]:
    points = [p for values in series.values() for p in values if p[0] > 0 and p[1] > 0]
    if not points:
        return []
    lx = [math.log10(p[0]) for p in points]
    ly = [math.log10(p[1]) for p in points]
    xmin, xmax = math.floor(min(lx)), math.ceil(max(lx))
    ymin, ymax = math.floor(min(ly)), math.ceil(max(ly))
    xmax, ymax = max(xmax, xmin + 1), max(ymax, ymin + 1)

    def sx(v: float) -> float:
        return x0 + PAD + (math.log10(v) - xmin) / (xmax - xmin) * (W - PAD - 10)

    def sy(v: float) -> float:
        return H - PAD + 10 - (math.log10(v) - ymin) / (ymax - ymin) * (H - PAD - 20)

    out = [f'<text x="{x0 + W / 2}" y="14" text-anchor="middle" font-weight="bold">{title}</text>',
           f'<line x1="{x0 + PAD}" y1="{H - PAD + 10}" x2="{x0 + W - 10}" y2="{H - PAD + 10}" stroke="#333"/>',
           f'<line x1="{x0 + PAD}" y1="20" x2="{x0 + PAD}" y2="{H - PAD + 10}" stroke="#333"/>']
    for e in range(xmin, xmax + 1):
        out.append(f'<text x="{sx(10**e)}" y="{H - PAD + 24}" text-anchor="middle">{_short(10**e)}</text>')
    for e in range(ymin, ymax + 1):
        out.append(f'<text x="{x0 + PAD - 4}" y="{sy(10**e) + 4}" text-anchor="end">{_short(10**e)}</text>')
    out.append(f'<text x="{x0 + W / 2}" y="{H - 6}" text-anchor="middle">records</text>')
    out.append(f'<text x="{x0 + 10}" y="{H / 2}" transform="rotate(-90 {x0 + 10} {H / 2})" '
               f'text-anchor="middle">{unit}</text>')
    for name, values in series.items():
        values = sorted(p for p in values if p[0] > 0 and p[1] > 0)
        colour = COLOURS.get(name, "#555")
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in values)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out += [f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{colour}"/>' for x, y in values]
    return out


def _short(value: float) -> str:
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def plot(results: Path | str, svg: Path) -> None:
    rows = [r for r in load(str(results)) if r.get("stage") in COLOURS]
    time: dict[str, list[tuple[float, float]]] = {}
    memory: dict[str, list[tuple[float, float]]] = {}
    for row in rows:
        name = str(row["stage"])
        time.setdefault(name, []).append((float(row["size"]), float(row.get("seconds", 0))))  # type: ignore[arg-type]
        memory.setdefault(name, []).append((float(row["size"]), float(row.get("peak_mb", 0))))  # type: ignore[arg-type]
    legend = [f'<text x="{20 + 130 * k}" y="{H + 18}" fill="{COLOURS[name]}">■ {name}</text>'
              for k, name in enumerate(n for n in COLOURS if n in time)]
    body = _panel(0, "wall time", time, "seconds") + _panel(W + 20, "peak RSS", memory, "MB") + legend
    svg.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * W + 20}" height="{H + 28}" '
                   f'font-family="sans-serif" font-size="11" role="img" aria-label="scale benchmark: wall time '
                   f'and peak memory per stage against corpus size">\n' + "\n".join(body) + "\n</svg>\n")
