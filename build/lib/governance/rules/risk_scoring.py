"""Score a risk and name its band (pure functions; no database access).

A risk's score is likelihood times impact on two 1-5 scales, so 1 to 25. ``score_band`` names the band a
score falls in; the same bands colour the heat map, filter the register and label every risk:

    low       1-4    (e.g. rare and minor, or likely but negligible)
    medium    5-9
    high      10-14  (10 and 12 on a 5x5 grid)
    critical  15-25  (15, 16, 20, 25: e.g. likely and major, or possible and severe)
"""

from collections.abc import Iterable, Mapping
from typing import Any

from governance.models.risks import RiskStatus

SCALE = range(1, 6)
LOW, MEDIUM, HIGH, CRITICAL = "low", "medium", "high", "critical"
# band -> (lowest score, highest score), inclusive; contiguous and covering 1..25.
BAND_RANGES: dict[str, tuple[int, int]] = {
    LOW: (1, 4),
    MEDIUM: (5, 9),
    HIGH: (10, 14),
    CRITICAL: (15, 25),
}
BAND_CHOICES = [
    (LOW, "Low (1-4)"),
    (MEDIUM, "Medium (5-9)"),
    (HIGH, "High (10-14)"),
    (CRITICAL, "Critical (15-25)"),
]
# Statuses whose due date still matters: an accepted or closed risk is never overdue.
ACTIVE_STATUSES = frozenset({RiskStatus.OPEN, RiskStatus.MITIGATING})


def risk_score(likelihood: int, impact: int) -> int:
    """Likelihood times impact, both on the 1-5 scale; anything else raises ValueError."""
    for name, value in (("likelihood", likelihood), ("impact", impact)):
        if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
            raise ValueError(f"{name} must be a whole number from 1 to 5, not {value!r}")
    return likelihood * impact


def score_band(score: int | None) -> str | None:
    """low / medium / high / critical for a score of 1-25 (see the module docstring); None for no score."""
    if score is None:
        return None
    for band, (lowest, highest) in BAND_RANGES.items():
        if lowest <= score <= highest:
            return band
    raise ValueError(f"A risk score is from 1 to 25, not {score!r}")


def _get(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)


def heatmap_counts(risks: Iterable[Any], residual: bool = False) -> list[list[int]]:
    """Risks per cell of the 5x5 grid: ``grid[impact - 1][likelihood - 1]``.

    Items are risks or mappings with ``likelihood``/``impact`` (and ``residual_likelihood``/
    ``residual_impact``); a mapping may carry a count under ``n`` (what a GROUP BY query returns). With
    ``residual`` the residual levels are used and risks without a residual assessment are left out.
    """
    grid = [[0] * 5 for _ in SCALE]
    fields = ("residual_likelihood", "residual_impact") if residual else ("likelihood", "impact")
    for item in risks:
        likelihood, impact = _get(item, fields[0]), _get(item, fields[1])
        if likelihood not in SCALE or impact not in SCALE:
            continue
        count = _get(item, "n") if isinstance(item, Mapping) and "n" in item else 1
        grid[impact - 1][likelihood - 1] += count
    return grid
