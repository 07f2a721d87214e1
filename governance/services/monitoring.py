"""KPI definitions and measurements: audited writes, bulk ingest, breach alerts, and each KPI's latest state.

The status rule itself (ok / warning / critical / no data) is ``governance.rules.kpi_status``. Its result is
derived state stored with the KPI (``latest_value``, ``latest_measured_at``, ``latest_status``): every write here
that can change it (a batch of measurements, new thresholds or direction) updates it under the KPI's row lock,
so the pages that list statuses and count breaches never look for the newest measurement of each KPI.
"""

import itertools
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
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
from governance.services import kpi_freshness
from governance.services.webhooks import emit_kpi_status_change

EDITABLE_FIELDS = (
    "name",
    "kind",
    "unit",
    "direction",
    "target",
    "warning_threshold",
    "critical_threshold",
    "description",
    "expected_cadence_hours",
)
MAX_POINTS = 10_000
LATEST_FIELDS = ("latest_value", "latest_measured_at", "latest_status")
# The latest state and what derives from it (freshness and trend, governance.services.kpi_freshness): one UPDATE.
DERIVED_FIELDS = (*LATEST_FIELDS, *kpi_freshness.TREND_FIELDS)


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
    cadence = kpi.expected_cadence_hours
    # Past two years a KPI is not monitored; a bound also keeps "latest + cadence" inside the calendar.
    if (
        not errors.get("expected_cadence_hours")
        and cadence is not None
        and not 1 <= cadence <= kpi_freshness.MAX_CADENCE_HOURS
    ):
        errors["expected_cadence_hours"] = [
            f"Give between 1 and {kpi_freshness.MAX_CADENCE_HOURS} hours, or leave it empty."
        ]
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
        if kpi.expected_cadence_hours is not None:
            # Never measured: stale one cadence after its creation, which the save just timed.
            kpi_freshness.derive_after_edit(kpi)
            kpi.save(update_fields=["stale_after"])
    return kpi


def _prepare_update(kpi: KPIDefinition) -> None:
    _validate(kpi)
    # New thresholds or a new direction judge the same latest value anew (the row is locked: the value is current).
    kpi.latest_status = kpi_status(kpi, kpi.latest_value)
    # A new cadence moves stale_after; a new direction judges the recent values anew.
    kpi_freshness.derive_after_edit(kpi)


def update_kpi(*, actor, kpi: KPIDefinition, **data: Any) -> KPIDefinition:
    """Change a KPI's definition; a change of thresholds or direction re-judges its latest value."""
    require(actor, kpi.model.organisation_id, Permission.KPI_EDIT)
    refuse_unknown_fields(data, EDITABLE_FIELDS)
    return update_audited(
        actor=actor,
        obj=kpi,
        action=GovernanceAction.KPI_UPDATE,
        data=data,
        prepare=_prepare_update,
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


def _advance_latest(kpi: KPIDefinition, measurements: Sequence[KPIMeasurement]) -> None:
    """Move the KPI's latest state to the newest of ``measurements`` if that is newer than what it holds, and
    judge the latest value again; save the KPI only when something changed. The caller holds the KPI's row lock.

    "Newest" is the order pages always used, latest ``measured_at`` and then the last stored row: measurements of
    a KPI are stored under its row lock, so a later batch's rows come after every row already stored, and a point
    as old as the current latest one replaces it. An older point (a late upload) leaves the state alone.
    """
    before = tuple(getattr(kpi, name) for name in DERIVED_FIELDS)
    previous_latest_at = kpi.latest_measured_at
    if measurements:
        # max() keeps the first of equal keys: scanning backwards makes it the last stored of equal times.
        newest = max(reversed(measurements), key=lambda m: m.measured_at)
        if kpi.latest_measured_at is None or newest.measured_at >= kpi.latest_measured_at:
            kpi.latest_value, kpi.latest_measured_at = newest.value, newest.measured_at
    kpi.latest_status = kpi_status(kpi, kpi.latest_value)
    kpi_freshness.derive_after_batch(kpi, measurements, previous_latest_at)
    if tuple(getattr(kpi, name) for name in DERIVED_FIELDS) != before:
        kpi.save(update_fields=DERIVED_FIELDS)


def record_measurements(*, actor, kpi: KPIDefinition, points: list[dict]) -> list[KPIMeasurement]:
    """Store many measurements at once, or none: the first bad point rejects the whole batch.

    One INSERT for the points (on PostgreSQL; SQLite takes a few hundred rows a statement) and at most one
    UPDATE of the KPI's latest state.
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
        # Batches of one KPI take turns, so each sees the state the previous one left: one breach, one email,
        # and the latest state moves only forward.
        locked = (
            KPIDefinition.objects.select_for_update(of=("self",))
            .select_related("model__owner")
            .get(pk=kpi.pk)
        )
        previous_status = locked.latest_status
        created = KPIMeasurement.objects.bulk_create(
            [KPIMeasurement(kpi=locked, recorded_by=actor_user, **clean) for clean in cleaned]
        )
        _advance_latest(locked, created)
        new_status = locked.latest_status
        if new_status in BREACHES and new_status != previous_status:
            transaction.on_commit(lambda: _notify_breach(locked, new_status))
        emit_kpi_status_change(locked, previous_status=previous_status)
    return created


def refresh_latest_state(kpis: QuerySet[KPIDefinition]) -> int:
    """Set the KPIs' latest state, freshness and trend from their stored measurements; return how many changed.

    For measurements stored in bulk without ``record_measurements`` (benchmark data, test data) and for repairs
    (a measurement removed by hand). Locks the KPIs as the ingest does; pages never call it.
    """
    newest = KPIMeasurement.objects.filter(kpi=OuterRef("pk")).order_by("-measured_at", "-pk")
    changed = []
    with transaction.atomic():
        judged = (
            kpis.select_for_update(of=("self",))
            .annotate(
                newest_value=Subquery(newest.values("value")[:1]),
                newest_at=Subquery(newest.values("measured_at")[:1]),
            )
            .order_by("pk")
        )
        rows = judged.iterator(chunk_size=2000)
        while chunk := list(itertools.islice(rows, 2000)):
            befores = [tuple(getattr(kpi, name) for name in DERIVED_FIELDS) for kpi in chunk]
            for kpi in chunk:
                kpi.latest_value, kpi.latest_measured_at = kpi.newest_value, kpi.newest_at
                kpi.latest_status = kpi_status(kpi, kpi.latest_value)
            # Freshness and trend too, the chunk's recent measurements read in one query.
            kpi_freshness.derive_many(chunk)
            changed.extend(
                kpi
                for kpi, before in zip(chunk, befores, strict=True)
                if tuple(getattr(kpi, name) for name in DERIVED_FIELDS) != before
            )
        KPIDefinition.objects.bulk_update(changed, DERIVED_FIELDS, batch_size=1000)
    return len(changed)


def _notify_breach(kpi: KPIDefinition, status: str) -> None:
    owner = kpi.model.owner
    if owner is None or not owner.email:
        return
    value = kpi.latest_value
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
