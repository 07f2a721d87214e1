"""Monitoring that stopped and KPIs that degrade: pure rules over a KPI's recent values (no database access).

Freshness
---------
A KPI may state how often a measurement is expected (``expected_cadence_hours``). Its monitoring is *stale* when
no measurement arrived within that cadence after the latest one (or after the KPI was created, for a KPI never
measured): ``stale_after = (latest measured_at or created_at) + cadence``, and the KPI is stale once ``now`` is
past it. ``governance.services.monitoring`` stores ``stale_after`` with the KPI, so pages, filters and reminders
compare one indexed column with now.

Degradation (one-sided CUSUM against a rolling baseline)
--------------------------------------------------------
``detect`` judges the last ``window`` values of a KPI (oldest first), before any threshold is crossed:

1. The first ``b = min(baseline, n - min_recent)`` values are the *baseline*, the rest the *monitored* part.
   Fewer than ``min_baseline + min_recent`` values: not enough data (status ``""``).
2. The baseline's mean ``μ`` and sample standard deviation ``s`` define the reference. The scale used is
   ``sigma = max(s, sd_floor · sd(window))``: a perfectly flat baseline (a rounded or constant metric) would make
   the smallest change infinitely significant, and a floor proportional to the window's own spread keeps the
   test free of units and offsets (values shifted by a constant or scaled by a positive factor are judged the
   same). ``sigma = 0`` means every value is equal: nothing changed.
3. Each monitored value becomes a standardised step in the KPI's *bad* direction,
   ``d_i = (μ - x_i) / sigma`` when higher is better and ``d_i = (x_i - μ) / sigma`` when lower is better, and the
   one-sided CUSUM (Page, 1954) accumulates them less an allowance ``k``:
   ``S_0 = 0``, ``S_i = max(0, S_{i-1} + d_i - k)``.
4. The KPI is *degrading* when the statistic at the newest value exceeds the decision interval ``h``
   (``S_n > h``). A value returning to the baseline lowers ``S`` by ``k`` per point, so a KPI that recovered
   turns ``ok`` again; improvements never raise ``S``. The evidence names the point where ``S`` first passed
   ``h`` in the current excursion (when the alarm fired) and where that excursion began (the classical CUSUM
   estimate of the change point: the point after ``S`` was last 0).

The defaults, ``k = 0.5`` and ``h = 5`` (in baseline standard deviations), are the textbook choice for detecting
a sustained shift of about one standard deviation: with independent, normally distributed values the average
run length before a false alarm is several hundred points, and a shift of one sigma is detected after about ten
points, of two sigma after about four. With daily measurements and the default window of 60 values, the baseline is
the first 30 days of the last 60 and the last 30 days are watched. Being a rolling baseline, a very slow drift is
partly absorbed into it: the thresholds (``governance.rules.kpi_status``) remain the absolute guard.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from governance.models.monitoring import KPIDirection

OK = "ok"
DEGRADING = "degrading"
NOT_ENOUGH_DATA = ""
HIGHER, LOWER = KPIDirection.HIGHER.value, KPIDirection.LOWER.value
METHOD = "cusum"


@dataclass(frozen=True)
class DriftParams:
    """The detector's settings; statistic, allowance and threshold are in baseline standard deviations."""

    window: int = 60  # the most recent values judged
    baseline: int = 30  # at most this many of the oldest values in the window form the baseline
    min_baseline: int = 10  # fewer baseline values than this: not enough data
    min_recent: int = 5  # values always left to watch after the baseline
    allowance: float = 0.5  # k: the drift per point tolerated before the statistic grows
    threshold: float = 5.0  # h: the decision interval
    sd_floor: float = 0.1  # the scale is at least this share of the whole window's standard deviation

    def __post_init__(self) -> None:
        if self.min_baseline < 2:
            raise ValueError("min_baseline must be at least 2: a standard deviation needs two values.")
        if self.min_recent < 1:
            raise ValueError("min_recent must be at least 1.")
        if self.baseline < self.min_baseline:
            raise ValueError("baseline must be at least min_baseline.")
        if self.window < self.baseline + self.min_recent:
            raise ValueError("window must hold the baseline and min_recent values.")
        if self.allowance < 0 or self.threshold <= 0 or not 0 <= self.sd_floor <= 1:
            raise ValueError("allowance ≥ 0, threshold > 0 and 0 ≤ sd_floor ≤ 1 are required.")

    @property
    def min_points(self) -> int:
        return self.min_baseline + self.min_recent


DEFAULT_PARAMS = DriftParams()


@dataclass(frozen=True)
class DriftResult:
    """``status`` is OK, DEGRADING or NOT_ENOUGH_DATA; ``evidence`` is JSON-safe and says why."""

    status: str
    evidence: dict[str, Any]


