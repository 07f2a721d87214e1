"""Scheduled reports: a report kind generated every week/month/quarter/year and emailed to its recipients.

``save_report_schedule`` keeps one django-celery-beat ``PeriodicTask`` per schedule (the database scheduler beat
runs); when it fires, ``run_report_schedule`` requests the period's report once, however often it fires; once a
worker has rendered it, ``email_scheduled_report`` sends it to the recipients (or tells the schedule's creator it
failed) exactly once, guarded by the report row's lock and ``emailed_at``.
"""

import logging
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from governance.core import scheduling
from governance.core.audit import delete_audited, diff, record_event, snapshot
from governance.core.registry import report_kinds
from governance.core.roles import PERMISSIONS, Permission
from governance.core.tenancy import can, require, role_in
from governance.models import (
    Membership,
    Organisation,
    Report,
    ReportSchedule,
    ReportStatus,
    ScheduleFrequency,
)
from governance.models.actions import GovernanceAction
from governance.reports import render
from governance.reports import services as report_services

logger = logging.getLogger(__name__)

RUN_TASK = "governance.tasks.run_report_schedule"
MAX_RECIPIENTS = 50
PERIOD_PARAMETERS = render.PERIOD_PARAMETERS
# Pinned by each run to the version current then, so it is never stored on the schedule.
RUN_PINNED_PARAMETERS = ("framework_version", *PERIOD_PARAMETERS)
# What an administrator sets (pages and API); the audit trail also follows the runs and who requests them.
SCHEDULE_FIELDS = ("kind", "subject_id", "parameters", "frequency", "recipients", "attach_pdf", "active")
AUDITED_FIELDS = [*SCHEDULE_FIELDS, "last_run_period", "created_by"]


def clean_recipients(recipients: Any) -> list[str]:
    """The recipients as a list of distinct addresses; a ValidationError names each bad one by position."""
    if isinstance(recipients, str) or not isinstance(recipients, list | tuple):
        raise ValidationError({"recipients": ["Give a list of email addresses."]})
    cleaned: list[str] = []
    errors: list[str] = []
    seen: set[str] = set()
    for position, value in enumerate(recipients, start=1):
        address = value.strip() if isinstance(value, str) else value
        if not isinstance(address, str) or not address:
            errors.append(f"Recipient {position}: an email address is required.")
            continue
        try:
            validate_email(address)
        except ValidationError:
            errors.append(f"Recipient {position} (“{address[:100]}”): not a valid email address.")
            continue
        if address.lower() not in seen:
            seen.add(address.lower())
            cleaned.append(address)
    if not errors and not cleaned:
        errors.append("Give at least one email address.")
    if len(cleaned) > MAX_RECIPIENTS:
        errors.append(f"At most {MAX_RECIPIENTS} recipients; use a mailing list for more.")
    if errors:
        raise ValidationError({"recipients": errors})
    return cleaned


def _validate(
    organisation: Organisation, kind: Any, frequency: Any, subject_id: Any, parameters: Any
) -> dict[str, list[str]]:
    """Field errors in what a schedule would request; the same rules as a one-off report request."""
    errors: dict[str, list[str]] = {}
    spec = None
    try:
        spec = report_services.kind_spec(kind)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if frequency not in ScheduleFrequency.values:
        errors["frequency"] = [f"Choose one of: {', '.join(ScheduleFrequency.values)}."]
    if parameters is not None and not isinstance(parameters, dict):
        errors["parameters"] = ["Parameters must be an object."]
    if spec is not None:
        try:
            report_services.find_subject(spec, organisation, subject_id)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if parameters is None:
        parameters = {}
    if spec is not None and isinstance(parameters, dict):
        if any(parameters.get(name) for name in PERIOD_PARAMETERS):
            errors["parameters"] = [
                "A scheduled report covers the period just ended on each run: leave period_start and "
                "period_end out."
            ]
        else:
            try:
                render.clean_parameters(kind, parameters)
            except ValidationError as exc:
                errors.update(exc.message_dict)
    return errors


def _sync_periodic_task(schedule: ReportSchedule) -> None:
    scheduling.sync_beat_entry(
        schedule,
        name=f"governance-report-schedule-{schedule.pk}",
        task=RUN_TASK,
        description=f"{schedule} for {schedule.organisation}",
    )


