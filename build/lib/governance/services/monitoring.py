"""KPI definitions and measurements: audited writes, bulk ingest and breach alerts.

The status rule itself (ok / warning / critical / no data) is ``governance.rules.kpi_status``.
"""

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from governance.core.audit import (
    delete_audited,
    save_audited_new,
    update_audited,
)
from governance.core.roles import Permission
from governance.core.tenancy import require
from governance.core.validation import refuse_unknown_fields
from governance.models import AIModel, KPIDefinition, KPIMeasurement, MeasurementSource
from governance.models.actions import GovernanceAction
from governance.rules.kpi_status import BREACHES, kpi_status

EDITABLE_FIELDS = (
    "name",
    "kind",
    "unit",
    "direction",
    "target",
    "warning_threshold",
    "critical_threshold",
    "description",
)
MAX_POINTS = 10_000


class BatchValidationError(ValidationError):
    """A rejected batch: ``point_errors`` lists {"index", "field", "message"} for every bad point.

    Django flattens dict messages, so the structured list rides alongside the readable ``{"points": [...]}``.
    """

    def __init__(self, point_errors: list[dict[str, Any]]):
        self.point_errors = point_errors
        messages = [
            f"Point {e['index']}: {e['field']}: {e['message']}" if e["index"] is not None else e["message"]
            for e in point_errors
        ]
        super().__init__({"points": messages})


def _validate(kpi: KPIDefinition) -> None:
    """Field validation, with a second KPI of the same name on the model as an error on ``name``."""
    errors: dict[str, list[str]] = {}
    try:
        kpi.full_clean(validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not errors.get("name") and kpi.model_id is not None:
        clash = KPIDefinition.objects.filter(model_id=kpi.model_id, name=kpi.name).exclude(pk=kpi.pk)
        if clash.exists():
            errors["name"] = [f"This model already has a KPI named “{kpi.name}”."]
    if errors:
        raise ValidationError(errors)


def create_kpi(*, actor, model: AIModel, **data: Any) -> KPIDefinition:
    require(actor, model.organisation_id, Permission.KPI_EDIT)
    refuse_unknown_fields(data, EDITABLE_FIELDS)
    kpi = KPIDefinition(model=model, **data)
    with transaction.atomic():
        _validate(kpi)
        save_audited_new(
            organisation=model.organisation,
            actor=actor,
            action=GovernanceAction.KPI_CREATE,
            obj=kpi,
            validate=lambda: _validate(kpi),
        )
    return kpi


def update_kpi(*, actor, kpi: KPIDefinition, **data: Any) -> KPIDefinition:
    require(actor, kpi.model.organisation_id, Permission.KPI_EDIT)
    refuse_unknown_fields(data, EDITABLE_FIELDS)
    return update_audited(
        actor=actor,
        obj=kpi,
        action=GovernanceAction.KPI_UPDATE,
        data=data,
        prepare=_validate,
        select_related=("model__organisation",),
        organisation_of=lambda locked: locked.model.organisation,
    )


def delete_kpi(*, actor, kpi: KPIDefinition) -> None:
    require(actor, kpi.model.organisation_id, Permission.KPI_EDIT)
    delete_audited(
        organisation=kpi.model.organisation, actor=actor, action=GovernanceAction.KPI_DELETE, obj=kpi
    )


def _clean_point(index: int, point: Any) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    errors: list[dict[str, Any]] = []
    if not isinstance(point, dict):
        return None, [
            {"index": index, "field": "non_field_errors", "message": "Each point must be an object."}
        ]
    value = point.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        errors.append({"index": index, "field": "value", "message": "A number is required."})
        value = None
    else:
        try:
            value = float(value)
        except ValueError:
            errors.append({"index": index, "field": "value", "message": "A number is required."})
            value = None
        else:
            if not math.isfinite(value):
                errors.append({"index": index, "field": "value", "message": "The value must be finite."})
    measured_at = point.get("measured_at")
    if isinstance(measured_at, datetime):
        parsed = measured_at
    elif isinstance(measured_at, str):
        try:
            parsed = parse_datetime(measured_at)
            if parsed is not None and not timezone.is_naive(parsed):
                # Stored in UTC: an offset that pushes the instant outside years 1-9999 cannot be stored.
                parsed = parsed.astimezone(UTC)
        except (ValueError, OverflowError):
            parsed = None
    else:
        parsed = None
    if parsed is None:
        errors.append(
            {"index": index, "field": "measured_at", "message": "An ISO 8601 date-time is required."}
        )
    elif timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    if parsed is not None and parsed > timezone.now() + timedelta(minutes=5):
        errors.append({"index": index, "field": "measured_at", "message": "The time is in the future."})
    source = point.get("source", MeasurementSource.API)
    if source not in MeasurementSource.values:
        errors.append(
            {
                "index": index,
                "field": "source",
                "message": f"Must be one of: {', '.join(MeasurementSource.values)}.",
            }
        )
    if errors:
        return None, errors
    return {"value": value, "measured_at": parsed, "source": source}, []


def latest_value(kpi: KPIDefinition) -> float | None:
    return kpi.measurements.order_by("-measured_at", "-pk").values_list("value", flat=True).first()


def record_measurements(*, actor, kpi: KPIDefinition, points: list[dict]) -> list[KPIMeasurement]:
    """Store many measurements at once, or none: the first bad point rejects the whole batch.

    When the newest value moves the KPI into a (new) breach status, the model owner is emailed once.
    """
    require(actor, kpi.model.organisation_id, Permission.KPI_MEASURE)
    if not isinstance(points, list) or not points:
        raise BatchValidationError(
            [{"index": None, "field": "points", "message": "Give at least one point."}]
        )
    if len(points) > MAX_POINTS:
        raise BatchValidationError(
            [{"index": None, "field": "points", "message": f"At most {MAX_POINTS} points per batch."}]
        )
    cleaned, errors = [], []
    for index, point in enumerate(points):
        clean, point_errors = _clean_point(index, point)
        errors.extend(point_errors)
        if clean:
            cleaned.append(clean)
    if errors:
        raise BatchValidationError(errors)
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        # Batches of one KPI take turns, so each sees the status the previous one left: one breach, one email.
        locked = (
            KPIDefinition.objects.select_for_update(of=("self",))
            .select_related("model__owner")
            .get(pk=kpi.pk)
        )
        previous_status = kpi_status(locked, latest_value(locked))
        created = KPIMeasurement.objects.bulk_create(
            [KPIMeasurement(kpi=locked, recorded_by=actor_user, **clean) for clean in cleaned]
        )
        new_status = kpi_status(locked, latest_value(locked))
        if new_status in BREACHES and new_status != previous_status:
            transaction.on_commit(lambda: _notify_breach(locked, new_status))
    return created


def _notify_breach(kpi: KPIDefinition, status: str) -> None:
    owner = kpi.model.owner
    if owner is None or not owner.email:
        return
    value = latest_value(kpi)
    send_mail(
        subject=f"[Plumbline] {kpi.model.name}: KPI '{kpi.name}' is {status}",
        message=(
            f"The latest value of '{kpi.name}' for model {kpi.model.name} is {value:g}{kpi.unit and ' ' + kpi.unit}.\n"
            f"Warning threshold: {kpi.warning_threshold}; critical threshold: {kpi.critical_threshold}; "
            f"target: {kpi.target}.\n"
        ),
        from_email=None,
        recipient_list=[owner.email],
        fail_silently=True,
    )
