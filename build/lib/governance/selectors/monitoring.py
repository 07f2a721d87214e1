"""KPI status in the database: the latest value of each KPI judged against its thresholds, as SQL.

``governance.rules.kpi_status.kpi_status`` is the rule in Python, for one KPI at a time; these expressions
apply the same rule inside a query so lists, filters and the dashboard can select and count breaches
without loading every KPI (the tests check both agree).
"""

from django.db.models import Case, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When

from governance.models import KPIDefinition, KPIDirection, KPIMeasurement
from governance.rules.kpi_status import CRITICAL, OK, SEVERITY, WARNING

# Reads an annotated ``severity`` back as a status name; no data is NULL, so it has no entry.
STATUS_OF_SEVERITY: dict[int, str] = {value: key for key, value in SEVERITY.items()}


def latest_value() -> Subquery:
    """The value of the KPI's newest measurement (ties broken by the newest row), for ``annotate``."""
    newest = KPIMeasurement.objects.filter(kpi=OuterRef("pk")).order_by("-measured_at", "-pk")
    return Subquery(newest.values("value")[:1])


def _breached(threshold: str) -> Q:
    # A NULL latest value or threshold makes both comparisons unknown, hence not breached, as in kpi_status.
    return Q(direction=KPIDirection.HIGHER, latest__lte=F(threshold)) | Q(
        direction=KPIDirection.LOWER, latest__gte=F(threshold)
    )


def with_status(kpis: QuerySet[KPIDefinition]) -> QuerySet[KPIDefinition]:
    """KPIs annotated with ``latest`` (value or None) and ``severity`` (see SEVERITY; None without data)."""
    return kpis.annotate(latest=latest_value()).annotate(
        severity=Case(
            When(_breached("critical_threshold"), then=Value(SEVERITY[CRITICAL])),
            When(_breached("warning_threshold"), then=Value(SEVERITY[WARNING])),
            When(latest__isnull=False, then=Value(SEVERITY[OK])),
            default=None,
            output_field=IntegerField(),
        )
    )


def worst_severity_of_model() -> Subquery:
    """The worst severity among a model's KPIs (None when none has data), for ``AIModel`` annotations."""
    judged = with_status(KPIDefinition.objects.filter(model=OuterRef("pk"))).filter(severity__isnull=False)
    return Subquery(judged.order_by("-severity").values("severity")[:1], output_field=IntegerField())


def breaching(kpis: QuerySet[KPIDefinition]) -> QuerySet[KPIDefinition]:
    """The KPIs whose latest value is at or past their warning or critical threshold."""
    return with_status(kpis).filter(severity__gte=SEVERITY[WARNING])