def _mean(values: Sequence[float]) -> float:
    # Around the first value: equal values then have exactly that mean (fsum(n·x)/n need not be x).
    origin = values[0]
    return origin + math.fsum(v - origin for v in values) / len(values)


def _sd(values: Sequence[float], mean: float) -> float:
    """The sample standard deviation (n - 1), around a mean already computed."""
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))


def detect(
    values: Sequence[float],
    direction: str,
    params: DriftParams = DEFAULT_PARAMS,
    times: Sequence[str] | None = None,
) -> DriftResult:
    """Judge the last ``params.window`` of ``values`` (finite numbers, oldest first) as described above.

    ``direction`` is ``"higher"`` or ``"lower"`` (is better). ``times``, when given, are labels of the values
    (ISO date-times) copied into the evidence for the points that matter.
    """
    if direction not in (HIGHER, LOWER):
        raise ValueError(f"Unknown direction: {direction!r}")
    values = [float(v) for v in values][-params.window :]
    times = list(times)[-params.window :] if times is not None else None
    if times is not None and len(times) != len(values):
        raise ValueError("times must label every value.")
    n = len(values)
    evidence: dict[str, Any] = {
        "method": METHOD,
        "direction": direction,
        "window": n,
        "window_size": params.window,
        "min_points": params.min_points,
    }
    if times:
        evidence["from"], evidence["to"] = times[0], times[-1]
    if n < params.min_points:
        return DriftResult(NOT_ENOUGH_DATA, evidence)

    b = min(params.baseline, n - params.min_recent)
    baseline, monitored = values[:b], values[b:]
    try:
        mu = _mean(baseline)
        sigma = max(_sd(baseline, mu), params.sd_floor * _sd(values, _mean(values)))
        recent_mean = _mean(monitored)
        # A spread within float rounding of the values' size is no spread: nothing changed.
        if sigma <= 1e-12 * max(abs(v) for v in values):
            sigma = 0.0
    except OverflowError:
        # Values near the float range's edge: no statistic can be formed, so no judgement either.
        return DriftResult(NOT_ENOUGH_DATA, {**evidence, "reason": "values too large to compare"})
    sign = 1.0 if direction == HIGHER else -1.0  # a worse value makes sign · (μ - x) positive
    statistic, excursion_start, alarm = 0.0, None, None
    path = []
    for offset, value in enumerate(monitored):
        index = b + offset
        step = sign * (mu - value) / sigma if sigma > 0 else 0.0
        if not math.isfinite(step):
            step = 0.0
        statistic = max(0.0, statistic + step - params.allowance)
        path.append(statistic)
        if statistic == 0.0:
            excursion_start, alarm = None, None
            continue
        if excursion_start is None:
            excursion_start = index
        if alarm is None and statistic > params.threshold:
            alarm = index
    degrading = statistic > params.threshold
    change = recent_mean - mu
    evidence.update(
        {
            "baseline_points": b,
            "recent_points": n - b,
            "baseline_mean": mu,
            "baseline_sd": sigma,
            "recent_mean": recent_mean,
            "change": change,
            # The change in baseline standard deviations, positive when the KPI got worse.
            "change_in_sd": (sign * -change / sigma) if sigma > 0 else 0.0,
            "statistic": statistic,
            "peak_statistic": max(path),
            "threshold": params.threshold,
            "allowance": params.allowance,
            "alarm_index": alarm if degrading else None,
            "change_index": excursion_start if degrading else None,
        }
    )
    if times:
        evidence["baseline_to"] = times[b - 1]
        evidence["alarm_at"] = times[alarm] if degrading and alarm is not None else None
        evidence["change_from"] = (
            times[excursion_start] if degrading and excursion_start is not None else None
        )
    return DriftResult(DEGRADING if degrading else OK, evidence)


# --- Freshness -----------------------------------------------------------------------------------------------


def stale_after_for(
    latest_measured_at: datetime | None, created_at: datetime | None, cadence_hours: int | None
) -> datetime | None:
    """When the KPI turns stale: its latest measurement (else its creation) plus the cadence; None without one.

    Instants past the calendar's end (a cadence of centuries) are capped at its last day: stale never.
    """
    if cadence_hours is None:
        return None
    since = latest_measured_at or created_at
    if since is None:
        return None
    try:
        return since + timedelta(hours=cadence_hours)
    except OverflowError:
        return datetime.max.replace(tzinfo=since.tzinfo)


def is_stale(stale_after: datetime | None, now: datetime) -> bool:
    """No measurement within the cadence: ``now`` is past ``stale_after`` (never without a cadence)."""
    return stale_after is not None and now > stale_after
