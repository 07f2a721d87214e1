"""Plotly figures of the home pages and the compliance overview: pure functions of counts, no database access.

Every figure writes its numbers on the bars, so colour is never the only signal, and the page shows the same
numbers as a table or a sentence beside it (``summary`` functions here) for screen readers. Figures travel to
the page as JSON (``figure_json``) for ``plumbline/charts.js`` to draw: the Content-Security-Policy allows no
inline script.
"""

import json
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from governance.core.plotly_text import plain
from governance.risk_charts import BAND_COLOURS

FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif"
# Tiers share the risk bands' colours (Tier 1 critical is the critical band's red), as the heat map does.
TIER_COLOURS = BAND_COLOURS
KPI_STATUS_COLOURS = {
    "critical": "#e0605a",
    "warning": "#ffe08a",
    "ok": "#8fd19e",
    "no data": "#c9ced6",
}  # KPIStatus values
COVERAGE_COLOUR = "#1f5fa8"


def figure_json(figure: go.Figure) -> dict[str, Any]:
    """The figure as the plain data ``json_script`` embeds in the page."""
    return json.loads(figure.to_json())


def _layout(figure: go.Figure, **extra: Any) -> go.Figure:
    layout = {
        "font": {"family": FONT, "size": 12},
        "margin": {"l": 10, "r": 30, "t": 10, "b": 40},
        "paper_bgcolor": "#fff",
        "plot_bgcolor": "#fff",
        "showlegend": False,
    }
    figure.update_layout(**{**layout, **extra})
    return figure


def _horizontal_bars(
    labels: Sequence[str], values: Sequence[float], colours: Sequence[str], texts: Sequence[str], **extra: Any
) -> go.Figure:
    figure = go.Figure(
        go.Bar(
            x=list(values),
            y=[plain(label) for label in labels],
            orientation="h",
            marker={"color": list(colours), "line": {"color": "#5b6878", "width": 1}},
            text=list(texts),
            textposition="outside",
            cliponaxis=False,
            hoverinfo="y+text",
        )
    )
    return _layout(
        figure,
        height=max(160, 44 * len(labels) + 50),
        yaxis={"autorange": "reversed", "automargin": True, "fixedrange": True},
        **extra,
    )


def tier_figure(tiers: Sequence[tuple[str, str, int]]) -> go.Figure:
    """Models per risk tier, (value, label, count) most critical first, as horizontal bars."""
    return _horizontal_bars(
        [label for _, label, _ in tiers],
        [n for *_, n in tiers],
        [TIER_COLOURS.get(value, COVERAGE_COLOUR) for value, _, _ in tiers],
        [str(n) for *_, n in tiers],
        xaxis={"title": "Models", "rangemode": "tozero", "fixedrange": True, "dtick": _tick(tiers)},
    )


def kpi_status_figure(counts: Sequence[tuple[str, str, int]]) -> go.Figure:
    """KPIs per status, (status, label, count) worst first, as horizontal bars."""
    return _horizontal_bars(
        [label for _, label, _ in counts],
        [n for *_, n in counts],
        [KPI_STATUS_COLOURS.get(status, COVERAGE_COLOUR) for status, _, _ in counts],
        [str(n) for *_, n in counts],
        xaxis={"title": "KPIs", "rangemode": "tozero", "fixedrange": True, "dtick": _tick(counts)},
    )


def coverage_figure(rows: Sequence[tuple[str, float | None]]) -> go.Figure:
    """Coverage per framework, (name, percent or None when nothing is in scope), on a 0 to 100 % axis."""
    return _horizontal_bars(
        [name for name, _ in rows],
        [percent or 0 for _, percent in rows],
        [COVERAGE_COLOUR] * len(rows),
        ["—" if percent is None else f"{percent:g} %" for _, percent in rows],
        xaxis={"title": "Coverage (%)", "range": [0, 110], "fixedrange": True, "dtick": 25},
    )


def _tick(counts: Sequence[tuple[Any, ...]]) -> int | None:
    # Whole numbers only on a count axis: Plotly would otherwise tick 0, 0.5, 1 for small counts.
    return 1 if max((n for *_, n in counts), default=0) <= 5 else None


def count_summary(noun: str, counts: Sequence[tuple[str, str, int]]) -> str:
    """A sentence with every count a chart draws: "6 models: Tier 1 — critical 1, Tier 2 — high 2, …"."""
    total = sum(n for *_, n in counts)
    parts = ", ".join(f"{label} {n}" for _, label, n in counts)
    return f"{total} {noun}{'' if total == 1 else 's'}: {parts}."
