"""The audit trail: record events and verify the hash chain.

Every service that creates, changes, deletes or decides on a governed record calls ``record_event`` inside
the same transaction as the change, so the record and its audit event commit (or roll back) together.
"""

import base64
import binascii
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from governance import offline_verifier
from governance.core import signing, timestamping
from governance.core.middleware import current_request_id
from governance.core.registry import audit_actions
from governance.models import AuditCheckpoint, AuditEvent, AuditVerification, Organisation

GENESIS_HASH = offline_verifier.GENESIS_HASH
logger = logging.getLogger(__name__)


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    if hasattr(value, "name") and hasattr(value, "storage"):  # FieldFile
        return value.name or ""
    return str(value)


# Floats from 1e16 up that are whole print in exponent form ("1e+16"), which jsonb keeps as the integer it is.
WHOLE_FLOAT_AS_INT = 1e16


def _as_stored(value: Any) -> Any:
    """``value`` as PostgreSQL's jsonb returns it, so the hash taken now is the hash recomputed from the row: jsonb
    keeps numbers as numerics, dropping the sign of -0.0 and returning 1e16 as 10000000000000000."""
    if isinstance(value, float):
        if value == 0:
            return 0.0
        if value.is_integer() and abs(value) >= WHOLE_FLOAT_AS_INT:
            return int(value)
        return value
    if isinstance(value, dict):
        return {key: _as_stored(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_stored(item) for item in value]
    return value


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The instance's concrete field values as JSON-safe data (foreign keys as ids)."""
    result: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        result[field.name] = _jsonable(getattr(instance, field.attname))
    return result


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list[Any]]:
    """Fields whose values differ, as {field: [before, after]}; a missing side is None."""
    before, after = before or {}, after or {}
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def event_fields(event: AuditEvent) -> dict[str, Any]:
    """What an event's hash covers, by the names the offline verifier and evidence bundles use."""
    return {
        "organisation": event.organisation_id,
        "sequence": event.sequence,
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "changes": event.changes,
        "request_id": event.request_id,
        "created_at": event.created_at.isoformat(),
        "prev_hash": event.prev_hash,
    }


def _event_hash(event: AuditEvent) -> str:
    # One canonical form for both: the offline verifier (standard library and cryptography only) defines it.
    return offline_verifier.event_hash(event_fields(event))


def record_event(
    *,
    organisation: Organisation,
    actor,
    action: StrEnum,
    obj: models.Model,
    changes: dict[str, list[Any]] | None = None,
    object_repr: str | None = None,
) -> AuditEvent:
    """Append an event to the organisation's chain.

    ``action`` is a member of an app's audit vocabulary (``GovernanceAction``, ``MaturityAction``); an action
    no app declared raises ValueError. The organisation row is locked so concurrent writers take turns: each
    event must see its predecessor.
    """
    if action not in audit_actions:
        raise ValueError(f"Unknown audit action {action!r}: declare it in its app's audit vocabulary.")
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        last = (
            AuditEvent.objects.filter(organisation=organisation)
            .order_by("-sequence")
            .values_list("sequence", "hash")
            .first()
        )
        sequence, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        actor = actor if getattr(actor, "is_authenticated", False) else None
        event = AuditEvent(
            organisation=organisation,
            sequence=sequence,
            actor=actor,
            actor_label=actor.get_username() if actor else "system",
            action=str(action),
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            object_repr=(object_repr or str(obj))[:255],
            changes=_as_stored(json.loads(json.dumps(changes or {}, cls=DjangoJSONEncoder))),
            request_id=current_request_id() or "",
            created_at=timezone.now(),
            prev_hash=prev_hash,
        )
        event.hash = _event_hash(event)
        event.save()
        return event


def save_validated(obj: models.Model, validate: Callable[[], None] | None = None, **save_kwargs: Any) -> None:
    """Save ``obj``, which ``validate`` has already checked; a race lost on a unique constraint is a field error.

    Two requests can both validate "no model of that name yet" and then both insert. The database refuses the
    second (IntegrityError); by then the first one's row is committed, so validating again reports the same
    field error a request a moment later would get, instead of a 500. The savepoint keeps the caller's
    transaction usable.
    """
    try:
        with transaction.atomic():
            obj.save(**save_kwargs)
    except IntegrityError:
        if validate is not None:
            validate()
        obj.validate_constraints()
        raise


def save_audited_new(
    *,
    organisation: Organisation,
    actor,
    action: StrEnum,
    obj: models.Model,
    validate: Callable[[], None] | None = None,
) -> None:
    """Save a new governed record with an audit event holding every value it starts with.

    ``validate`` (the service's own checks, already passed) runs again if a concurrent insert wins a unique
    constraint, so the loser gets a field error (see ``save_validated``).
    """
    with transaction.atomic():
        save_validated(obj, validate)
        record_event(
            organisation=organisation, actor=actor, action=action, obj=obj, changes=diff(None, snapshot(obj))
        )


