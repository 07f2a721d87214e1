"""Charts for PDFs as inline SVG, drawn from the same data the tables show (no browser needed)."""

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from xml.sax.saxutils import escape

PALETTE = ("#1f4e79", "#2e75b6", "#9dc3e6", "#c55a11", "#f4b183", "#548235", "#a9d18e")
# Lines need colours that stay apart in print; the first (headline) series is the darkest.
LINE_PALETTE = ("#12263f", "#2e75b6", "#c55a11", "#548235", "#7030a0", "#bf9000", "#a61c00", "#00838f")


def horizontal_bar_svg(
    title: str,
    items: Sequence[tuple[str, float]],
    *,
    maximum: float | None = None,
    width: int = 480,
    bar_height: int = 18,
) -> str:
    """A labelled horizontal bar chart; values are printed beside the bars so the PDF is readable in grey."""
    label_width, value_width, gap, top = 150, 40, 6, 28
    height = top + len(items) * (bar_height + gap) + 4
    peak = maximum or max((value for _, value in items), default=0) or 1
    plot_width = width - label_width - value_width
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="16" font-size="12" font-weight="bold" fill="#222">{escape(title)}</text>',
    ]
    for index, (label, value) in enumerate(items):
        y = top + index * (bar_height + gap)
        bar = round(plot_width * value / peak, 1)
        colour = PALETTE[index % len(PALETTE)]
        parts.append(
            f'<text x="{label_width - 6}" y="{y + bar_height - 5}" font-size="10" text-anchor="end" '
            f'fill="#222">{escape(str(label))}</text>'
        )
        parts.append(f'<rect x="{label_width}" y="{y}" width="{bar}" height="{bar_height}" fill="{colour}"/>')
        parts.append(
            f'<text x="{label_width + bar + 4}" y="{y + bar_height - 5}" font-size="10" '
            f'fill="#222">{value:g}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _coerce_x(value: Any) -> float:
    """Dates and datetimes become seconds since the epoch so that points are spaced by elapsed time."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp()
    return float(value)


def _x_label(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    return f"{value:g}"


def line_chart_svg(
    title: str,
    series: Sequence[tuple[str, Sequence[tuple[Any, float | None]]]],
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    references: Sequence[tuple[str, float]] = (),
    width: int = 480,
    height: int = 220,
    y_label: str = "",
) -> str:
    """Lines over time (x: dates, datetimes or numbers), with dashed reference lines such as thresholds.

    Missing values (None) are skipped and the line joins the points either side, as the pages' trend does.
    """
    left, right, top = 44, 10, 28
    legend_rows = (len(series) + len(references) + 2) // 3
    bottom = 34 + 14 * legend_rows
    plot_w, plot_h = width - left - right, height - top - bottom
    points = [[(_coerce_x(x), float(y), x) for x, y in values if y is not None] for _, values in series]
    xs = [p[0] for line in points for p in line]
    ys = [p[1] for line in points for p in line] + [value for _, value in references]
    low = minimum if minimum is not None else min(ys, default=0)
    high = maximum if maximum is not None else max(ys, default=1)
    if high <= low:
        high = low + 1
    x_low, x_high = min(xs, default=0), max(xs, default=1)
    span = (x_high - x_low) or 1

    def px(x: float) -> float:
        # A single point sits in the middle rather than on the axis.
        return round(left + (plot_w / 2 if x_high == x_low else plot_w * (x - x_low) / span), 1)

    def py(y: float) -> float:
        return round(top + plot_h - plot_h * (min(max(y, low), high) - low) / (high - low), 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="16" font-size="12" font-weight="bold" fill="#222">{escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#bbb"/>',
    ]
    for step in range(5):
        value = low + (high - low) * step / 4
        y = py(value)
        parts.append(f'<line x1="{left}" y1="{y}" x2="{left + plot_w}" y2="{y}" stroke="#eee"/>')
        parts.append(
            f'<text x="{left - 4}" y="{y + 3}" font-size="8" text-anchor="end" fill="#444">{value:.3g}</text>'
        )
    if y_label:
        parts.append(
            f'<text x="10" y="{top + plot_h / 2}" font-size="8" fill="#444" text-anchor="middle" '
            f'transform="rotate(-90 10 {top + plot_h / 2})">{escape(y_label)}</text>'
        )
    ticks = sorted({(p[0], _x_label(p[2])) for line in points for p in line})
    if len(ticks) > 6:
        ticks = [ticks[round(i * (len(ticks) - 1) / 5)] for i in range(6)]
    for x, label in ticks:
        parts.append(
            f'<text x="{px(x)}" y="{top + plot_h + 11}" font-size="8" text-anchor="middle" '
            f'fill="#444">{escape(label)}</text>'
        )
    legend: list[tuple[str, str, bool]] = []
    for index, (label, value) in enumerate(references):
        colour = ("#b42318", "#a66300", "#1e7b45", "#555")[index % 4]
        y = py(value)
        parts.append(
            f'<line x1="{left}" y1="{y}" x2="{left + plot_w}" y2="{y}" stroke="{colour}" '
            f'stroke-dasharray="4 3"/>'
        )
        legend.append((f"{label} ({value:g})", colour, True))
    for index, ((label, _), line) in enumerate(zip(series, points, strict=True)):
        colour = LINE_PALETTE[index % len(LINE_PALETTE)]
        # The first series is drawn thicker: callers put the headline (e.g. the overall score) first.
        stroke = 2.5 if index == 0 else 1.2
        if len(line) > 1:
            path = " ".join(f"{px(x)},{py(y)}" for x, y, _ in line)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="{stroke}"/>')
        if len(line) <= 60:
            parts.extend(f'<circle cx="{px(x)}" cy="{py(y)}" r="2" fill="{colour}"/>' for x, y, _ in line)
        legend.append((label, colour, False))
    legend_top = top + plot_h + 24
    column_width = (width - 10) / 3
    for index, (label, colour, dashed) in enumerate(legend):
        x = 4 + (index % 3) * column_width
        y = legend_top + (index // 3) * 14
        dash = ' stroke-dasharray="4 3"' if dashed else ""
        parts.append(
            f'<line x1="{x}" y1="{y}" x2="{x + 16}" y2="{y}" stroke="{colour}" stroke-width="2"{dash}/>'
        )
        parts.append(f'<text x="{x + 20}" y="{y + 3}" font-size="8" fill="#222">{escape(label[:40])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _clip(text: str, limit: int) -> str:
    """The text, cut with an ellipsis when longer than ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _blue(value: float) -> tuple[str, str]:
    """Fill and text colour on a white-to-navy scale (as the pages' Plotly "Blues" heat map)."""
    low, high = (247, 251, 255), (8, 48, 107)
    fill = "#" + "".join(f"{round(a + (b - a) * value):02x}" for a, b in zip(low, high, strict=True))
    return fill, "#fff" if value > 0.55 else "#222"


def heatmap_svg(
    title: str,
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    minimum: float = 0,
    maximum: float = 5,
    width: int = 480,
) -> str:
    """A rows x columns grid coloured by value with the value printed in each cell; a dash where there is none."""
    # Room for the longest row label (about 5.5 px a character at 9 px), within reason.
    longest = max((len(str(label)) for label in rows), default=0)
    label_width, top, cell_h = min(200, max(80, round(longest * 5.5) + 10)), 40, 22
    cell_w = (width - label_width) / max(len(columns), 1)
    height = top + cell_h * len(rows) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="16" font-size="12" font-weight="bold" fill="#222">{escape(title)}</text>',
    ]
    for index, column in enumerate(columns):
        x = label_width + cell_w * (index + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{top - 6}" font-size="9" text-anchor="middle" '
            f'fill="#222">{escape(str(column)[:18])}</text>'
        )
    for row_index, (label, row) in enumerate(zip(rows, values, strict=True)):
        y = top + row_index * cell_h
        parts.append(
            f'<text x="{label_width - 6}" y="{y + cell_h / 2 + 3}" font-size="9" text-anchor="end" '
            f'fill="#222">{escape(_clip(str(label), 34))}</text>'
        )
        for column_index, value in enumerate(row):
            x = label_width + column_index * cell_w
            if value is None:
                fill, ink, text = "#fff", "#666", "\u2013"
            else:
                share = (min(max(value, minimum), maximum) - minimum) / ((maximum - minimum) or 1)
                fill, ink = _blue(share)
                text = f"{value:.2f}"
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{cell_w:.1f}" height="{cell_h}" fill="{fill}" stroke="#fff"/>'
            )
            parts.append(
                f'<text x="{x + cell_w / 2:.1f}" y="{y + cell_h / 2 + 3}" font-size="9" '
                f'text-anchor="middle" fill="{ink}">{text}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def risk_zone_colour(score: int) -> str:
    """The colour of a likelihood x impact cell: red from 15, amber from 8, green below."""
    if score >= 15:
        return "#f4b6b0"
    if score >= 8:
        return "#fbd9a5"
    return "#c9e7c9"


def risk_matrix_svg(title: str, grid: Sequence[Sequence[int]], *, size: int = 220) -> str:
    """A 5x5 likelihood (x) by impact (y) matrix with the number of risks in each cell.

    ``grid[impact - 1][likelihood - 1]`` is a count, as ``governance.selectors.risks.heatmap_grids`` returns.
    """
    left, top, bottom = 34, 24, 28
    cell = (size - left) / 5
    height = top + cell * 5 + bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{height:.0f}" '
        f'viewBox="0 0 {size} {height:.0f}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="14" font-size="11" font-weight="bold" fill="#222">{escape(title)}</text>',
    ]
    for impact in range(5, 0, -1):
        y = top + (5 - impact) * cell
        parts.append(
            f'<text x="{left - 6}" y="{y + cell / 2 + 3:.1f}" font-size="8" text-anchor="end">{impact}</text>'
        )
        for likelihood in range(1, 6):
            x = left + (likelihood - 1) * cell
            count = grid[impact - 1][likelihood - 1]
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell:.1f}" height="{cell:.1f}" '
                f'fill="{risk_zone_colour(likelihood * impact)}" stroke="#fff"/>'
            )
            if count:
                parts.append(
                    f'<text x="{x + cell / 2:.1f}" y="{y + cell / 2 + 4:.1f}" font-size="11" '
                    f'font-weight="bold" text-anchor="middle" fill="#222">{count}</text>'
                )
    for likelihood in range(1, 6):
        x = left + (likelihood - 0.5) * cell
        parts.append(
            f'<text x="{x:.1f}" y="{top + 5 * cell + 11:.1f}" font-size="8" text-anchor="middle">{likelihood}</text>'
        )
    parts.append(
        f'<text x="{left + 2.5 * cell:.1f}" y="{top + 5 * cell + 24:.1f}" font-size="8" '
        f'text-anchor="middle" fill="#444">Likelihood →   (impact ↑)</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def radar_svg(
    title: str,
    axes: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    maximum: float = 5,
    size: int = 300,
) -> str:
    """A radar (spider) chart: one axis per label, one closed polygon per series, rings at each whole value.

    Missing values (None) are drawn at the centre; the values are also printed in a legend line per series so
    the chart reads in grey print.
    """

    count = max(len(axes), 3)
    centre_x, centre_y, radius, top = size / 2, 28 + (size - 60) / 2 + 6, (size - 60) / 2 - 10, 28
    legend_top = top + size - 50
    height = legend_top + 16 * len(series) + 6

    def point(index: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * index / count
        r = radius * max(0.0, min(value, maximum)) / maximum
        return round(centre_x + r * math.cos(angle), 1), round(centre_y + r * math.sin(angle), 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{height}" '
        f'viewBox="0 0 {size} {height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="16" font-size="12" font-weight="bold" fill="#222">{escape(title)}</text>',
    ]
    for ring in range(1, int(maximum) + 1):
        ring_points = " ".join(f"{x},{y}" for x, y in (point(i, ring) for i in range(count)))
        parts.append(f'<polygon points="{ring_points}" fill="none" stroke="#ddd"/>')
    for index, label in enumerate(axes):
        x, y = point(index, maximum)
        parts.append(f'<line x1="{centre_x}" y1="{centre_y}" x2="{x}" y2="{y}" stroke="#ccc"/>')
        lx, ly = point(index, maximum * 1.12)
        anchor = "middle" if abs(lx - centre_x) < 5 else ("start" if lx > centre_x else "end")
        parts.append(
            f'<text x="{lx}" y="{ly + 3}" font-size="9" text-anchor="{anchor}" fill="#222">{escape(label)}</text>'
        )
    for position, (name, values) in enumerate(series):
        colour = LINE_PALETTE[position % len(LINE_PALETTE)]
        shape = " ".join(f"{x},{y}" for x, y in (point(i, v or 0) for i, v in enumerate(values)))
        dash = ' stroke-dasharray="4 3"' if position else ""
        parts.append(
            f'<polygon points="{shape}" fill="{colour}" fill-opacity="{0.18 if position == 0 else 0}" '
            f'stroke="{colour}" stroke-width="1.6"{dash}/>'
        )
        printed = ", ".join("n/a" if v is None else f"{v:.2f}" for v in values)
        y = legend_top + 16 * position
        parts.append(f'<rect x="0" y="{y - 8}" width="10" height="3" fill="{colour}"/>')
        parts.append(
            f'<text x="14" y="{y - 4}" font-size="8" fill="#222">{escape(name)}: {escape(printed)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
