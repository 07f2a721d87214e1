"""Evidence bundles: an organisation's audit trail as a zip an auditor verifies offline.

The zip holds the events (JSON Lines, every field the hash covers plus the hash, stable key order), every signed
checkpoint, the trusted public keys, the issued reports' metadata, a README, and a manifest with the SHA-256 of
each file, itself signed with the audit signing key. ``governance/offline_verifier.py`` (``plumbline-verify``)
checks it with the standard library and ``cryptography`` only.

The manifest's signature says "Plumbline exported this"; it does not vouch for the trail. A trail tampered with
in the database is exported as it is, and the verifier finds the break in the chain or against a checkpoint.
"""

import base64
import hashlib
import json
import logging
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from governance import offline_verifier as fmt
from governance.core import jobs, signing, tenancy
from governance.core.audit import (
    AuditIntegrityError,
    checkpoint_fields,
    event_fields,
    record_event,
    write_checkpoint,
)
from governance.core.roles import Permission
from governance.models import (
    AuditBundle,
    AuditBundleStatus,
    AuditCheckpoint,
    AuditEvent,
    Organisation,
    Report,
    ReportStatus,
)
from governance.models.actions import GovernanceAction

logger = logging.getLogger(__name__)
BUILD_TASK = "governance.tasks.build_audit_bundle"
CHUNK = 2000

README = """Plumbline audit evidence bundle
==============================

Organisation: {name} ({slug})
Exported: {generated_at}
Events: {range}

Verify it on your own machine, without Plumbline:

    pip install cryptography
    python offline_verifier.py THIS.zip {trust}

offline_verifier.py is governance/offline_verifier.py in Plumbline's source (also served by every Plumbline at
/audit-keys/offline_verifier.py); it uses only the Python standard library and `cryptography`. Take the key
fingerprints to trust from the organisation's public "Audit signing keys" page, not from this bundle. The
verifier prints the last checkpoint's hash: keep it, and pass it with --expect-checkpoint when you verify the
next bundle, to check that the trail was not rewritten in between.

Files (their SHA-256 are in manifest.json, which manifest.sig.json signs):
- events.jsonl       one audit event a line, oldest first, with its hash and its predecessor's
- checkpoints.jsonl  every signed checkpoint of the trail (sequence, last hash, event count, signature)
- public_keys.json   the public keys that signed them (fingerprint, PEM, whether it is the current key)
- reports.jsonl      issued reports: id, title, SHA-256 of the PDF, issue time, the checkpoint at issue
"""


@dataclass(frozen=True)
class BundleSummary:
    event_count: int
    checkpoint_count: int
    report_count: int
    first_sequence: int | None
    last_sequence: int | None
    trail_last_sequence: int
    # Full fingerprints of the keys that signed what the bundle holds: what the auditor passes as --trust-key.
    trust_keys: tuple[str, ...] = ()