def save_report_schedule(
    *,
    actor,
    organisation: Organisation,
    kind: str,
    frequency: str,
    recipients: list[str],
    attach_pdf: bool,
    active: bool,
    subject_id: int | None = None,
    parameters: dict[str, Any] | None = None,
    schedule: ReportSchedule | None = None,
) -> ReportSchedule:
    """Create a report schedule (or update ``schedule``) and the beat task that fires it."""
    require(actor, organisation, Permission.REPORT_SCHEDULE)
    if schedule is not None and schedule.organisation_id != organisation.pk:
        raise ValidationError({"organisation": ["This schedule belongs to another organisation."]})
    errors = _validate(organisation, kind, frequency, subject_id, parameters)
    spec = report_kinds.get(kind) if isinstance(kind, str) else None
    if spec is not None and not report_services.may_request(spec, role_in(actor, organisation)):
        # Runs request the report in the saver's name: a kind they may not request would never be produced.
        errors["kind"] = [
            f"Your role may not request {spec.label.lower()} reports, so it cannot schedule them."
        ]
    try:
        recipients = clean_recipients(recipients)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if schedule is None:
            schedule = ReportSchedule(organisation=organisation, created_by=actor)
            before = None
        else:
            schedule = ReportSchedule.objects.select_for_update(of=("self",)).get(pk=schedule.pk)
            before = snapshot(schedule, AUDITED_FIELDS)
            # Reports are requested in the creator's name: someone who left cannot, so whoever saves takes over.
            if not can(schedule.created_by, organisation, Permission.REPORT_REQUEST):
                schedule.created_by = actor
        schedule.kind = kind
        schedule.subject_id = subject_id
        schedule.parameters = {
            key: value for key, value in (parameters or {}).items() if key not in RUN_PINNED_PARAMETERS
        }
        schedule.frequency = frequency
        schedule.recipients = recipients
        schedule.attach_pdf = bool(attach_pdf)
        schedule.active = bool(active)
        schedule.save()
        _sync_periodic_task(schedule)
        changes = diff(before, snapshot(schedule, AUDITED_FIELDS))
        if before is None or changes:
            record_event(
                organisation=organisation,
                actor=actor,
                action=GovernanceAction.REPORT_SCHEDULE_CREATE
                if before is None
                else GovernanceAction.REPORT_SCHEDULE_UPDATE,
                obj=schedule,
                changes=changes,
            )
    return schedule


def delete_report_schedule(*, actor, schedule: ReportSchedule) -> None:
    """Delete a schedule and its beat task; the reports it produced stay."""
    require(actor, schedule.organisation_id, Permission.REPORT_SCHEDULE)
    # The beat entry goes with it (governance.core.scheduling.delete_beat_entry).
    delete_audited(
        organisation=schedule.organisation,
        actor=actor,
        action=GovernanceAction.REPORT_SCHEDULE_DELETE,
        obj=schedule,
        fields=AUDITED_FIELDS,
    )


def run_report_schedule(schedule: ReportSchedule, today: date | None = None) -> Report | None:
    """Request this period's report of the schedule; None when it already ran this period (or cannot run).

    Idempotent per period: the schedule row is locked and ``last_run_period`` compared, so two firings in one
    period (a redelivered message, beat restarted) request one report. The worker renders it after commit.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = (
            ReportSchedule.objects.select_for_update(of=("self",))
            .select_related("organisation", "created_by")
            .filter(pk=schedule.pk)
            .first()
        )
        if locked is None:
            return None
        period = scheduling.period_key(locked.frequency, today)
        if not locked.active or locked.last_run_period == period:
            return None
        before = snapshot(locked, AUDITED_FIELDS)
        locked.last_run_period = period
        locked.save(update_fields=["last_run_period"])
        creator = locked.created_by
        report = None
        error = ""
        if creator is None or not can(creator, locked.organisation, Permission.REPORT_REQUEST):
            error = (
                "its creator is no longer a member of the organisation; an administrator must save it again"
            )
        else:
            parameters = dict(locked.parameters or {})
            label = period
            spec = report_kinds.get(locked.kind)
            if spec is not None and spec.covers_period:
                # A report about a period covers the one just ended (October's, when run on 1 November).
                start, end = scheduling.previous_period(locked.frequency, today)
                parameters.update(period_start=start.isoformat(), period_end=end.isoformat())
                label = scheduling.period_key(locked.frequency, end)
            try:
                report = report_services.request_report(
                    actor=creator,
                    organisation=locked.organisation,
                    kind=locked.kind,
                    subject_id=locked.subject_id,
                    parameters=parameters or None,
                )
            except ValidationError as exc:
                # E.g. the model a dossier is about was deleted since the schedule was saved.
                error = "; ".join(m for messages in exc.message_dict.values() for m in messages)
            except PermissionDenied as exc:
                # The creator's role no longer allows this kind: say so instead of failing the run.
                error = str(exc)
        if report is not None:
            report.schedule = locked
            report.schedule_period = period  # the run's, which "run now" answered and a pipeline polls
            # The period in the title tells the monthly copies apart in inboxes and on the reports page.
            report.title = f"{report.title} ({label})"[:255]
            report.save(update_fields=["schedule", "schedule_period", "title"])
        record_event(
            organisation=locked.organisation,
            actor=None,
            action=GovernanceAction.REPORT_SCHEDULE_RUN
            if report
            else GovernanceAction.REPORT_SCHEDULE_SKIPPED,
            obj=locked,
            changes={
                **diff(before, snapshot(locked, AUDITED_FIELDS)),
                **({"report": [None, report.pk]} if report else {"error": [None, error]}),
            },
        )
        if report is None:
            logger.warning("Report schedule %s skipped for %s: %s", locked.pk, period, error)
            transaction.on_commit(lambda: _notify_skipped(locked, period, error))
    schedule.last_run_period = period
    return report


def request_schedule_run(*, actor, schedule: ReportSchedule) -> str:
    """Queue this period's run now instead of waiting for beat; returns the period key (see scheduling)."""
    return scheduling.request_run_now(
        actor=actor,
        schedule=schedule,
        permission=Permission.REPORT_SCHEDULE,
        task=RUN_TASK,
        action=GovernanceAction.REPORT_SCHEDULE_RUN_REQUEST,
        already_ran=lambda locked, period: (
            f"This period ({period}) has already run; the next run is on "
            f"{scheduling.next_run_on(locked.frequency, timezone.localdate()):%Y-%m-%d}."
        ),
    )


