"""Demo KPI histories for the first three of the demo organisation's models: six months of daily values posted by
the scoring pipelines, as real monitoring data looks — day-to-day noise that carries over from one day to the
next, a weekly pattern (weekend traffic differs), gentle trends and a few episodes:

- the retail scorecard's population stability index rose above its critical threshold for six weeks (the drift
  incident of ``governance.demo.risks``) and fell back when the recalibrated version went live; its Gini dipped
  with it; its p95 latency breached the critical threshold three days ago (the one KPI in breach);
- the mortgage affordability model's AUC has been sliding for three weeks, still above its warning threshold:
  the detector of ``governance.rules.drift`` marks it degrading before any threshold is crossed;
- the fraud detector's approval-rate feed stopped three days ago (stale monitoring: a measurement a day is
  expected of every demo KPI).

Call ``seed_monitoring_demo(organisation, users)`` after the inventory demo data exists; ``users`` is the
role -> user dict the demo seeding uses (needs "model_owner" or "admin"). Idempotent: existing KPIs are kept.
"""

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from governance.demo.history import backdate
from governance.models import AIModel, KPIDefinition, MeasurementSource
from governance.services import monitoring as services

DAYS = 180
CADENCE_HOURS = 24  # the scoring pipelines post daily
STOPPED_DAYS = 3  # the stale feed's last value came this many days ago
AR = 0.25  # how much of a day's noise carries over to the next (serially correlated, as real metrics are)


@dataclass(frozen=True)
class Episode:
    """A shift of ``shift`` from ``start`` days ago to ``end`` days ago (0: still on), reached over ``ramp``
    days and gone ``fall`` days after its end."""

    start: int
    end: int
    shift: float
    ramp: int = 1
    fall: int = 1

    def at(self, day: int) -> float:
        """The shift ``day`` days ago."""
        if day > self.start or day <= self.end - self.fall:
            return 0.0
        rising = min(1.0, (self.start - day + 1) / max(self.ramp, 1))
        falling = 1.0 if self.end == 0 or day >= self.end else (day - self.end + self.fall) / self.fall
        return self.shift * min(rising, falling)


@dataclass(frozen=True)
class KPISpec:
    name: str
    kind: str
    unit: str
    direction: str
    target: float
    warning: float
    critical: float
    description: str
    level: float  # today's level, before episodes
    noise: float  # standard deviation of the daily noise
    weekly: tuple[float, ...] = (0.0,) * 7  # added on Monday ... Sunday
    trend: float = 0.0  # change per 30 days (so the level 180 days ago was level - 6 * trend)
    episodes: tuple[Episode, ...] = ()
    digits: int = 4
    stale: bool = False
    seed: int = 0  # of its noise, so the demo is the same every time


GINI = KPISpec(
    "Gini",
    "technical",
    "",
    "higher",
    0.60,
    0.55,
    0.50,
    "Rank ordering on applications booked 12 months ago whose outcome is now known (rolling 3-month cohort).",
    level=0.63,
    noise=0.005,
    weekly=(0.0, 0.0, 0.0, 0.0, 0.001, -0.003, -0.004),
    trend=-0.002,
    episodes=(Episode(95, 25, -0.022, ramp=20, fall=4),),
)
LATENCY = KPISpec(
    "p95 latency",
    "technical",
    "ms",
    "lower",
    150.0,
    250.0,
    400.0,
    "95th percentile of the scoring API's response time over the day.",
    level=138.0,
    noise=7.0,
    weekly=(9.0, 7.0, 6.0, 6.0, 8.0, -14.0, -19.0),
    trend=2.5,
    episodes=(Episode(STOPPED_DAYS - 1, 0, 330.0),),  # a node-pool change three days ago
    digits=1,
)
PSI = KPISpec(
    "Population stability index",
    "technical",
    "",
    "lower",
    0.05,
    0.10,
    0.25,
    "Stability of the applicant population against the development sample (10 score bands).",
    level=0.035,
    noise=0.005,
    episodes=(Episode(100, 25, 0.26, ramp=25, fall=4),),
)
MORTGAGE_AUC = KPISpec(
    "AUC",
    "technical",
    "",
    "higher",
    0.85,
    0.80,
    0.75,
    "How well the estimated repayment headroom ranks applicants by arrears within 12 months.",
    level=0.871,
    noise=0.004,
    weekly=(0.0, 0.001, 0.0, 0.0, 0.0, -0.002, -0.002),
    episodes=(Episode(22, 0, -0.018, ramp=20),),
)
MORTGAGE_APPROVALS = KPISpec(
    "Approval rate",
    "business",
    "%",
    "higher",
    60.0,
    50.0,
    40.0,
    "Share of mortgage applications approved at the adviser's affordability check.",
    level=63.5,
    noise=1.1,
    weekly=(0.6, 0.4, 0.2, 0.0, -0.3, -1.8, -2.4),
    trend=0.4,
    digits=2,
    seed=4,
)
FRAUD_AUC = KPISpec(
    "AUC",
    "technical",
    "",
    "higher",
    0.95,
    0.93,
    0.90,
    "ROC AUC on authorisations whose fraud label is settled (60-day chargeback window).",
    level=0.962,
    noise=0.0025,
    weekly=(0.0, 0.0, 0.0, 0.0, 0.0, -0.002, -0.001),
    seed=3,
)
FRAUD_APPROVALS = KPISpec(
    "Approval rate",
    "business",
    "%",
    "higher",
    97.0,
    96.0,
    94.5,
    "Share of card authorisations approved without a decline or step-up.",
    level=97.6,
    noise=0.14,
    weekly=(0.05, 0.05, 0.05, 0.0, -0.05, -0.15, -0.1),
    digits=2,
    stale=True,
)
# By position among the organisation's models (oldest first): the retail scorecard, the mortgage affordability
# model and the card fraud detector in the demo.
MODEL_KPIS: tuple[tuple[KPISpec, ...], ...] = (
    (GINI, LATENCY, PSI),
    (MORTGAGE_AUC, MORTGAGE_APPROVALS),
    (FRAUD_AUC, FRAUD_APPROVALS),
)


