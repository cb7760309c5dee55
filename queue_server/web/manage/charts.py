"""Charts as inline SVG, drawn on the server: no script, print as they show, and nothing to
fetch from the internet. Each function returns markup to put in a template as is."""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

Number = float | int | None


def _nice_max(value: float) -> float:
    """A round top for an axis (1, 2, 5 x 10^n) at or above `value`."""
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * exp:
            return float(step * exp)
    return float(10 * exp)


def _fmt(v: float) -> str:
    return f"{v:g}" if v < 1000 else f"{v:,.0f}".replace(",", ".")


def _axis(width: int, height: int, left: int, top: int, bottom: int, vmax: float) -> list[str]:
    out = []
    for i in range(5):
        v = vmax * i / 4
        y = top + (height - top - bottom) * (1 - i / 4)
        out.append(
            f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" class="ch-grid"/>'
        )
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" class="ch-y">{_fmt(v)}</text>')
    return out


def _x_labels(labels: Sequence[str], xs: Sequence[float], y: float) -> list[str]:
    # Thin the labels so they never overlap: one per 48 units of axis ("29/10" at 14 px).
    room = (xs[-1] - xs[0]) / 48 + 1 if len(xs) > 1 else 1
    step = max(1, math.ceil(len(labels) / room))
    return [
        f'<text x="{x:.1f}" y="{y:.1f}" class="ch-x">{escape(label)}</text>'
        for i, (label, x) in enumerate(zip(labels, xs, strict=True))
        if i % step == 0
    ]


def _legend(series: Sequence[tuple[str, str]], x: int, y: int) -> list[str]:
    out = []
    for name, css in series:
        out.append(f'<rect x="{x}" y="{y - 9}" width="12" height="12" class="{css}"/>')
        out.append(f'<text x="{x + 16}" y="{y + 1}" class="ch-legend">{escape(name)}</text>')
        x += 24 + 8 * len(name)
    return out


def bar_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Number], str]],
    title: str,
    width: int = 560,
    height: int = 240,
) -> Markup:
    """Grouped vertical bars: one group per label, one bar per series (name, values, class)."""
    left, top, bottom = 48, 28, 34
    vmax = _nice_max(max((v or 0 for _, vals, _ in series for v in vals), default=0))
    plot_w = width - left - 22  # room for the last label
    group_w = plot_w / max(1, len(labels))
    bar_w = max(1.0, group_w * 0.8 / max(1, len(series)))
    parts = _axis(width, height, left, top, bottom, vmax)
    base = height - bottom
    for si, (name, values, css) in enumerate(series):
        for i, v in enumerate(values):
            h = (height - top - bottom) * (v or 0) / vmax
            x = left + i * group_w + group_w * 0.1 + si * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}"'
                f' class="{css}"><title>{escape(labels[i])} · {escape(name)}: {v or 0}'
                "</title></rect>"
            )
    parts += _x_labels(
        labels, [left + (i + 0.5) * group_w for i in range(len(labels))], height - 14
    )
    parts += _legend([(n, c) for n, _, c in series], left, 14)
    return _svg(width, height, title, parts)


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Number], str]],
    title: str,
    width: int = 560,
    height: int = 240,
) -> Markup:
    """Lines over the labels; a missing value (None) breaks the line."""
    left, top, bottom = 48, 28, 34
    vmax = _nice_max(max((v or 0 for _, vals, _ in series for v in vals), default=0))
    plot_w = width - left - 22  # room for the last label
    step = plot_w / max(1, len(labels))
    xs = [left + (i + 0.5) * step for i in range(len(labels))]
    parts = _axis(width, height, left, top, bottom, vmax)
    for name, values, css in series:
        runs: list[list[str]] = [[]]
        for x, v in zip(xs, values, strict=True):
            if v is None:
                runs.append([])
                continue
            y = top + (height - top - bottom) * (1 - v / vmax)
            runs[-1].append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" class="{css}">'
                f"<title>{escape(name)}: {v}</title></circle>"
            )
        for run in runs:
            if len(run) > 1:
                parts.append(f'<polyline points="{" ".join(run)}" class="{css} ch-line"/>')
    parts += _x_labels(labels, xs, height - 14)
    parts += _legend([(n, c) for n, _, c in series], left, 14)
    return _svg(width, height, title, parts)


def hbars(
    rows: Sequence[tuple[str, int, str]], title: str, width: int = 520, row_h: int = 30
) -> Markup:
    """Horizontal bars with their count and share: (label, count, class)."""
    label_w = 170
    total = sum(n for _, n, _ in rows) or 1
    vmax = max((n for _, n, _ in rows), default=0) or 1
    height = row_h * len(rows) + 8
    parts = []
    for i, (label, n, css) in enumerate(rows):
        y = 4 + i * row_h
        w = (width - label_w - 90) * n / vmax
        parts.append(
            f'<text x="{label_w - 8}" y="{y + row_h / 2 + 5}" class="ch-y">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" class="{css}"/>'
        )
        parts.append(
            f'<text x="{label_w + w + 6:.1f}" y="{y + row_h / 2 + 5}" class="ch-val">'
            f"{n} ({100 * n / total:.0f}%)</text>"
        )
    return _svg(width, height, title, parts, grow=False)


def heatmap(
    grid: Sequence[Sequence[int]],
    row_labels: Sequence[str],
    hours: range,
    title: str,
    cell: int = 26,
) -> Markup:
    """Rows x hours, darker for more; each cell says its count on hover."""
    left, top = 84, 22
    vmax = max((v for row in grid for v in row[hours.start : hours.stop]), default=0) or 1
    width = left + cell * len(hours) + 4
    height = top + cell * len(grid) + 4
    parts = [
        f'<text x="{left + (h - hours.start + 0.5) * cell}" y="{top - 7}" class="ch-x">{h}</text>'
        for h in hours
    ]
    for r, (label, row) in enumerate(zip(row_labels, grid, strict=True)):
        y = top + r * cell
        parts.append(
            f'<text x="{left - 6}" y="{y + cell / 2 + 4}" class="ch-y">{escape(label)}</text>'
        )
        for h in hours:
            v = row[h]
            level = 0 if v == 0 else 1 + min(4, int(5 * v / (vmax + 1)))
            parts.append(
                f'<rect x="{left + (h - hours.start) * cell}" y="{y}" width="{cell - 2}"'
                f' height="{cell - 2}" class="ch-heat{level}"><title>{escape(label)} {h}h: {v}'
                "</title></rect>"
            )
    return _svg(width, height, title, parts, grow=False)


def _svg(width: int, height: int, title: str, parts: list[str], grow: bool = True) -> Markup:
    """The chart scales to its box; one that does not `grow` stays at most its own size."""
    body = "".join(parts)
    limit = "" if grow else f' style="max-width:{width}px"'
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}"{limit}'
        f' role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>{body}</svg>'
    )
