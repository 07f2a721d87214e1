"""Reads of the audit trail: the filters shared by the audit log page, its CSV export and the API."""

import django_filters
from django.db.models import QuerySet

from governance.models import AuditEvent, Organisation
from governance.selectors.filters import date_range


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(
        field_name="actor_label", lookup_expr="iexact", label="Actor (username)", max_length=150
    )
    action = django_filters.CharFilter(
        field_name="action", lookup_expr="iexact", label="Action", max_length=100
    )
    object_type = django_filters.CharFilter(
        field_name="object_type",
        lookup_expr="iexact",
        label="Object type",
        help_text="e.g. governance.aimodel",
        max_length=100,
    )
    date_from, date_to = date_range("created_at", "From", "To")
    # Bounded: a search term is a few words, and SQLite refuses LIKE patterns over 50 000 bytes.
    q = django_filters.CharFilter(
        field_name="object_repr", lookup_expr="icontains", label="Object contains", max_length=200
    )

    class Meta:
        model = AuditEvent
        fields = ["actor", "action", "object_type", "date_from", "date_to", "q"]


def events_for(organisation: Organisation | int | None = None) -> QuerySet[AuditEvent]:
    """Events newest first; the caller scopes them (one organisation, or the user's organisations)."""
    queryset = AuditEvent.objects.order_by("-created_at", "-sequence")
    if organisation is not None:
        queryset = queryset.filter(organisation=organisation)
    return queryset


def filtered_events(data, organisation: Organisation) -> AuditEventFilter:
    return AuditEventFilter(data, queryset=events_for(organisation))


CSV_COLUMNS = [
    "sequence",
    "created_at",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "request_id",
    "prev_hash",
    "hash",
]
