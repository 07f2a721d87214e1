"""Charts for PDFs as inline SVG, drawn from the same data the tables show (no browser needed)."""

from collections.abc import Sequence
from xml.sax.saxutils import escape

PALETTE = ("#1f4e79", "#2e75b6", "#9dc3e6", "#c55a11", "#f4b183", "#548235", "#a9d18e")


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
