"""Incident reads: the filtered list (page and API), losses per currency and one model's incidents."""

from collections.abc import Iterable, Iterator
from decimal import Decimal

import django_filters
from django import forms
from django.db.models import Count, Q, QuerySet, Sum

from governance.core.exports import Column, csv_stream
from governance.models import AIModel, Incident, IncidentSeverity, IncidentStatus, Organisation
from governance.selectors.filters import MODEL_LOOKUP, NamePickerFilter, OrganisationFilterSet, date_range


def incidents_for(organisation: Organisation) -> QuerySet[Incident]:
    """The organisation's incidents with what list rows show, in a constant number of queries."""
    return Incident.objects.filter(organisation=organisation).select_related("model", "reported_by")


def incidents_of(model: AIModel) -> list[Incident]:
    """One model's incidents, most recent first (the model page's section)."""
    return list(model.incidents.all())


class IncidentFilter(OrganisationFilterSet):
    """Filters shared by the incident list page and the API."""

    q = django_filters.CharFilter(method="filter_search", label="Search", max_length=200)
    model = NamePickerFilter(
        queryset=AIModel.objects.none(),
        label="Model",
        lookup_url=MODEL_LOOKUP,
        help_text="Type part of its name to choose.",
    )
    severity = django_filters.ChoiceFilter(choices=IncidentSeverity.choices, label="Severity")
    status = django_filters.ChoiceFilter(choices=IncidentStatus.choices, label="Status")
    unresolved = django_filters.BooleanFilter(
        method="filter_unresolved",
        label="Not closed",
        widget=forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")]),
    )
    occurred_from, occurred_to = date_range("occurred_at", "Occurred from", "Occurred to")

    class Meta:
        model = Incident
        fields = ["q", "model", "severity", "status", "unresolved", "occurred_from", "occurred_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = self.organisation_ids
        self.filters["model"].queryset = AIModel.objects.filter(organisation__in=organisations).order_by(
            "name"
        )

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(root_cause__icontains=value)
            | Q(impact__icontains=value)
        )

    def filter_unresolved(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        closed = Q(status=IncidentStatus.CLOSED)
        return queryset.exclude(closed) if value else queryset.filter(closed)


def losses_by_currency(incidents: QuerySet[Incident]) -> list[dict]:
    """Total financial loss per currency (amounts in different currencies are never added), one query.

    Each row: ``currency``, ``total`` (Decimal) and ``count`` (incidents with a recorded loss).
    """
    rows = (
        incidents.filter(financial_loss__isnull=False)
        .order_by()
        .values("currency")
        .annotate(total=Sum("financial_loss"), count=Count("pk"))
        .order_by("-total", "currency")
    )
    return [{**row, "total": row["total"] or Decimal("0")} for row in rows]


EXPORT_COLUMNS = (
    Column("id", "number", 8),
    Column("model", width=30),
    Column("title", width=40),
    Column("severity"),
    Column("status"),
    Column("occurred_at", "datetime", 22),
    Column("detected_at", "datetime", 22),
    Column("closed_at", "datetime", 22),
    Column("financial_loss", "number", 14),
    Column("currency", width=9),
    Column("description", width=60),
    Column("impact", width=50),
    Column("root_cause", width=50),
    Column("actions_taken", width=50),
    Column("reported_by", width=16),
)
CSV_COLUMNS = tuple(column.header for column in EXPORT_COLUMNS)


def incident_rows(incidents: Iterable[Incident]) -> Iterator[list]:
    """One row per incident: times in ISO 8601 with their UTC offset in CSV, losses as plain decimals."""
    for incident in incidents:
        yield [
            incident.pk,
            incident.model.name,
            incident.title,
            incident.severity,
            incident.status,
            incident.occurred_at,
            incident.detected_at,
            incident.closed_at,
            incident.financial_loss,
            incident.currency,
            incident.description,
            incident.impact,
            incident.root_cause,
            incident.actions_taken,
            incident.reported_by.get_username() if incident.reported_by else None,
        ]


def incidents_csv(incidents: Iterable[Incident]) -> str:
    """Incidents as CSV."""
    return "".join(csv_stream(EXPORT_COLUMNS, incident_rows(incidents)))
