"""Champion against challenger: a candidate version's metrics beside the current champion's (pure; no ORM).

For every metric both versions registered with a number (``ModelVersion.metrics``), the comparison gives the
champion's value, the candidate's, the difference (candidate - champion) and a verdict that knows which way is
good:

- a metric named like one of the model's KPIs (names compared case-, space- and dash-insensitively: "AUC" and
  "auc", "p95 latency" and "p95_latency") takes that KPI's direction;
- otherwise a small table of common metric names decides (``KNOWN_DIRECTIONS``), matched on whole words of the
  name, so "val_auc" and "roc_auc" are higher-is-better and "p95_latency_ms" lower-is-better; a name matching
  words of both kinds is left undecided;
- else the direction is unknown and so is the verdict (the values and difference are still shown).

Equal values (to a relative 1e-9) are "same" whatever the direction. Values that are not finite numbers
(text, booleans, nested objects) are not compared; metrics only one version has are listed apart.

KPI measurements are recorded per model, not per version, so KPI values cannot be compared between versions;
the KPIs only lend their direction to metrics of the same name.
"""

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from governance.models.monitoring import KPIDirection

HIGHER, LOWER = KPIDirection.HIGHER.value, KPIDirection.LOWER.value
BETTER, WORSE, SAME, UNKNOWN = "better", "worse", "same", "direction unknown"

# Common model metrics whose good direction is not in doubt. Keys are words (or word sequences) of a name.
KNOWN_DIRECTIONS: dict[str, str] = {
    "auc": HIGHER,
    "roc_auc": HIGHER,
    "accuracy": HIGHER,
    "precision": HIGHER,
    "recall": HIGHER,
    "f1": HIGHER,
    "f1_score": HIGHER,
    "gini": HIGHER,
    "ks": HIGHER,
    "rmse": LOWER,
    "mae": LOWER,
    "mse": LOWER,
    "log_loss": LOWER,
    "logloss": LOWER,
    "brier": LOWER,
    "psi": LOWER,
    "latency": LOWER,
}

NOTE = (
    "KPI measurements are recorded per model, not per version, so only the metrics each version was "
    "registered with are compared; a KPI of the same name gives a metric its direction."
)


def normalise(name: str) -> str:
    """A metric or KPI name as compared: lower case, words joined by underscores."""
    return "_".join(re.findall(r"[a-z0-9]+", str(name).lower()))


def metric_direction(name: str, kpi_directions: Mapping[str, str] | None = None) -> tuple[str | None, str]:
    """(direction or None, where it came from: "kpi", "known metric" or "") for a metric name."""
    key = normalise(name)
    by_kpi = {normalise(kpi): direction for kpi, direction in (kpi_directions or {}).items()}
    if key in by_kpi and by_kpi[key] in (HIGHER, LOWER):
        return by_kpi[key], "kpi"
    words = key.split("_")
    found = set()
    for known, direction in KNOWN_DIRECTIONS.items():
        pattern = known.split("_")
        width = len(pattern)
        if any(words[i : i + width] == pattern for i in range(len(words) - width + 1)):
            found.add(direction)
    if len(found) == 1:
        return found.pop(), "known metric"
    return None, ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def verdict(champion: float, candidate: float, direction: str | None) -> str:
    """better / worse / same for the candidate, or "direction unknown"."""
    if math.isclose(champion, candidate, rel_tol=1e-9, abs_tol=0.0):
        return SAME
    if direction not in (HIGHER, LOWER):
        return UNKNOWN
    improved = candidate > champion if direction == HIGHER else candidate < champion
    return BETTER if improved else WORSE


@dataclass(frozen=True)
class MetricComparison:
    name: str
    direction: str | None
    direction_source: str
    champion: float
    candidate: float
    difference: float | None  # None when it overflows a float
    relative_change: float | None  # the difference as a share of the champion's value; None for a zero value
    verdict: str

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "direction": self.direction,
            "direction_source": self.direction_source,
            "champion": self.champion,
            "candidate": self.candidate,
            "difference": self.difference,
            "relative_change": self.relative_change,
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class Comparison:
    rows: list[MetricComparison]
    only_candidate: list[str] = field(default_factory=list)
    only_champion: list[str] = field(default_factory=list)

    def count(self, what: str) -> int:
        return sum(1 for row in self.rows if row.verdict == what)

    @property
    def better(self) -> int:
        return self.count(BETTER)

    @property
    def worse(self) -> int:
        return self.count(WORSE)

    def as_json(self) -> dict[str, Any]:
        return {
            "metrics": [row.as_json() for row in self.rows],
            "only_in_candidate": self.only_candidate,
            "only_in_champion": self.only_champion,
            "summary": {v: self.count(v) for v in (BETTER, WORSE, SAME, UNKNOWN)},
        }


def _numeric(metrics: Mapping[str, Any] | None) -> dict[str, float]:
    if not isinstance(metrics, Mapping):
        return {}
    return {str(name): number for name, value in metrics.items() if (number := _number(value)) is not None}


def compare_metrics(
    champion_metrics: Mapping[str, Any] | None,
    candidate_metrics: Mapping[str, Any] | None,
    kpi_directions: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
) -> Comparison:
    """The candidate's numeric metrics against the champion's, by name (sorted), direction-aware."""
    directions = dict(kpi_directions or {})
    champion, candidate = _numeric(champion_metrics), _numeric(candidate_metrics)
    rows = []
    for name in sorted(set(champion) & set(candidate), key=str.lower):
        old, new = champion[name], candidate[name]
        direction, source = metric_direction(name, directions)
        difference: float | None = new - old
        if not math.isfinite(difference):
            difference = None
        relative = difference / abs(old) if difference is not None and old != 0 else None
        rows.append(
            MetricComparison(
                name=name,
                direction=direction,
                direction_source=source,
                champion=old,
                candidate=new,
                difference=difference,
                relative_change=relative if relative is not None and math.isfinite(relative) else None,
                verdict=verdict(old, new, direction),
            )
        )
    return Comparison(
        rows=rows,
        only_candidate=sorted(set(candidate) - set(champion), key=str.lower),
        only_champion=sorted(set(champion) - set(candidate), key=str.lower),
    )
