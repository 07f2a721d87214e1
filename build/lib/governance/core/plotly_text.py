"""User text in Plotly figures: Plotly renders titles, labels and hover text as a subset of HTML (links, bold),
so text a user typed (a KPI unit, a unit's name) is escaped to show as typed, never as a live link."""

import html


def plain(text: object) -> str:
    """``text`` as literal characters in a Plotly title, label, legend or hover text."""
    return html.escape(str(text), quote=False)
