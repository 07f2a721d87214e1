"""Stale and degrading KPIs in queries: the dashboard's counts, the inventory's filters, the KPI page's evidence.

Both facts are stored with the KPI by ``governance.services.monitoring`` (``stale_after``, ``trend_status``), so
every read here is a comparison of the KPI rows' own columns: a fixed number of queries at any size. Retired
models are left out: their monitoring is expected to stop.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from governance.models import KPIDefinition, LifecycleStage
from governance.rules.drift import DEGRADING


def stale_q(now: datetime | None = None) -> Q:
    """KPIs past their expected cadence, of models not retired."""
    now = now or timezone.now()
    return Q(stale_after__lt=now) & ~Q(model__lifecycle_stage=LifecycleStage.RETIRED)


def degrading_q() -> Q:
    """KPIs whose recent values the degradation check flags, of models not retired."""
    return Q(trend_status=DEGRADING) & ~Q(model__lifecycle_stage=LifecycleStage.RETIRED)


def model_has_stale_kpi(now: datetime | None = None) -> Exists:
    """True for a model with a stale KPI, for filtering ``AIModel`` querysets."""
    return Exists(KPIDefinition.objects.filter(stale_q(now), model=OuterRef("pk")))


def model_has_degrading_kpi() -> Exists:
    """True for a model with a degrading KPI, for filtering ``AIModel`` querysets."""
    return Exists(KPIDefinition.objects.filter(degrading_q(), model=OuterRef("pk")))


@dataclass(frozen=True)
class KPIHealth:
    """The home page's monitoring health: how many KPIs are stale and how many degrading (the inventory's
    ``kpi_stale`` and ``kpi_degrading`` filters list their models)."""

    stale_count: int = 0
    degrading_count: int = 0


def trend_for_display(kpi: KPIDefinition) -> dict[str, Any] | None:
    """The KPI's trend evidence with its times as date-times (for templates); None before any check."""
    evidence = kpi.trend_evidence if isinstance(kpi.trend_evidence, dict) else {}
    if not evidence:
        return None
    shown = {key: value for key, value in evidence.items() if key not in ("announced",)}
    for key in ("from", "to", "baseline_to", "alarm_at", "change_from", "degrading_since"):
        if isinstance(shown.get(key), str):
            shown[key] = parse_datetime(shown[key])
    shown["status"] = kpi.trend_status
    return shown
