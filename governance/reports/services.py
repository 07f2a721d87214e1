"""Report writes: request a report (enqueue it) and generate it (called by the Celery task)."""

import hashlib
import logging
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from governance.core.audit import record_event, snapshot
from governance.core.tenancy import require
from governance.models import AIModel, Organisation, Report, ReportKind, ReportStatus
from governance.reports import render
from maturity.models import Assessment

logger = logging.getLogger(__name__)

# Kinds about one record: the record's model, looked up within the organisation.
SUBJECT_MODELS = {ReportKind.MODEL_DOSSIER: AIModel, ReportKind.ASSESSMENT: Assessment}
DEFAULT_TITLES = {
    ReportKind.ASSESSMENT: "Maturity assessment: {subject}",
    ReportKind.MODEL_INVENTORY: "Model inventory report",
    ReportKind.MODEL_DOSSIER: "Model dossier: {subject}",
    ReportKind.ORGANISATION_MATURITY: "Organisation maturity report",
    ReportKind.COMPLIANCE: "Compliance report: {subject}",
}


def available_kinds() -> list[tuple[str, str]]:
    return [(value, label) for value, label in ReportKind.choices if value in render.BUILDERS]


def request_report(
    actor,
    organisation: Organisation,
    kind: str,
    subject_id: int | None = None,
    parameters: dict[str, Any] | None = None,
) -> Report:
    """Create a queued report and hand it to a worker once the transaction commits."""
    require(actor, organisation, "report.request")
    if kind not in ReportKind.values:
        raise ValidationError({"kind": [f"Unknown report kind “{kind}”."]})
    if kind not in render.BUILDERS:
        raise ValidationError({"kind": [f"{ReportKind(kind).label} reports are not available yet."]})
    if parameters is not None and not isinstance(parameters, dict):
        raise ValidationError({"parameters": ["Parameters must be an object."]})
    subject = None
    subject_model = SUBJECT_MODELS.get(kind)
    if subject_model is None:
        if subject_id is not None:
            raise ValidationError({"subject_id": ["This kind of report covers the whole organisation."]})
    else:
        if subject_id is None:
            raise ValidationError({"subject_id": ["Choose what the report is about."]})
        subject = subject_model.objects.filter(organisation=organisation, pk=subject_id).first()
        if subject is None:
            raise ValidationError(
                {"subject_id": [f"No {subject_model._meta.verbose_name} #{subject_id} in {organisation}."]}
            )
    parameters, described = render.clean_parameters(kind, parameters or {})
    title = DEFAULT_TITLES[kind].format(subject=subject or described)[:255]
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
            action="report.requested",
            obj=report,
            changes={
                k: [None, v]
                for k, v in snapshot(report, ["kind", "subject_id", "parameters", "title"]).items()
            },
        )
        transaction.on_commit(lambda: _enqueue(report.pk))
    return report


def _enqueue(report_id: int) -> None:
    from governance.tasks import render_report

    render_report.delay(report_id)


def _set_progress(report_id: int, value: int) -> None:
    Report.objects.filter(pk=report_id, status=ReportStatus.RUNNING).update(progress=value)


def _email_if_scheduled(report_id: int) -> None:
    """A finished scheduled report is emailed (its failure to the schedule's creator) by another task, once."""
    if Report.objects.filter(pk=report_id, schedule__isnull=False, emailed_at__isnull=True).exists():
        from governance.tasks import email_scheduled_report

        transaction.on_commit(lambda: email_scheduled_report.delay(report_id))


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

    A succeeded or failed report is left alone; a "running" one (its worker was killed before acknowledging
    the message) is rendered again. The file is written under its final name only once the whole PDF exists,
    and the report is marked succeeded only after that.
    """
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.is_finished:
            return report
        report.status = ReportStatus.RUNNING
        report.started_at = timezone.now()
        report.attempts += 1
        report.progress = 5
        report.error = ""
        report.save(update_fields=["status", "started_at", "attempts", "progress", "error"])
    report = Report.objects.select_related("organisation", "requested_by").get(pk=report_id)
    try:
        rendered = render.render_pdf(report, progress=lambda value: _set_progress(report_id, value))
    except render.SubjectError as exc:
        mark_failed(report_id, str(exc))
        return Report.objects.get(pk=report_id)
    digest = hashlib.sha256(rendered.content).hexdigest()
    now = timezone.now()
    name = f"report-{report.pk}-{digest[:12]}.pdf"
    report.file.save(name, ContentFile(rendered.content), save=False)
    Report.objects.filter(pk=report_id).update(
        file=report.file.name,
        sha256=digest,
        byte_size=len(rendered.content),
        page_count=rendered.page_count,
        status=ReportStatus.SUCCEEDED,
        progress=100,
        finished_at=now,
    )
    logger.info("Report %s rendered: %s pages, sha256 %s", report_id, rendered.page_count, digest)
    if report.schedule_id:
        _email_if_scheduled(report_id)
    return Report.objects.get(pk=report_id)


# Rendering the largest report takes seconds; a report untouched for this long has lost its worker.
STALLED_AFTER = timedelta(minutes=15)


def requeue_stalled_reports(stalled_after: timedelta = STALLED_AFTER) -> list[int]:
    """Enqueue again every report still queued or running long after it should have finished.

    Redis redelivers a killed worker's unacknowledged task by itself; the embedded filesystem broker deletes a
    message when a worker takes it, and an enqueue can be lost if the broker was down at commit time. Beat runs
    this every few minutes so that no report stays stuck on any broker. Rendering is idempotent, so a duplicate
    message costs at most one extra render.
    """
    cutoff = timezone.now() - stalled_after
    stalled = list(
        Report.objects.filter(
            Q(status=ReportStatus.RUNNING, started_at__lt=cutoff)
            | Q(status=ReportStatus.QUEUED, requested_at__lt=cutoff)
        ).values_list("pk", flat=True)
    )
    for report_id in stalled:
        logger.warning("Report %s stalled; enqueueing it again", report_id)
        _enqueue(report_id)
    return stalled
