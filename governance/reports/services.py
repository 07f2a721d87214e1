"""Report writes: request a report (enqueue it) and generate it (called by the Celery task)."""

import logging
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import DatabaseError, connections, transaction
from django.db.models import Q
from django.utils import timezone

from governance.core.audit import record_event, snapshot, write_checkpoint
from governance.core.jobs import enqueue, enqueue_on_commit
from governance.core.registry import ReportKindSpec, report_kinds
from governance.core.roles import Permission
from governance.core.tenancy import require, role_in
from governance.models import Organisation, Report, ReportStatus
from governance.models.actions import GovernanceAction
from governance.reports import render, verify
from governance.services.webhooks import emit_report_ready

logger = logging.getLogger(__name__)

RENDER_TASK = "governance.tasks.render_report"
EMAIL_TASK = "governance.tasks.email_scheduled_report"


def available_kinds(user=None, organisation: Organisation | None = None) -> list[tuple[str, str]]:
    """(key, label) of the kinds that can be requested (by ``user`` in ``organisation``, when given)."""
    role = role_in(user, organisation) if user is not None and organisation is not None else None
    return [(spec.key, spec.label) for spec in report_kinds if user is None or may_request(spec, role)]


def kind_spec(kind: Any) -> ReportKindSpec:
    """The registered spec of ``kind``; a field error naming the known kinds otherwise."""
    spec = report_kinds.get(kind) if isinstance(kind, str) else None
    if spec is None:
        known = ", ".join(report_kinds.keys())
        raise ValidationError({"kind": [f"Unknown report kind “{kind}”. Known kinds: {known}."]})
    return spec


def find_subject(spec: ReportKindSpec, organisation: Organisation, subject_id: Any):
    """The record a report of this kind is about, within the organisation (None for organisation-wide kinds).

    A ValidationError on ``subject_id`` says what is wrong: missing, not an id, or not this organisation's.
    """
    if spec.subject_model is None:
        if subject_id is not None:
            raise ValidationError({"subject_id": ["This kind of report covers the whole organisation."]})
        return None
    if subject_id is None:
        raise ValidationError({"subject_id": ["Choose what the report is about."]})
    if isinstance(subject_id, bool) or not isinstance(subject_id, int):
        raise ValidationError({"subject_id": ["A record id (a whole number) is required."]})
    subject = spec.subjects(organisation).filter(pk=subject_id).first()
    if subject is None:
        raise ValidationError(
            {"subject_id": [f"No {spec.subject_model._meta.verbose_name} #{subject_id} in {organisation}."]}
        )
    return subject


def may_request(spec: ReportKindSpec, role: str | None) -> bool:
    """Whether a member with ``role`` may request reports of this kind (``report.request`` is checked apart)."""
    return spec.roles is None or role in spec.roles


def request_report(
    *,
    actor,
    organisation: Organisation,
    kind: str,
    subject_id: int | None = None,
    parameters: dict[str, Any] | None = None,
) -> Report:
    """Create a queued report and hand it to a worker once the transaction commits."""
    membership = require(actor, organisation, Permission.REPORT_REQUEST)
    spec = kind_spec(kind)
    if not may_request(spec, membership.role):
        raise PermissionDenied(
            f"Your role ({membership.get_role_display()}) may not request {spec.label.lower()} reports."
        )
    if parameters is not None and not isinstance(parameters, dict):
        raise ValidationError({"parameters": ["Parameters must be an object."]})
    subject = find_subject(spec, organisation, subject_id)
    parameters, described = render.clean_parameters(kind, parameters or {})
    title = spec.title.format(subject=subject or described)[:255]
    with transaction.atomic():
        report = Report.objects.create(
            organisation=organisation,
            kind=kind,
            subject_id=subject_id,
            parameters=parameters,
            title=title,
            requested_by=actor,
        )
        record_event(
            organisation=organisation,
            actor=actor,
            action=GovernanceAction.REPORT_REQUESTED,
            obj=report,
            changes={
                k: [None, v]
                for k, v in snapshot(report, ["kind", "subject_id", "parameters", "title"]).items()
            },
        )
        enqueue_on_commit(RENDER_TASK, report_id=report.pk)
    return report


def _set_progress(report_id: int, value: int) -> None:
    Report.objects.filter(pk=report_id, status=ReportStatus.RUNNING).update(
        progress=value, heartbeat_at=timezone.now()
    )


def _email_if_scheduled(report_id: int) -> None:
    """A finished scheduled report is emailed (its failure to the schedule's creator) by another task, once."""
    if Report.objects.filter(pk=report_id, schedule__isnull=False, emailed_at__isnull=True).exists():
        enqueue_on_commit(EMAIL_TASK, report_id=report_id)


def mark_failed(report_id: int, error: str) -> None:
    updated = (
        Report.objects.filter(pk=report_id)
        .exclude(status=ReportStatus.SUCCEEDED)
        .update(status=ReportStatus.FAILED, error=error[:2000], finished_at=timezone.now())
    )
    if updated:
        _email_if_scheduled(report_id)


