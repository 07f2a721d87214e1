"""Incident reads: the filtered list (page and API), losses per currency and one model's incidents."""

from collections.abc import Iterable
from decimal import Decimal

import django_filters
from django import forms
from django.db.models import Count, Q, QuerySet, Sum

from governance.core.csv_export import csv_text
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


CSV_COLUMNS = (
    "id",
    "model",
    "title",
    "severity",
    "status",
    "occurred_at",
    "detected_at",
    "closed_at",
    "financial_loss",
    "currency",
    "description",
    "impact",
    "root_cause",
    "actions_taken",
    "reported_by",
)


def incidents_csv(incidents: Iterable[Incident]) -> str:
    """Incidents as CSV, times in ISO 8601 (UTC offset included) and losses as plain decimals."""
    return csv_text(
        CSV_COLUMNS,
        (
            [
                incident.pk,
                incident.model.name,
                incident.title,
                incident.severity,
                incident.status,
                incident.occurred_at.isoformat(),
                incident.detected_at.isoformat(),
                incident.closed_at.isoformat() if incident.closed_at else "",
                incident.financial_loss,
                incident.currency,
                incident.description,
                incident.impact,
                incident.root_cause,
                incident.actions_taken,
                incident.reported_by.get_username() if incident.reported_by else "",
            ]
            for incident in incidents
        ),
    )
