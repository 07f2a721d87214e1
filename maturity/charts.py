"""Plotly figures for the maturity pages and the PDF report: pure functions of scoring results.

Nothing here touches the database; pass in what ``maturity.scoring`` / ``maturity.selectors`` return.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from governance.core.plotly_text import plain
from maturity.models import MAX_LEVEL

CURRENT_COLOUR = "#1f5fa8"
TARGET_COLOUR = "#a66300"
GAP_COLOUR = "#b42318"
MET_COLOUR = "#1e7b45"
FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif"


def _layout(fig: go.Figure, title: str, **extra: Any) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0},
        font={"family": FONT, "size": 13},
        margin={"l": 50, "r": 30, "t": 60, "b": 50},
        paper_bgcolor="#fff",
        plot_bgcolor="#fff",
        legend={"orientation": "h", "y": -0.15},
        **extra,
    )
    return fig


def as_score(value: Any) -> float | None:
    """A score from a snapshot: a number, or a dict holding one under ``score``."""
    if isinstance(value, Mapping):
        value = value.get("score")
    if value is None:
        return None
    try:
        return round(float(value), 2)
    except (TypeError, ValueError):
        return None


def radar_figure(result) -> go.Figure:
    """Current score vs target per factor, on a 0-5 polar axis."""
    factors = list(result.factors)
    names = [f.name for f in factors]
    current = [f.score if f.score is not None else 0 for f in factors]
    target = [f.target if f.target is not None else 0 for f in factors]
    # Close the polygons so the outline joins up.
    closed_names = [*names, names[0]] if names else []
    fig = go.Figure()
    fig.add_trace(
        go.Scatterpolar(
            r=[*target, target[0]] if target else [],
            theta=closed_names,
            name="Target",
            line={"color": TARGET_COLOUR, "dash": "dash"},
        )
    )
    fig.add_trace(
        go.Scatterpolar(
            r=[*current, current[0]] if current else [],
            theta=closed_names,
            name="Current",
            fill="toself",
            line={"color": CURRENT_COLOUR},
            opacity=0.8,
        )
    )
    return _layout(
        fig,
        "Current maturity vs target",
        polar={"radialaxis": {"range": [0, MAX_LEVEL], "dtick": 1}},
        showlegend=True,
    )


def gap_figure(result) -> go.Figure:
    """Gap (target - current) per factor; factors already at or above target show as green bars at or below 0."""
    factors = list(result.factors)
    gaps = [round(f.gap, 2) if f.gap is not None else 0 for f in factors]
    fig = go.Figure(
        go.Bar(
            x=[f.name for f in factors],
            y=gaps,
            marker={"color": [GAP_COLOUR if gap > 0 else MET_COLOUR for gap in gaps]},
            text=[f"{gap:+.2f}" for gap in gaps],
            textposition="outside",
            name="Gap to target",
        )
    )
    return _layout(
        fig,
        "Gap to target per factor",
        yaxis={"title": "Levels below target", "zeroline": True, "zerolinecolor": "#5b6878"},
        showlegend=False,
    )


def trend_figure(assessments: Iterable, factor_names: Mapping[str, str] | None = None) -> go.Figure:
    """Overall and per-factor scores of approved assessments over time (their stored snapshots)."""
    points = sorted(
        (a for a in assessments if getattr(a, "approved_at", None) is not None),
        key=lambda a: a.approved_at,
    )
    factor_names = dict(factor_names or {})
    dates = [a.approved_at.isoformat() for a in points]
    labels = [plain(a) for a in points]
    fig = go.Figure()
    factor_keys: list[str] = []
    for assessment in points:
        for key in assessment.factor_scores or {}:
            if key not in factor_keys:
                factor_keys.append(key)
    for key in factor_keys:
        fig.add_trace(
            go.Scatter(
                x=dates,
                y=[as_score((a.factor_scores or {}).get(key)) for a in points],
                text=labels,
                mode="lines+markers",
                name=plain(factor_names.get(key, key.replace("-", " ").replace("_", " ").title())),
                line={"width": 1.5},
                connectgaps=True,
            )
        )
    fig.add_trace(
        go.Scatter(
            x=dates,
            y=[as_score(a.overall_score) for a in points],
            text=labels,
            mode="lines+markers",
            name="Overall",
            line={"color": "#12263f", "width": 4},
        )
    )
    return _layout(
        fig,
        "Maturity over time (approved assessments)",
        yaxis={"range": [0, MAX_LEVEL], "dtick": 1, "title": "Level"},
        xaxis={"title": "Approved"},
    )


def overall_trend_figure(points: Sequence[tuple[Any, float, str]]) -> go.Figure:
    """The organisation-wide overall score over time, from (approved on, score, title) oldest first: the home
    page's small trend chart, each point labelled with its score."""
    fig = go.Figure(
        go.Scatter(
            x=[day.isoformat() for day, _, _ in points],
            y=[round(score, 2) for _, score, _ in points],
            hovertext=[plain(title) for *_, title in points],
            text=[f"{score:.2f}" for _, score, _ in points],
            mode="lines+markers+text",
            textposition="top center",
            name="Overall",
            line={"color": CURRENT_COLOUR, "width": 3},
            cliponaxis=False,
        )
    )
    fig.update_layout(
        font={"family": FONT, "size": 12},
        margin={"l": 40, "r": 20, "t": 20, "b": 40},
        paper_bgcolor="#fff",
        plot_bgcolor="#fff",
        height=240,
        showlegend=False,
        yaxis={"range": [0, MAX_LEVEL + 0.3], "dtick": 1, "title": "Level", "fixedrange": True},
        xaxis={"fixedrange": True},
    )
    return fig


def comparison_heatmap(comparison) -> go.Figure:
    """Business units x factors, coloured by score (latest approved assessment per unit).

    ``comparison`` is what ``selectors.unit_comparison`` returns: ``units`` (row labels), ``factors``
    (column labels) and ``scores`` (one row per unit; ``None`` where a unit has no score).
    """
    units, factors, scores = comparison_parts(comparison)
    units, factors = [plain(u) for u in units], [plain(f) for f in factors]
    text = [["-" if v is None else f"{v:.2f}" for v in row] for row in scores]
    fig = go.Figure(
        go.Heatmap(
            z=scores,
            x=factors,
            y=units,
            zmin=0,
            zmax=MAX_LEVEL,
            colorscale="Blues",
            text=text,
            texttemplate="%{text}",
            hoverongaps=False,
            colorbar={"title": "Level"},
        )
    )
    return _layout(
        fig,
        "Business units by factor",
        yaxis={"autorange": "reversed"},
        height=max(320, 60 * len(units) + 160),
    )


def comparison_parts(comparison) -> tuple[list[str], list[str], list[list[float | None]]]:
    def get(name: str, default: Any = None) -> Any:
        if isinstance(comparison, Mapping):
            return comparison.get(name, default)
        return getattr(comparison, name, default)

    units = [str(u) for u in get("units", []) or []]
    raw_factors: Sequence = get("factors", []) or []
    factors = [
        str(getattr(f, "name", None) or (f.get("name") if isinstance(f, Mapping) else f)) for f in raw_factors
    ]
    scores = [[as_score(v) for v in row] for row in get("scores", []) or []]
    return units, factors, scores
