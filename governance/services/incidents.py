"""Incidents: audited writes of what went wrong with a model, what it cost, why, and what was done.

Every write takes the acting user, checks ``incident.edit`` through ``governance.core.tenancy.require``, validates
before saving anything and records an audit event in the same transaction.
"""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from governance.core.audit import (
    delete_audited,
    save_audited_new,
    update_audited,
)
from governance.core.roles import Permission
from governance.core.tenancy import require
from governance.core.validation import refuse_unknown_fields
from governance.models import AIModel, Incident, IncidentStatus, Organisation
from governance.models.actions import GovernanceAction
from governance.services.webhooks import emit_incident_opened

EDITABLE_FIELDS: tuple[str, ...] = (
    "title",
    "severity",
    "occurred_at",
    "detected_at",
    "description",
    "impact",
    "financial_loss",
    "currency",
    "root_cause",
    "actions_taken",
    "status",
    "closed_at",
)
# Clocks of the reporting system and ours differ a little; beyond this, a time "in the future" is a mistake.
CLOCK_SKEW = timedelta(minutes=5)
CURRENCY = re.compile(r"^[A-Z]{3}$")


def _aware(value: Any) -> Any:
    if isinstance(value, datetime) and timezone.is_naive(value):
        return timezone.make_aware(value, UTC)
    return value


def _add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _validate(incident: Incident) -> None:
    """Field validation plus the time line and closing rules; one ValidationError listing every problem."""
    errors: dict[str, list[str]] = {}
    try:
        incident.full_clean(exclude=["organisation", "model", "reported_by"], validate_unique=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if incident.model_id and incident.model.organisation_id != incident.organisation_id:
        _add(errors, "model", "Choose a model of this organisation.")
    now = timezone.now()
    occurred, detected, closed = incident.occurred_at, incident.detected_at, incident.closed_at
    for field, value in (("occurred_at", occurred), ("detected_at", detected), ("closed_at", closed)):
        if isinstance(value, datetime) and value > now + CLOCK_SKEW:
            _add(errors, field, "This time is in the future.")
    times_ok = not any(f in errors for f in ("occurred_at", "detected_at", "closed_at"))
    if times_ok and occurred and detected and detected < occurred:
        _add(errors, "detected_at", "An incident cannot be detected before it occurred.")
    if incident.status == IncidentStatus.CLOSED:
        if times_ok and closed and occurred and closed < occurred:
            _add(errors, "closed_at", "An incident cannot be closed before it occurred.")
        elif times_ok and closed and detected and closed < detected:
            _add(errors, "closed_at", "An incident cannot be closed before it was detected.")
        if not (incident.root_cause or "").strip():
            _add(errors, "root_cause", "Record the root cause before closing the incident.")
        if not (incident.actions_taken or "").strip():
            _add(errors, "actions_taken", "Record the actions taken before closing the incident.")
    elif closed is not None:
        _add(
            errors, "closed_at", "Only a closed incident has a closing time; clear it or close the incident."
        )
    loss = incident.financial_loss
    if "financial_loss" not in errors and isinstance(loss, Decimal | int | float) and loss < 0:
        _add(errors, "financial_loss", "A loss is zero or more; record recoveries in the impact text.")
    if incident.currency and not CURRENCY.match(incident.currency):
        _add(errors, "currency", "Use a three-letter ISO 4217 code, e.g. EUR.")
    if incident.financial_loss is not None and not incident.currency:
        _add(errors, "currency", "Say which currency the loss is in.")
    if errors:
        raise ValidationError(errors)


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str):
            value = value.strip()
            if key == "currency":
                value = value.upper()
        cleaned[key] = _aware(value)
    return cleaned


def _close_or_reopen(incident: Incident, data: dict[str, Any]) -> None:
    """Closing stamps ``closed_at`` (now) unless given; reopening clears a stored one unless given."""
    if incident.status == IncidentStatus.CLOSED:
        if incident.closed_at is None:
            incident.closed_at = timezone.now()
    elif "closed_at" not in data or data["closed_at"] is None:
        incident.closed_at = None


def create_incident(*, actor, organisation: Organisation, model: AIModel, **data: Any) -> Incident:
    """Record an incident of ``model``; the actor is kept as the reporter."""
    require(actor, organisation, Permission.INCIDENT_EDIT)
    refuse_unknown_fields(data, EDITABLE_FIELDS)
    data = _clean(data)
    reporter = actor if getattr(actor, "is_authenticated", False) else None
    incident = Incident(organisation=organisation, model=model, reported_by=reporter, **data)
    _close_or_reopen(incident, data)
    with transaction.atomic():
        _validate(incident)
        save_audited_new(
            organisation=organisation, actor=actor, action=GovernanceAction.INCIDENT_CREATE, obj=incident
        )
        emit_incident_opened(incident)
    return incident


def update_incident(*, actor, incident: Incident, **data: Any) -> Incident:
    """Change an incident (e.g. add the root cause, close it); the audit event lists each changed field."""
    require(actor, incident.organisation_id, Permission.INCIDENT_EDIT)
    refuse_unknown_fields(data, (*EDITABLE_FIELDS, "model"))
    data = _clean(data)

    def prepare(locked: Incident) -> None:
        _close_or_reopen(locked, data)
        _validate(locked)

    return update_audited(
        actor=actor,
        obj=incident,
        action=GovernanceAction.INCIDENT_UPDATE,
        data=data,
        prepare=prepare,
        select_related=("model",),
    )


def delete_incident(*, actor, incident: Incident) -> None:
    """Remove an incident recorded by mistake; the audit event keeps everything it said."""
    require(actor, incident.organisation_id, Permission.INCIDENT_EDIT)
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        delete_audited(
            organisation=locked.organisation, actor=actor, action=GovernanceAction.INCIDENT_DELETE, obj=locked
        )
