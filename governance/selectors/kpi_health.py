"""Stale and degrading KPIs in queries: the dashboard's counts, the inventory's filters, the reminders' rows.

Both facts are stored with the KPI by ``governance.services.monitoring`` (``stale_after``, ``trend_status``), so
every read here is a comparison of the KPI rows' own columns: a fixed number of queries at any size. Retired
models are left out: their monitoring is expected to stop.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from governance.models import KPIDefinition, LifecycleStage, Organisation
from governance.rules.drift import DEGRADING
from governance.selectors.counting import count_subquery

HEALTH_ROWS = 10  # stale or degrading KPIs listed on the home page; the counts and filters cover the rest


def stale_q(now: datetime | None = None, prefix: str = "") -> Q:
    """KPIs past their expected cadence (``prefix``: the path to the KPI, e.g. ``"kpis__"``)."""
    now = now or timezone.now()
    return Q(**{f"{prefix}stale_after__lt": now}) & ~Q(
        **{f"{prefix}model__lifecycle_stage": LifecycleStage.RETIRED}
    )


def degrading_q(prefix: str = "") -> Q:
    """KPIs whose recent values the degradation check flags."""
    return Q(**{f"{prefix}trend_status": DEGRADING}) & ~Q(
        **{f"{prefix}model__lifecycle_stage": LifecycleStage.RETIRED}
    )


def model_has_stale_kpi(now: datetime | None = None) -> Exists:
    """True for a model with a stale KPI, for filtering ``AIModel`` querysets."""
    return Exists(KPIDefinition.objects.filter(stale_q(now), model=OuterRef("pk")))


def model_has_degrading_kpi() -> Exists:
    """True for a model with a degrading KPI, for filtering ``AIModel`` querysets."""
    return Exists(KPIDefinition.objects.filter(degrading_q(), model=OuterRef("pk")))


@dataclass
class KPIHealth:
    """The home page's monitoring health: the first few KPIs needing attention, and the counts."""

    kpis: list[KPIDefinition] = field(default_factory=list)
    stale_count: int = 0
    degrading_count: int = 0


def kpi_health(organisation: Organisation, now: datetime | None = None) -> KPIHealth:
    """Stale or degrading KPIs of the organisation (stale first, longest first), with both counts: one query.

    The counts ride on the rows as scalar subqueries; no row means neither kind exists.
    """
    now = now or timezone.now()
    kpis = KPIDefinition.objects.filter(model__organisation=organisation)
    stale, degrading = stale_q(now), degrading_q()
    rows = list(
        kpis.filter(stale | degrading)
        .select_related("model")
        .annotate(
            stale_total=count_subquery(kpis.filter(stale)),
            degrading_total=count_subquery(kpis.filter(degrading)),
        )
        .order_by(F("stale_after").asc(nulls_last=True), "model__name", "name")[:HEALTH_ROWS]
    )
    for kpi in rows:
        kpi.is_stale = kpi.stale_after is not None and kpi.stale_after < now
    if not rows:
        return KPIHealth()
    return KPIHealth(
        kpis=rows,
        stale_count=rows[0].stale_total or 0,
        degrading_count=rows[0].degrading_total or 0,
    )


def stale_kpis_for_reminders(now: datetime) -> QuerySet[KPIDefinition]:
    """Every stale KPI of a model not retired (the partial index on ``stale_after`` finds them)."""
    return KPIDefinition.objects.filter(stale_q(now))


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