def _schedules_url() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("governance:report-schedule-list")


def _notify_skipped(schedule: ReportSchedule, period: str, error: str) -> None:
    """Tell the organisation's schedule managers (not a creator who may have left) that a run produced nothing."""
    managers = list(
        Membership.objects.filter(
            organisation=schedule.organisation, role__in=PERMISSIONS[Permission.REPORT_SCHEDULE]
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not managers:
        return
    EmailMultiAlternatives(
        subject=f"[Plumbline] Scheduled report not produced: {schedule} ({period})",
        body=(
            f"The scheduled {schedule.get_kind_display().lower()} report of {schedule.organisation} for {period} "
            f"could not be requested: {error}.\n\nSchedules: {_schedules_url()}\n"
        ),
        to=managers,
    ).send(fail_silently=True)


def attachment_limit() -> int:
    """Largest PDF (bytes) attached to a scheduled report email; larger ones are linked."""
    return int(getattr(settings, "REPORT_EMAIL_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024))


def _success_message(report: Report, schedule: ReportSchedule) -> EmailMultiAlternatives:
    attach = schedule.attach_pdf and (report.byte_size or 0) <= attachment_limit()
    context = {
        "report": report,
        "schedule": schedule,
        "organisation": report.organisation,
        "attached": attach,
        "too_large": schedule.attach_pdf and not attach,
        "limit_mib": attachment_limit() / (1024 * 1024),
        "download_url": settings.SITE_URL.rstrip("/")
        + reverse("governance:report-download", args=[report.pk]),
        "verify_url": settings.SITE_URL.rstrip("/") + reverse("governance:report-verify"),
    }
    message = EmailMultiAlternatives(
        subject=f"[Plumbline] {report.title} — {report.organisation}",
        body=render_to_string("governance/reports/email/scheduled_report.txt", context),
        to=list(schedule.recipients),
    )
    message.attach_alternative(
        render_to_string("governance/reports/email/scheduled_report.html", context), "text/html"
    )
    if attach:
        with report.file.open("rb") as handle:
            message.attach(f"plumbline-report-{report.pk}.pdf", handle.read(), "application/pdf")
    return message


def _failure_message(report: Report, schedule: ReportSchedule) -> EmailMultiAlternatives | None:
    creator = schedule.created_by
    if creator is None or not creator.email:
        return None
    return EmailMultiAlternatives(
        subject=f"[Plumbline] Scheduled report failed: {report.title}",
        body=(
            f"The scheduled report “{report.title}” of {report.organisation} (report #{report.pk}) failed, "
            f"so it was not sent to its recipients ({', '.join(schedule.recipients)}).\n\n"
            f"Error: {report.error or 'unknown'}\n\n"
            f"Request it again from the reports page, or check the schedule: {_schedules_url()}\n"
        ),
        to=[creator.email],
    )


def email_scheduled_report(report_id: int) -> bool:
    """Email a finished scheduled report to its recipients, or its failure to the schedule's creator; once.

    Returns True when an email went out now. The report row stays locked while the email is sent and
    ``emailed_at`` is stamped in the same transaction, so a repeated or concurrent call sends nothing more.
    """
    with transaction.atomic():
        report = (
            Report.objects.select_for_update(of=("self",))
            .select_related("organisation", "schedule__created_by")
            .filter(pk=report_id)
            .first()
        )
        if report is None or report.emailed_at is not None or report.schedule is None:
            return False
        if report.status == ReportStatus.SUCCEEDED:
            message = _success_message(report, report.schedule)
        elif report.status == ReportStatus.FAILED:
            message = _failure_message(report, report.schedule)
        else:
            return False  # not finished yet: the worker enqueues this again when it is
        if message is not None:
            message.send()
        report.emailed_at = timezone.now()
        report.save(update_fields=["emailed_at"])
    logger.info("Scheduled report %s (%s) emailed", report_id, report.status)
    return message is not None


def unsent_scheduled_reports(
    older_than: timedelta = timedelta(minutes=15), give_up_after: timedelta = timedelta(days=1)
) -> list[int]:
    """Finished scheduled reports not emailed a while after finishing (their email task was lost).

    Reports older than ``give_up_after`` are left alone: their email keeps failing, and it is logged.
    """
    now = timezone.now()
    return list(
        Report.objects.filter(
            schedule__isnull=False,
            emailed_at__isnull=True,
            status__in=[ReportStatus.SUCCEEDED, ReportStatus.FAILED],
            finished_at__lt=now - older_than,
            finished_at__gte=now - give_up_after,
        ).values_list("pk", flat=True)
    )