def save_audited_changes(
    *,
    organisation: Organisation,
    actor,
    action: StrEnum,
    obj: models.Model,
    before: dict[str, Any],
    validate: Callable[[], None] | None = None,
) -> dict[str, list[Any]]:
    """Save ``obj`` and audit what changed since the ``before`` snapshot; no change, no write and no event.

    ``updated_at`` is left out: it changes on every save and says nothing an auditor needs.
    """
    changes = diff(before, snapshot(obj))
    changes.pop("updated_at", None)
    if changes:
        with transaction.atomic():
            save_validated(obj, validate)
            record_event(organisation=organisation, actor=actor, action=action, obj=obj, changes=changes)
    return changes


def set_audited(
    *, organisation: Organisation, actor, action: StrEnum, obj: models.Model, **values: Any
) -> None:
    """Set a few fields (a status, a stage), save only those, and audit each as [before, after].

    For transitions the caller has already checked on a row it holds locked (``select_for_update``), so the
    "before" is current; ``updated_at`` is kept current when the model has one.
    """
    changes = {name: [getattr(obj, name), value] for name, value in values.items()}
    for name, value in values.items():
        setattr(obj, name, value)
    stamped = ["updated_at"] if any(f.name == "updated_at" for f in obj._meta.concrete_fields) else []
    with transaction.atomic():
        obj.save(update_fields=[*values, *stamped])
        record_event(organisation=organisation, actor=actor, action=action, obj=obj, changes=changes)


def update_audited(
    *,
    actor,
    obj: models.Model,
    action: StrEnum,
    data: dict[str, Any],
    prepare: Callable[[Any], None] | None = None,
    select_related: tuple[str, ...] = (),
    organisation_of: Callable[[Any], Organisation] = lambda locked: locked.organisation,
) -> Any:
    """Change a governed record under a row lock and audit what changed; returns the fresh, saved record.

    The row is re-read with ``select_for_update`` inside the transaction, so concurrent updates of different
    fields take turns instead of overwriting each other (a lost update with a false audit trail). ``data`` is
    set on the locked copy; ``prepare(locked)`` then validates and derives (raising ValidationError leaves the
    row as it was). No change, no write and no event.
    """
    with transaction.atomic():
        # Only this row: joined rows (the model, its organisation) are locked by record_event in its own order.
        locked = (
            type(obj).objects.select_for_update(of=("self",)).select_related(*select_related).get(pk=obj.pk)
        )
        before = snapshot(locked)
        for field, value in data.items():
            setattr(locked, field, value)
        if prepare is not None:
            prepare(locked)
        save_audited_changes(
            organisation=organisation_of(locked),
            actor=actor,
            action=action,
            obj=locked,
            before=before,
            validate=(lambda: prepare(locked)) if prepare is not None else None,
        )
    return locked


def delete_audited(
    *,
    organisation: Organisation,
    actor,
    action: StrEnum,
    obj: models.Model,
    fields: list[str] | None = None,
    object_repr: str | None = None,
) -> None:
    """Delete a governed record, leaving an audit event that keeps every value it had."""
    with transaction.atomic():
        record_event(
            organisation=organisation,
            actor=actor,
            action=action,
            obj=obj,
            changes=diff(snapshot(obj, fields), None),
            object_repr=object_repr,
        )
        obj.delete()


@dataclass(frozen=True)
class ChainProblem:
    organisation_id: int
    sequence: int
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        return f"organisation {self.organisation_id}, event #{self.sequence}: {self.reason}"


def verify_chain(organisation: Organisation | None = None) -> list[ChainProblem]:
    """Recompute every hash and link, and check every signed checkpoint against the events; an empty list means
    the trail is intact. A checkpoint catches what the chain alone cannot: events deleted at the end, and a chain
    rebuilt by someone without the signing key."""
    problems: list[ChainProblem] = []
    organisations = [organisation] if organisation else Organisation.objects.all()
    for org in organisations:
        # Checkpoints first: each names events that existed when it was read, and events are only appended, so
        # one written while the events are read cannot pass for a deleted tail.
        checkpoints = list(AuditCheckpoint.objects.filter(organisation=org).order_by("sequence", "id"))
        expected_prev, expected_sequence = GENESIS_HASH, 1
        hashes: dict[int, str] = {}
        events = AuditEvent.objects.filter(organisation=org).order_by("sequence").iterator(chunk_size=2000)
        for event in events:
            if event.sequence != expected_sequence:
                problems.append(
                    ChainProblem(
                        org.pk, expected_sequence, None, f"missing (next found is #{event.sequence})"
                    )
                )
            if event.prev_hash != expected_prev:
                problems.append(
                    ChainProblem(org.pk, event.sequence, event.pk, "does not link to the previous event")
                )
            if _event_hash(event) != event.hash:
                problems.append(
                    ChainProblem(org.pk, event.sequence, event.pk, "content does not match its hash")
                )
            hashes[event.sequence] = event.hash
            expected_prev, expected_sequence = event.hash, event.sequence + 1
        problems += _checkpoint_problems(org, checkpoints, hashes)
    return problems