def series(spec: KPISpec, days: int = DAYS) -> list[float]:
    """``days`` daily values of ``spec``, oldest first, ending today (the same every time)."""
    rng = random.Random(f"{spec.name}|{spec.seed}")
    weekday_today = timezone.localdate().weekday()
    noise, values = 0.0, []
    for day in range(days - 1, -1, -1):  # days ago
        noise = AR * noise + math.sqrt(1 - AR**2) * rng.gauss(0.0, spec.noise)
        value = (
            spec.level
            - spec.trend * day / 30
            + spec.weekly[(weekday_today - day) % 7]
            + sum(e.at(day) for e in spec.episodes)
            + noise
        )
        values.append(round(max(value, 0.0), spec.digits))
    return values


def _last_run(now: datetime) -> datetime:
    """The latest daily run: on the hour, at least half an hour ago (the demo's feeds are fresh when loaded)."""
    return (now - timedelta(minutes=30)).replace(minute=0, second=0, microsecond=0)


def seed_monitoring_demo(organisation, users: dict) -> list[KPIDefinition]:
    actor = users.get("model_owner") or users.get("admin")
    admin = users.get("admin") or actor
    models = list(AIModel.objects.filter(organisation=organisation).order_by("pk")[: len(MODEL_KPIS)])
    created: list[KPIDefinition] = []
    last_run = _last_run(timezone.now())
    for model, specs in zip(models, MODEL_KPIS, strict=False):
        for spec in specs:
            if KPIDefinition.objects.filter(model=model, name=spec.name).exists():
                continue
            editor = actor if model.owner_id == getattr(actor, "pk", None) else admin
            kpi = services.create_kpi(
                actor=editor,
                model=model,
                name=spec.name,
                kind=spec.kind,
                unit=spec.unit,
                direction=spec.direction,
                target=spec.target,
                warning_threshold=spec.warning,
                critical_threshold=spec.critical,
                description=spec.description,
                expected_cadence_hours=CADENCE_HOURS,
            )
            rng = random.Random(f"{model.name}|{spec.name}|minutes")
            values = series(spec)
            points = [
                {
                    # The batch finishes a few minutes after the hour, a little later or earlier each day.
                    "measured_at": last_run - timedelta(days=DAYS - 1 - day, minutes=-rng.randrange(2, 25)),
                    "value": value,
                    "source": MeasurementSource.PIPELINE,
                }
                for day, value in enumerate(values)
            ]
            if spec.stale:
                points = points[: len(points) - STOPPED_DAYS]
            services.record_measurements(actor=editor, kpi=kpi, points=points)
            # Defined when its monitoring started, two days before the first value.
            backdate(kpi, created_at=points[0]["measured_at"] - timedelta(days=2))
            created.append(kpi)
    return created
