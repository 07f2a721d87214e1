"""Reads of the audit trail: the filters shared by the audit log page, its CSV export and the API."""

import json
from collections.abc import Iterable, Iterator

import django_filters
from django.db.models import QuerySet

from governance.core.exports import Column
from governance.models import (
    AuditBundle,
    AuditCheckpoint,
    AuditEvent,
    AuditVerification,
    Organisation,
)
from governance.selectors.audit_log import action_choices, actor_choices, record_type_choices
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


class AuditLogFilter(AuditEventFilter):
    """The audit log page's filters: people pick an actor, an action and a record type from lists (the API keeps
    the free-text filters above, since a token may span several organisations)."""

    actor = django_filters.ChoiceFilter(field_name="actor_label", label="Actor", empty_label="Anyone")
    action = django_filters.ChoiceFilter(field_name="action", label="Action", empty_label="Any action")
    object_type = django_filters.ChoiceFilter(
        field_name="object_type", label="Record type", empty_label="Any record"
    )

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["actor"].extra["choices"] = actor_choices(organisation)
        self.filters["action"].extra["choices"] = action_choices()
        self.filters["object_type"].extra["choices"] = record_type_choices(organisation)


def events_for(organisation: Organisation | int | None = None) -> QuerySet[AuditEvent]:
    """Events newest first; the caller scopes them (one organisation, or the user's organisations)."""
    queryset = AuditEvent.objects.order_by("-created_at", "-sequence")
    if organisation is not None:
        queryset = queryset.filter(organisation=organisation)
    return queryset


def filtered_events(data, organisation: Organisation) -> AuditEventFilter:
    return AuditEventFilter(data, queryset=events_for(organisation))


def audit_log_filter(data, organisation: Organisation) -> AuditLogFilter:
    """The page's filter: its events come with their actors, for the names in each summary."""
    return AuditLogFilter(
        data, queryset=events_for(organisation).select_related("actor"), organisation=organisation
    )


EXPORT_COLUMNS = (
    Column("sequence", "number", 10),
    Column("created_at", "datetime", 22),
    Column("actor_label", width=16),
    Column("action", width=24),
    Column("object_type", width=24),
    Column("object_id", width=10),
    Column("object_repr", width=32),
    Column("changes", width=60),
    Column("request_id", width=20),
    Column("prev_hash", width=20),
    Column("hash", width=20),
)
CSV_COLUMNS = [column.header for column in EXPORT_COLUMNS]


def event_rows(events: Iterable[AuditEvent]) -> Iterator[list]:
    """One row per event as recorded (changes as canonical JSON), for the CSV and XLSX exports."""
    for event in events:
        yield [
            event.sequence,
            event.created_at,
            event.actor_label,
            event.action,
            event.object_type,
            event.object_id,
            event.object_repr,
            json.dumps(event.changes, sort_keys=True, ensure_ascii=False),
            event.request_id,
            event.prev_hash,
            event.hash,
        ]


def recent_bundles(organisation: Organisation, limit: int = 10) -> list[AuditBundle]:
    """The organisation's latest evidence bundles, newest first (the audit page lists them)."""
    return list(
        AuditBundle.objects.filter(organisation=organisation)
        .select_related("requested_by")
        .order_by("-requested_at", "-pk")[:limit]
    )


def last_checkpoint(organisation: Organisation) -> AuditCheckpoint | None:
    return AuditCheckpoint.objects.filter(organisation=organisation).order_by("-sequence", "-id").first()


def last_verification(organisation: Organisation) -> AuditVerification | None:
    """The latest verification beat ran of the organisation's trail (None before the first)."""
    return AuditVerification.objects.filter(organisation=organisation).order_by("-verified_at", "-pk").first()


def trail_length(organisation: Organisation) -> int:
    """How many events the organisation's trail holds: its last sequence number (sequences run 1, 2, 3, …)."""
    return (
        AuditEvent.objects.filter(organisation=organisation)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    ) or 0
