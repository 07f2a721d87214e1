"""Plotly figures of the risk register: the 5x5 heat maps. Pure functions of counts; no database access.

Cells are coloured by the band of their score (likelihood x impact, see ``governance.rules.risk_scoring``), not by
how many risks they hold: a single risk in a red cell matters more than ten in a green one. The count is
the cell's text.
"""

from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go

from governance.rules.risk_scoring import BAND_RANGES, CRITICAL, HIGH, LOW, MEDIUM, score_band

BAND_COLOURS = {LOW: "#8fd19e", MEDIUM: "#ffe08a", HIGH: "#f7a35c", CRITICAL: "#e0605a"}
BAND_ORDER = (LOW, MEDIUM, HIGH, CRITICAL)
LIKELIHOOD_LABELS = ("1 Rare", "2 Unlikely", "3 Possible", "4 Likely", "5 Almost certain")
IMPACT_LABELS = ("1 Negligible", "2 Minor", "3 Moderate", "4 Major", "5 Severe")
FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif"


def _band_colourscale() -> list[list[Any]]:
    # z holds the band's index 0..3; each index gets a flat quarter of the scale, so colours never blend.
    scale: list[list[Any]] = []
    for index, band in enumerate(BAND_ORDER):
        scale += [[index / 4, BAND_COLOURS[band]], [(index + 1) / 4, BAND_COLOURS[band]]]
    return scale


def band_legend() -> list[dict[str, Any]]:
    """The bands with their score ranges and colours, for the legend under the charts."""
    return [
        {
            "band": band,
            "low": BAND_RANGES[band][0],
            "high": BAND_RANGES[band][1],
            "colour": BAND_COLOURS[band],
        }
        for band in BAND_ORDER
    ]


def heatmap_figure(
    grid: list[list[int]], title: str = "", cell_url: Callable[[int, int], str] | None = None
) -> go.Figure:
    """A 5x5 heat map: likelihood on x, impact on y, ``grid[impact - 1][likelihood - 1]`` risks per cell.

    ``cell_url(likelihood, impact)`` gives each cell's link (to the register filtered to that cell); it rides
    in ``customdata`` for the page's click handler. Without ``title`` the page's heading names the chart.
    """
    bands = [[BAND_ORDER.index(score_band(i * j)) for i in range(1, 6)] for j in range(1, 6)]
    text = [[str(grid[j][i]) if grid[j][i] else "" for i in range(5)] for j in range(5)]
    hover = [
        [
            f"Likelihood {i + 1} x impact {j + 1} = {(i + 1) * (j + 1)} ({score_band((i + 1) * (j + 1))})"
            f"<br>{grid[j][i]} risk{'s' if grid[j][i] != 1 else ''}"
            for i in range(5)
        ]
        for j in range(5)
    ]
    urls = [[cell_url(i + 1, j + 1) if cell_url else "" for i in range(5)] for j in range(5)]
    fig = go.Figure(
        go.Heatmap(
            z=bands,
            x=list(LIKELIHOOD_LABELS),
            y=list(IMPACT_LABELS),
            zmin=0,
            zmax=len(BAND_ORDER) - 1,
            colorscale=_band_colourscale(),
            showscale=False,
            text=text,
            texttemplate="<b>%{text}</b>",
            textfont={"size": 18, "color": "#1d2733"},
            hovertext=hover,
            hoverinfo="text",
            customdata=urls,
            xgap=3,
            ygap=3,
        )
    )
    fig.update_layout(
        title={"text": title, "x": 0} if title else None,
        font={"family": FONT, "size": 12},
        margin={"l": 110, "r": 20, "t": 50 if title else 10, "b": 70},
        paper_bgcolor="#fff",
        plot_bgcolor="#fff",
        height=420,
        xaxis={"title": "Likelihood", "side": "bottom", "fixedrange": True},
        yaxis={"title": "Impact", "fixedrange": True},
    )
    return fig


def total(grid: list[list[int]]) -> int:
    """How many risks a grid counts."""
    return sum(sum(row) for row in grid)