# Problems kept on a verification record (the command lists them all; a page needs the first few).
KEPT_PROBLEMS = 100


def record_verification(organisation: Organisation) -> AuditVerification:
    """Verify the organisation's whole trail and keep the outcome, which the audit log page shows (beat runs
    this every AUDIT_VERIFY_MINUTES, so no page view pays for a full verification)."""
    verified_to = (
        AuditEvent.objects.filter(organisation=organisation)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
    ).first() or 0
    problems = verify_chain(organisation)
    return AuditVerification.objects.create(
        organisation=organisation,
        verified_at=timezone.now(),
        verified_to=verified_to,
        event_count=AuditEvent.objects.filter(organisation=organisation, sequence__lte=verified_to).count(),
        checkpoint_count=AuditCheckpoint.objects.filter(organisation=organisation).count(),
        problems=[str(problem) for problem in problems[:KEPT_PROBLEMS]],
        problem_count=len(problems),
    )


# --- Signed checkpoints ------------------------------------------------------------------------------------


def checkpoint_fields(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    """What a checkpoint's signature covers (with its key's name), as evidence bundles carry it."""
    return {
        "organisation": checkpoint.organisation_id,
        "sequence": checkpoint.sequence,
        "last_hash": checkpoint.last_hash,
        "event_count": checkpoint.event_count,
        "created_at": checkpoint.created_at.isoformat(),
        "prev_checkpoint_hash": checkpoint.prev_checkpoint_hash,
        "key_id": checkpoint.key_id,
    }


def checkpoint_payload(checkpoint: AuditCheckpoint) -> bytes:
    """What a checkpoint's signature covers, as canonical JSON (sorted keys, no spaces)."""
    return offline_verifier.checkpoint_payload(checkpoint_fields(checkpoint))


def write_checkpoint(organisation: Organisation, *, force: bool = False) -> AuditCheckpoint | None:
    """Sign how far the organisation's trail goes now; None when nothing happened since the last checkpoint
    (``force``: sign anyway, e.g. when a report is issued)."""
    with transaction.atomic():
        # The same lock record_event takes: no event slips in between reading the tail and signing it.
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        last = AuditEvent.objects.filter(organisation=organisation).order_by("-sequence").first()
        previous = (
            AuditCheckpoint.objects.filter(organisation=organisation).order_by("-sequence", "-id").first()
        )
        sequence = last.sequence if last else 0
        nothing_new = previous.sequence == sequence if previous is not None else last is None
        if nothing_new and not force:
            return None
        if problems := _unsigned_tail_problems(organisation, previous):
            # Signing now would seal the damage: the next checkpoint would vouch for a trail that no longer
            # continues the last one. Refuse, loudly; verify_audit_trail names the break.
            raise AuditIntegrityError(
                f"Not signing the audit trail of {organisation}: {problems[0]}"
                + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
            )
        checkpoint = AuditCheckpoint(
            organisation=organisation,
            sequence=sequence,
            last_hash=last.hash if last else GENESIS_HASH,
            event_count=AuditEvent.objects.filter(organisation=organisation).count(),
            created_at=timezone.now().replace(microsecond=0),
            prev_checkpoint_hash=previous.hash if previous else GENESIS_HASH,
        )
        # The key's name is part of what it signs.
        checkpoint.key_id = signing.fingerprint(signing.signing_key().public_key())
        payload = checkpoint_payload(checkpoint)
        _, signature = signing.sign(payload)
        checkpoint.signature = base64.b64encode(signature).decode()
        checkpoint.hash = hashlib.sha256(payload).hexdigest()
        # Asked for under the organisation's lock, which simplicity buys at the price of events waiting on the TSA
        # (AUDIT_TIMESTAMP_TIMEOUT at worst, milliseconds usually): the row is append-only, so the token must be
        # in hand before the insert, and the checkpoint must still be the chain's next one when it is inserted.
        # A report's issue calls this inside its own transaction, which holds the lock anyway.
        checkpoint.timestamp_token, checkpoint.timestamped_at = _timestamp(payload)
        checkpoint.save()
    return checkpoint


class AuditIntegrityError(Exception):
    """The trail does not continue its last signed checkpoint, so no new checkpoint is signed over it."""


def _unsigned_tail_problems(organisation: Organisation, previous: AuditCheckpoint | None) -> list[str]:
    """What is wrong with the events since the last checkpoint (from the one it signed): recomputed hashes, links
    and sequence numbers. Only the tail is read, so signing stays cheap however long the trail."""
    start = previous.sequence if previous is not None and previous.sequence else 1
    expected_sequence, expected_prev = start, GENESIS_HASH if start == 1 else None
    problems = []
    events = AuditEvent.objects.filter(organisation=organisation, sequence__gte=start).order_by("sequence")
    for event in events.iterator(chunk_size=2000):
        if event.sequence != expected_sequence:
            problems.append(f"event #{expected_sequence} is missing")
        if expected_prev is not None and event.prev_hash != expected_prev:
            problems.append(f"event #{event.sequence} does not link to the event before it")
        if _event_hash(event) != event.hash:
            problems.append(f"event #{event.sequence} does not match its hash")
        if previous is not None and event.sequence == previous.sequence and event.hash != previous.last_hash:
            problems.append(f"event #{event.sequence} is not the event the last checkpoint signed")
        expected_sequence, expected_prev = event.sequence + 1, event.hash
    if previous is not None and previous.sequence and expected_sequence == start:
        problems.append(f"event #{previous.sequence}, which the last checkpoint signed, is missing")
    return problems


def _timestamp(payload: bytes) -> tuple[bytes | None, datetime | None]:
    """An RFC 3161 token over the payload's SHA-256 and its genTime, when AUDIT_TIMESTAMP_URL names a TSA; a TSA
    that fails costs the checkpoint its token and logs a warning, never the checkpoint."""
    url = settings.AUDIT_TIMESTAMP_URL
    if not url:
        return None, None
    try:
        token = timestamping.request_token(payload, url=url, timeout=settings.AUDIT_TIMESTAMP_TIMEOUT)
        digest = hashlib.sha256(payload).digest()
        return token, timestamping.verify_token(token, digest, timestamping.trusted_ca_pem())
    except (timestamping.TimestampError, ImproperlyConfigured) as error:
        logger.warning("Audit checkpoint saved without an RFC 3161 timestamp: %s", error)
        return None, None


def _checkpoint_problems(
    organisation: Organisation, checkpoints: list[AuditCheckpoint], hashes: dict[int, str]
) -> list[ChainProblem]:
    problems = []
    expected_prev = GENESIS_HASH
    last_sequence = max(hashes, default=0)
    ca_pem = timestamping.trusted_ca_pem()
    for checkpoint in checkpoints:

        def problem(reason: str, checkpoint=checkpoint) -> ChainProblem:
            return ChainProblem(
                organisation.pk, checkpoint.sequence, None, f"checkpoint #{checkpoint.pk}: {reason}"
            )

        payload = checkpoint_payload(checkpoint)
        try:
            signature = base64.b64decode(checkpoint.signature, validate=True)
        except (ValueError, binascii.Error):
            signature = b""
        valid = signing.signature_valid(checkpoint.key_id, payload, signature)
        if valid is None:
            problems.append(problem(f"signed by key {checkpoint.key_id}, which is not a trusted key"))
        elif not valid:
            problems.append(problem("its signature does not match its content (forged or edited)"))
        if hashlib.sha256(payload).hexdigest() != checkpoint.hash:
            problems.append(problem("its hash does not match its content"))
        if reason := _timestamp_problem(checkpoint, payload, ca_pem):
            problems.append(problem(reason))
        if checkpoint.prev_checkpoint_hash != expected_prev:
            problems.append(
                problem("does not link to the previous checkpoint (one was removed or reordered)")
            )
        expected_prev = checkpoint.hash
        if checkpoint.sequence > last_sequence:
            problems.append(
                problem(f"signed the trail up to #{checkpoint.sequence}, but it now ends at #{last_sequence}")
            )
        elif checkpoint.sequence and hashes.get(checkpoint.sequence) != checkpoint.last_hash:
            problems.append(problem(f"event #{checkpoint.sequence} is not the event it signed"))
    return problems


def _timestamp_problem(checkpoint: AuditCheckpoint, payload: bytes, ca_pem: bytes | None) -> str | None:
    """Why the checkpoint's RFC 3161 token does not vouch for it (with ``ca_pem``, its TSA signature included), or
    None when it does or there is none."""
    if checkpoint.timestamp_token is None:
        return None
    digest = hashlib.sha256(payload).digest()
    try:
        gen_time = timestamping.verify_token(bytes(checkpoint.timestamp_token), digest, ca_pem)
    except timestamping.TimestampError as error:
        return f"its RFC 3161 timestamp does not cover it ({error})"
    if checkpoint.timestamped_at != gen_time:
        return "its timestamp time is not its RFC 3161 token's genTime"
    return None