class _HashingWriter:
    """Writes to a file in the zip and keeps the SHA-256 of what went in."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle, self.digest = handle, hashlib.sha256()

    def write_line(self, row: dict[str, Any]) -> None:
        data = json.dumps(row, sort_keys=True, ensure_ascii=False).encode() + b"\n"
        self.digest.update(data)
        self.handle.write(data)


def _event_row(event: AuditEvent) -> dict[str, Any]:
    return {"id": event.pk, **event_fields(event), "hash": event.hash}


def _checkpoint_row(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": checkpoint.pk,
        **checkpoint_fields(checkpoint),
        "signature": checkpoint.signature,
        "hash": checkpoint.hash,
    }
    token = getattr(checkpoint, "timestamp_token", None)
    if token:
        row["timestamp_token"] = base64.b64encode(bytes(token)).decode()
    return row


def _report_row(report: Report) -> dict[str, Any]:
    checkpoint = report.issued_checkpoint
    return {
        "id": report.pk,
        "title": report.title,
        "kind": report.kind,
        "sha256": report.sha256,
        "byte_size": report.byte_size,
        "page_count": report.page_count,
        "issued_at": report.finished_at.isoformat() if report.finished_at else None,
        "checkpoint": (
            {"id": checkpoint.pk, "sequence": checkpoint.sequence, "hash": checkpoint.hash}
            if checkpoint
            else None
        ),
    }


def _write_jsonl(bundle: zipfile.ZipFile, name: str, rows: Iterable[dict[str, Any]]) -> tuple[str, int]:
    count = 0
    with bundle.open(name, "w", force_zip64=True) as handle:
        writer = _HashingWriter(handle)
        for row in rows:
            writer.write_line(row)
            count += 1
    return writer.digest.hexdigest(), count


def _write_file(bundle: zipfile.ZipFile, name: str, data: bytes) -> str:
    bundle.writestr(name, data)
    return hashlib.sha256(data).hexdigest()


def _sealed_span(checkpoints: list[AuditCheckpoint], low: int, high: int) -> tuple[int, int]:
    """The events to export for a date range whose events run from #``low`` to #``high``: widened back to just
    after a checkpoint and on to a checkpoint, so that the first event continues a signed hash and a signature
    covers the last; a range that ended between two checkpoints could otherwise lose events unnoticed."""
    before = [checkpoint.sequence for checkpoint in checkpoints if checkpoint.sequence < low]
    after = [checkpoint.sequence for checkpoint in checkpoints if checkpoint.sequence >= high]
    return (max(before) + 1 if before else 1), (min(after) if after else high)


def write_audit_bundle(
    out: IO[bytes],
    *,
    organisation: Organisation,
    date_from: date | None = None,
    date_to: date | None = None,
    heartbeat: Callable[[], None] | None = None,
) -> BundleSummary:
    """Write the organisation's evidence bundle to ``out``: the whole trail, or the events dated ``date_from`` to
    ``date_to`` widened to the checkpoints around them. Events are streamed in chunks, so memory stays flat
    whatever the trail's size; ``heartbeat`` is called as they go.

    The trail is sealed first (a checkpoint of whatever happened since the last), and the export stops at that
    checkpoint, so every exported event is covered by a signature. If the trail no longer continues its last
    checkpoint nothing is signed over it; the export then goes to the trail's end and the verifier names the break.
    """
    try:
        write_checkpoint(organisation)
        sealed = True
    except AuditIntegrityError:
        logger.exception("Exporting the audit trail of %s as it is", organisation.slug)
        sealed = False
    # Checkpoints before events: each names events that already existed (events are only ever appended).
    checkpoints = list(AuditCheckpoint.objects.filter(organisation=organisation).order_by("sequence", "id"))
    all_events = AuditEvent.objects.filter(organisation=organisation)
    if sealed:
        trail_end = checkpoints[-1].sequence if checkpoints else 0
    else:
        trail_end = all_events.aggregate(last=Max("sequence"))["last"] or 0
    events = all_events.filter(sequence__lte=trail_end)
    checkpoint_ids = {checkpoint.pk for checkpoint in checkpoints}
    reports = Report.objects.filter(organisation=organisation, status=ReportStatus.SUCCEEDED).exclude(
        sha256=""
    )
    if date_from or date_to:
        dated = events
        if date_from:
            dated = dated.filter(created_at__date__gte=date_from)
            reports = reports.filter(finished_at__date__gte=date_from)
        if date_to:
            dated = dated.filter(created_at__date__lte=date_to)
            reports = reports.filter(finished_at__date__lte=date_to)
        span = dated.aggregate(low=Min("sequence"), high=Max("sequence"))
        if span["low"] is None:
            events = events.none()
        else:
            low, high = _sealed_span(checkpoints, span["low"], span["high"])
            events = events.filter(sequence__gte=low, sequence__lte=high)
    bounds = events.aggregate(first=Min("sequence"), last=Max("sequence"))
    first_sequence, last_sequence = bounds["first"], bounds["last"]
    # Reports issued after the checkpoints were read would name a checkpoint the bundle does not hold.
    reports = reports.filter(Q(issued_checkpoint__isnull=True) | Q(issued_checkpoint__in=checkpoint_ids))

    key = signing.signing_key()
    key_id = signing.fingerprint(key.public_key())
    public_keys = [
        {
            "key_id": key["fingerprint"],
            "fingerprint": key["full"],
            "pem": key["pem"],
            "current": key["current"],
        }
        for key in signing.published_keys()
    ]
    used = {checkpoint.key_id for checkpoint in checkpoints} | {key_id}
    pins = sorted(entry["fingerprint"] for entry in public_keys if entry["key_id"] in used)
    generated_at = timezone.now().replace(microsecond=0)

    def rows():
        for number, event in enumerate(events.order_by("sequence").iterator(chunk_size=CHUNK), start=1):
            if heartbeat is not None and number % CHUNK == 0:
                heartbeat()
            yield _event_row(event)

    files: dict[str, str] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        files[fmt.EVENTS], event_count = _write_jsonl(bundle, fmt.EVENTS, rows())
        files[fmt.CHECKPOINTS], _ = _write_jsonl(bundle, fmt.CHECKPOINTS, map(_checkpoint_row, checkpoints))
        files[fmt.KEYS] = _write_file(
            bundle, fmt.KEYS, json.dumps(public_keys, sort_keys=True, indent=2).encode()
        )
        files[fmt.REPORTS], report_count = _write_jsonl(
            bundle,
            fmt.REPORTS,
            map(_report_row, reports.select_related("issued_checkpoint").order_by("finished_at", "pk")),
        )
        described = (
            f"#{first_sequence} to #{last_sequence}" if first_sequence is not None else "none in the range"
        )
        if date_from or date_to:
            described += (
                f" (dated {date_from or 'the start'} to {date_to or 'the export'}, widened to the checkpoints"
                " around them)"
            )
        files["README.txt"] = _write_file(
            bundle,
            "README.txt",
            README.format(
                name=organisation.name,
                slug=organisation.slug,
                generated_at=generated_at.isoformat(),
                range=described,
                trust=" ".join(f"--trust-key {pin}" for pin in pins),
            ).encode(),
        )
        manifest = {
            "format": fmt.FORMAT,
            "organisation": {"id": organisation.pk, "slug": organisation.slug, "name": organisation.name},
            "generated_at": generated_at.isoformat(),
            "date_from": date_from.isoformat() if date_from else None,
            "date_to": date_to.isoformat() if date_to else None,
            "first_sequence": first_sequence,
            "last_sequence": last_sequence,
            "trail_last_sequence": trail_end,
            "event_count": event_count,
            "checkpoint_count": len(checkpoints),
            "report_count": report_count,
            "files": files,
        }
        manifest_bytes = json.dumps(manifest, sort_keys=True, indent=2).encode()
        bundle.writestr(fmt.MANIFEST, manifest_bytes)
        bundle.writestr(
            fmt.MANIFEST_SIGNATURE,
            json.dumps(
                {"key_id": key_id, "signature": base64.b64encode(key.sign(manifest_bytes)).decode()},
                sort_keys=True,
                indent=2,
            ),
        )
    return BundleSummary(
        event_count=event_count,
        checkpoint_count=len(checkpoints),
        report_count=report_count,
        first_sequence=first_sequence,
        last_sequence=last_sequence,
        trail_last_sequence=trail_end,
        trust_keys=tuple(pins),
    )


def request_audit_bundle(
    *, actor, organisation: Organisation, date_from: date | None = None, date_to: date | None = None
) -> AuditBundle:
    """Ask the workers for an evidence bundle; the request itself is an audit event (who took the trail)."""
    tenancy.require(actor, organisation, Permission.AUDIT_EXPORT)
    if date_from and date_to and date_from > date_to:
        raise ValidationError({"date_to": "The end of the range is before its start."})
    with transaction.atomic():
        bundle = AuditBundle.objects.create(
            organisation=organisation, requested_by=actor, date_from=date_from, date_to=date_to
        )
        record_event(
            organisation=organisation,
            actor=actor,
            action=GovernanceAction.AUDIT_BUNDLE_REQUESTED,
            obj=bundle,
            changes={
                "date_from": [None, date_from.isoformat() if date_from else None],
                "date_to": [None, date_to.isoformat() if date_to else None],
            },
        )
        jobs.enqueue_on_commit(BUILD_TASK, bundle_id=bundle.pk)
    return bundle


# As for reports: a worker touches a running bundle's heartbeat this often; one silent for LOST_AFTER lost its
# worker and goes to another, a queued one nobody took for STALLED_AFTER lost its message; a bundle whose worker
# was lost MAX_ATTEMPTS times fails with a message instead of taking worker after worker down.
HEARTBEAT = timedelta(seconds=10)
LOST_AFTER = timedelta(seconds=60)
STALLED_AFTER = timedelta(minutes=15)
MAX_ATTEMPTS = 3


def build_audit_bundle(bundle_id: int) -> AuditBundle | None:
    """The worker's job: write the zip to storage and keep its SHA-256. Idempotent: a ready or failed bundle is
    left alone; a running one (its worker was lost) is built again, up to MAX_ATTEMPTS times."""
    with transaction.atomic():
        bundle = (
            AuditBundle.objects.select_for_update()
            .select_related("organisation")
            .filter(pk=bundle_id)
            .first()
        )
        if bundle is None or bundle.is_finished:
            return bundle
        now = timezone.now()
        if bundle.attempts >= MAX_ATTEMPTS:
            AuditBundle.objects.filter(pk=bundle_id).update(
                status=AuditBundleStatus.FAILED,
                finished_at=now,
                error=f"The workers building it stopped {bundle.attempts} times (killed or out of memory); "
                "export a shorter date range, or run export_audit_bundle on a host with more memory.",
            )
            return AuditBundle.objects.get(pk=bundle_id)
        AuditBundle.objects.filter(pk=bundle_id).update(
            status=AuditBundleStatus.RUNNING, started_at=now, heartbeat_at=now, attempts=bundle.attempts + 1
        )
    last_beat = timezone.now()

    def heartbeat() -> None:
        nonlocal last_beat
        if timezone.now() - last_beat >= HEARTBEAT:
            last_beat = timezone.now()
            AuditBundle.objects.filter(pk=bundle_id).update(heartbeat_at=last_beat)

    try:
        with tempfile.TemporaryFile() as scratch:
            summary = write_audit_bundle(
                scratch,
                organisation=bundle.organisation,
                date_from=bundle.date_from,
                date_to=bundle.date_to,
                heartbeat=heartbeat,
            )
            size = scratch.tell()
            scratch.seek(0)
            digest = _sha256(scratch)
            scratch.seek(0)
            name = f"audit-{bundle.organisation.slug}-{bundle.pk}-{digest[:12]}.zip"
            bundle.file.save(name, File(scratch), save=False)
    except Exception as exc:
        logger.exception("Audit bundle %s failed", bundle_id)
        AuditBundle.objects.filter(pk=bundle_id).update(
            status=AuditBundleStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        return AuditBundle.objects.get(pk=bundle_id)
    AuditBundle.objects.filter(pk=bundle_id).update(
        status=AuditBundleStatus.READY,
        file=bundle.file.name,
        sha256=digest,
        byte_size=size,
        event_count=summary.event_count,
        checkpoint_count=summary.checkpoint_count,
        finished_at=timezone.now(),
    )
    logger.info("Audit bundle %s: %s events, sha256 %s", bundle_id, summary.event_count, digest)
    return AuditBundle.objects.get(pk=bundle_id)


def _sha256(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path) -> str:
    """The SHA-256 of a file, read in chunks (a bundle may be larger than memory allows)."""
    with open(path, "rb") as handle:
        return _sha256(handle)


def requeue_stalled_bundles(
    stalled_after: timedelta = STALLED_AFTER, lost_after: timedelta = LOST_AFTER
) -> list[int]:
    """Send again the bundles whose message or worker was lost (beat, every minute); the ids sent."""
    now = timezone.now()
    with transaction.atomic():
        stalled = list(
            AuditBundle.objects.select_for_update(skip_locked=True)
            .filter(
                # A queued bundle's heartbeat is when it was last sent again (None: never).
                Q(
                    status=AuditBundleStatus.QUEUED,
                    heartbeat_at__isnull=True,
                    requested_at__lt=now - stalled_after,
                )
                | Q(status=AuditBundleStatus.QUEUED, heartbeat_at__lt=now - stalled_after)
                | Q(status=AuditBundleStatus.RUNNING, heartbeat_at__lt=now - lost_after)
            )
            .values_list("pk", flat=True)
        )
        for bundle_id in stalled:
            # Back to the queue, so the sweep does not send it again while it waits for a worker.
            AuditBundle.objects.filter(pk=bundle_id).update(status=AuditBundleStatus.QUEUED, heartbeat_at=now)
            jobs.enqueue_on_commit(BUILD_TASK, bundle_id=bundle_id)
    if stalled:
        logger.warning("Audit bundles sent again (their worker or message was lost): %s", stalled)
    return stalled
