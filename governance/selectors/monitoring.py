"""KPI status in queries: the stored status of each KPI (``latest_status``), ranked, filtered and counted.

The services keep ``latest_value``, ``latest_measured_at`` and ``latest_status`` current on every write (see
``governance.services.monitoring``), so lists, filters and the dashboard select and count breaches from the KPI
rows alone; only the export of one KPI's measurements (``measurement_rows``) reads measurements.
"""

from collections.abc import Iterator

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When

from governance.core.exports import Column
from governance.models import KPIDefinition
from governance.rules.kpi_status import BREACHES, CRITICAL, NO_DATA, SEVERITY, WARNING, kpi_status

# Reads a ``severity`` back as a status name; no data has no severity, so it has no entry.
STATUS_OF_SEVERITY: dict[int, str] = {value: key for key, value in SEVERITY.items()}


def severity() -> Case:
    """The stored status as its SEVERITY (None for no data), for ``annotate`` and ``order_by``."""
    return Case(
        *(When(latest_status=status, then=Value(rank)) for status, rank in SEVERITY.items()),
        default=None,
        output_field=IntegerField(),
    )


def breaching(kpis: QuerySet[KPIDefinition]) -> QuerySet[KPIDefinition]:
    """The KPIs whose latest value is at or past their warning or critical threshold."""
    return kpis.filter(latest_status__in=BREACHES)


def worst_severity_of_model() -> Subquery:
    """The worst severity among a model's KPIs (None when none has data), for ``AIModel`` annotations."""
    judged = KPIDefinition.objects.filter(model=OuterRef("pk")).exclude(latest_status=NO_DATA)
    return Subquery(
        judged.annotate(severity=severity()).order_by("-severity").values("severity")[:1],
        output_field=IntegerField(),
    )


def model_has_kpi_in(*statuses: str) -> Exists:
    """True for a model with a KPI in one of ``statuses``, for filtering ``AIModel`` querysets."""
    return Exists(KPIDefinition.objects.filter(model=OuterRef("pk"), latest_status__in=statuses))


def in_breach() -> Exists:
    """True for a model with a KPI at or past its warning or critical threshold."""
    return model_has_kpi_in(*BREACHES)


def worst_status_is(status: str) -> Q:
    """A filter for models whose worst KPI is exactly ``status`` (critical is not also listed under warning)."""
    if status == CRITICAL:
        return Q(model_has_kpi_in(CRITICAL))
    if status == WARNING:
        return Q(model_has_kpi_in(WARNING)) & ~Q(model_has_kpi_in(CRITICAL))
    raise ValueError(f"Not a breach status: {status!r}")


MEASUREMENT_EXPORT_COLUMNS = (
    Column("model", width=30),
    Column("kpi", width=30),
    Column("measured_at", "datetime", 22),
    Column("value", "number", 12),
    Column("status", width=10),
    Column("source", width=10),
    Column("recorded_by", width=16),
)


def measurement_rows(kpi: KPIDefinition) -> Iterator[list]:
    """Every measurement of the KPI, newest first, each with the status its thresholds give it today."""
    measurements = kpi.measurements.select_related("recorded_by").order_by("-measured_at", "-pk")
    for measurement in measurements.iterator(chunk_size=2000):
        yield [
            kpi.model.name,
            kpi.name,
            measurement.measured_at,
            measurement.value,
            kpi_status(kpi, measurement.value),
            measurement.source,
            measurement.recorded_by.get_username() if measurement.recorded_by else None,
        ]