def generate_report(report_id: int) -> Report | None:
    """Render and store one report; safe to call again for the same report.

    A succeeded or failed report is left alone. A "running" one lost its worker (killed, or out of memory) before
    it finished: it is rendered again, unless its worker was lost LOST_WORKER_LIMIT times already, when it fails
    instead of taking one worker after another down. The file is written under its final name only once the
    whole PDF exists, and the report is marked succeeded only after that.
    """
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.is_finished:
            return report
        if report.status == ReportStatus.RUNNING and report.attempts >= LOST_WORKER_LIMIT:
            _fail_lost(report_id, report.attempts)
            return Report.objects.get(pk=report_id)
        report.status = ReportStatus.RUNNING
        report.started_at = report.heartbeat_at = timezone.now()
        report.attempts += 1
        report.progress = 5
        report.error = ""
        report.save(update_fields=["status", "started_at", "heartbeat_at", "attempts", "progress", "error"])
    report = Report.objects.select_related("organisation", "requested_by").get(pk=report_id)
    try:
        with tempfile.TemporaryFile() as scratch:
            with _heartbeat(report_id):
                page_count = render.render_pdf(
                    report, scratch, progress=lambda value: _set_progress(report_id, value)
                )
            size = scratch.tell()
            scratch.seek(0)
            digest = verify.sha256_of(iter(lambda: scratch.read(1 << 20), b""))
            scratch.seek(0)
            report.file.save(f"report-{report.pk}-{digest[:12]}.pdf", File(scratch), save=False)
    except render.SubjectError as exc:
        mark_failed(report_id, str(exc))
        return Report.objects.get(pk=report_id)
    except Exception:
        # This attempt ended without losing its worker: the task retries it or marks it failed. Queued, it does
        # not count as a lost worker when it runs again.
        Report.objects.filter(pk=report_id, status=ReportStatus.RUNNING).update(status=ReportStatus.QUEUED)
        raise
    Report.objects.filter(pk=report_id).update(
        file=report.file.name,
        sha256=digest,
        byte_size=size,
        page_count=page_count,
        status=ReportStatus.SUCCEEDED,
        error="",  # a sweep that took this worker for lost may have failed it meanwhile
        progress=100,
        finished_at=timezone.now(),
    )
    logger.info("Report %s rendered: %s pages, sha256 %s", report_id, page_count, digest)
    _record_issue(report_id, digest)
    if report.schedule_id:
        _email_if_scheduled(report_id)
    return Report.objects.get(pk=report_id)


def _fail_lost(report_id: int, attempts: int) -> None:
    logger.error("Report %s: its worker stopped %s times; marking it failed", report_id, attempts)
    mark_failed(
        report_id,
        f"Rendering stopped: the worker rendering it stopped {'twice' if attempts == 2 else f'{attempts} times'} "
        "(killed, or out of memory), so it is not tried again. Request it again, or ask an administrator to "
        "check the workers' logs and memory.",
    )


def _record_issue(report_id: int, digest: str) -> None:
    """The issued file's SHA-256 becomes an audit event, sealed by a signed checkpoint at once, so an outsider can
    tell the report from the chain. A failure here is logged; the report itself stands."""
    report = Report.objects.select_related("organisation").get(pk=report_id)
    try:
        with transaction.atomic():
            record_event(
                organisation=report.organisation,
                actor=None,
                action=GovernanceAction.REPORT_ISSUED,
                obj=report,
                changes={"sha256": [None, digest], "title": [None, report.title]},
            )
            checkpoint = write_checkpoint(report.organisation, force=True)
            Report.objects.filter(pk=report_id).update(issued_checkpoint=checkpoint)
            emit_report_ready(report)
    except Exception:
        logger.exception("Report %s: its issue could not be recorded in the audit trail", report_id)


# A worker touches a running report's heartbeat this often; one silent for LOST_AFTER has lost its worker (a
# kill -9, a host that went away) and is handed to another within about a minute.
HEARTBEAT = timedelta(seconds=10)
LOST_AFTER = timedelta(seconds=60)
# A queued report nobody took for this long lost its message (the filesystem broker deletes a message when a
# worker takes it, so a worker killed before it marked the report running takes the message with it).
STALLED_AFTER = timedelta(minutes=15)
# A report whose worker was lost this many times fails instead of being sent to another worker.
LOST_WORKER_LIMIT = 2


def requeue_stalled_reports(
    stalled_after: timedelta = STALLED_AFTER, lost_after: timedelta = LOST_AFTER
) -> list[int]:
    """Enqueue again every running report whose worker stopped beating, and every report queued too long; fail
    those whose worker was lost LOST_WORKER_LIMIT times. Returns the ids enqueued.

    Beat runs this every minute, on every broker: Redis would also redeliver a killed worker's unacknowledged
    message, but only after its visibility timeout (an hour). Rendering is idempotent, so a duplicate message
    costs at most one no-op.
    """
    now = timezone.now()
    stalled = list(
        Report.objects.filter(
            Q(status=ReportStatus.RUNNING)
            & (
                Q(heartbeat_at__lt=now - lost_after)
                | Q(heartbeat_at__isnull=True, started_at__lt=now - lost_after)
            )
            | Q(status=ReportStatus.QUEUED, requested_at__lt=now - stalled_after)
        ).values_list("pk", "status", "attempts")
    )
    requeued = []
    for report_id, status, attempts in stalled:
        if status == ReportStatus.RUNNING and attempts >= LOST_WORKER_LIMIT:
            _fail_lost(report_id, attempts)
            continue
        logger.warning("Report %s stalled (its worker is gone); enqueueing it again", report_id)
        enqueue(RENDER_TASK, report_id=report_id)
        requeued.append(report_id)
    return requeued


@contextmanager
def _heartbeat(report_id: int) -> Iterator[None]:
    """Touch the report's heartbeat from a thread of its own while the rendering runs in this one."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(HEARTBEAT.total_seconds()):
                try:
                    Report.objects.filter(pk=report_id, status=ReportStatus.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except (
                    DatabaseError
                ) as exc:  # a missed beat is fine; a minute of them means the worker is gone
                    logger.info("Heartbeat of report %s missed: %s", report_id, exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=beat, name=f"report-{report_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=HEARTBEAT.total_seconds())
