"""Demo KPI histories for a few of the demo organisation's models: one KPI in breach, one degrading before its
warning threshold (the detector of governance.rules.drift flags it), and one whose daily pipeline stopped three
days ago (stale monitoring). Every demo KPI expects a measurement a day.

Call ``seed_monitoring_demo(organisation, users)`` after the inventory demo data exists; ``users`` is the
role -> user dict the demo seeding uses (needs "model_owner" or "admin"). Idempotent: existing KPIs are kept.
"""

import math
from datetime import timedelta

from django.utils import timezone

from governance.models import AIModel, KPIDefinition, MeasurementSource
from governance.services import monitoring as services

# (name, kind, unit, direction, target, warning, critical, baseline, drift per day, breach at the end)
KPI_SPECS = [
    ("AUC", "technical", "", "higher", 0.85, 0.80, 0.75, 0.87, 0.0, False),
    ("Approval rate", "business", "%", "higher", 60.0, 50.0, 40.0, 62.0, 0.0, False),
    ("p95 latency", "technical", "ms", "lower", 150.0, 250.0, 400.0, 140.0, 0.0, False),
    ("Population stability index", "technical", "", "lower", 0.05, 0.10, 0.25, 0.04, 0.0, True),
]
DAYS = 90
CADENCE_HOURS = 24  # the scoring pipelines post daily
# (model index, KPI name) → what its history shows beyond the wobble: a slow decline over the last DECLINE_DAYS
# days to DECLINE_TO (still above the 0.80 warning), or a pipeline that stopped STOPPED_DAYS ago.
DEGRADING = (1, "AUC")
STALE = (2, "Approval rate")
DECLINE_DAYS, DECLINE_TO = 20, 0.83
STOPPED_DAYS = 3


def _series(baseline: float, days: int, breach_value: float | None) -> list[float]:
    # A gentle deterministic wobble so the chart looks alive without randomness in the demo.
    values = [round(baseline * (1 + 0.03 * math.sin(day / 4)), 4) for day in range(days)]
    if breach_value is not None:
        values[-5:] = [round(baseline + (breach_value - baseline) * (i + 1) / 5, 4) for i in range(5)]
    return values


def _declining(values: list[float], baseline: float) -> list[float]:
    values = list(values)
    for i in range(DECLINE_DAYS):
        index = len(values) - DECLINE_DAYS + i
        values[index] = round(values[index] + (DECLINE_TO - baseline) * (i + 1) / DECLINE_DAYS, 4)
    return values


def seed_monitoring_demo(organisation, users: dict) -> list[KPIDefinition]:
    actor = users.get("model_owner") or users.get("admin")
    admin = users.get("admin") or actor
    models = list(AIModel.objects.filter(organisation=organisation).order_by("pk")[:3])
    created: list[KPIDefinition] = []
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for model_index, model in enumerate(models):
        specs = KPI_SPECS[:2] if model_index else [KPI_SPECS[0], KPI_SPECS[2], KPI_SPECS[3]]
        for name, kind, unit, direction, target, warning, critical, baseline, _drift, breach in specs:
            if KPIDefinition.objects.filter(model=model, name=name).exists():
                continue
            editor = actor if model.owner_id == getattr(actor, "pk", None) else admin
            kpi = services.create_kpi(
                actor=editor,
                model=model,
                name=name,
                kind=kind,
                unit=unit,
                direction=direction,
                target=target,
                warning_threshold=warning,
                critical_threshold=critical,
                description=f"Demo {kind} KPI for {model.name}.",
                expected_cadence_hours=CADENCE_HOURS,
            )
            values = _series(baseline, DAYS, critical * 1.2 if breach and model_index == 0 else None)
            if (model_index, name) == DEGRADING:
                values = _declining(values, baseline)
            end = now - timedelta(days=STOPPED_DAYS) if (model_index, name) == STALE else now
            points = [
                {
                    "measured_at": end - timedelta(days=DAYS - 1 - day),
                    "value": value,
                    "source": MeasurementSource.PIPELINE,
                }
                for day, value in enumerate(values)
            ]
            services.record_measurements(actor=editor, kpi=kpi, points=points)
            created.append(kpi)
    return created
