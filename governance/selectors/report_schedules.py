"""Report schedule reads: the list page and the API, with each schedule's latest report and next run, and what
one run (one period) became."""

from datetime import date

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from governance.core.registry import report_kinds
from governance.core.scheduling import (
    RunOutcome,
    RunStatus,
    next_run_on,
    requested_run_outcome,
    run_requested,
)
from governance.models import AuditEvent, Organisation, Report, ReportSchedule, ReportStatus
from governance.models.actions import GovernanceAction


def with_latest_report(queryset: QuerySet[ReportSchedule]) -> QuerySet[ReportSchedule]:
    """Annotate each schedule with its latest report's id, status, finish time and email time."""
    latest = Report.objects.filter(schedule=OuterRef("pk")).order_by("-requested_at", "-pk")
    return queryset.annotate(
        latest_report_id=Subquery(latest.values("pk")[:1]),
        latest_report_status=Subquery(latest.values("status")[:1]),
        latest_report_finished_at=Subquery(latest.values("finished_at")[:1]),
        latest_report_emailed_at=Subquery(latest.values("emailed_at")[:1]),
    )


def schedules_for(organisation: Organisation) -> list[ReportSchedule]:
    """The organisation's schedules for the list page, each with ``subject_label``, ``next_run`` and its latest
    report; a fixed number of queries (one per report kind at most) however many schedules there are."""
    schedules = list(
        with_latest_report(
            ReportSchedule.objects.filter(organisation=organisation).select_related("created_by")
        ).order_by("kind", "frequency", "pk")
    )
    today = timezone.localdate()
    for schedule in schedules:
        schedule.subject_label = ""
        schedule.next_run = next_run_on(schedule.frequency, today) if schedule.active else None
    for spec in report_kinds:
        of_kind = [s for s in schedules if s.kind == spec.key]
        if not of_kind:
            continue
        if spec.subject_model is not None:
            ids = {s.subject_id for s in of_kind if s.subject_id}
            labels = {obj.pk: str(obj) for obj in spec.subjects(organisation).filter(pk__in=ids)}
            for schedule in of_kind:
                if schedule.subject_id:
                    schedule.subject_label = labels.get(
                        schedule.subject_id, f"#{schedule.subject_id} (deleted)"
                    )
        elif spec.describe_parameters is not None:
            parameter_sets = [s.parameters if isinstance(s.parameters, dict) else {} for s in of_kind]
            for schedule, label in zip(of_kind, spec.describe_parameters(parameter_sets), strict=True):
                schedule.subject_label = label
    return schedules


def _report_outcome(period: str, report: Report) -> RunOutcome:
    if report.status == ReportStatus.SUCCEEDED:
        return RunOutcome(period, RunStatus.DONE, "The report is ready.", report)
    if report.status == ReportStatus.FAILED:
        return RunOutcome(
            period, RunStatus.FAILED, f"The report failed: {report.error or 'no reason given'}", report
        )
    return RunOutcome(
        period, RunStatus.QUEUED, f"The report is {report.get_status_display().lower()}.", report
    )


def schedule_run(schedule: ReportSchedule, period: str, today: date | None = None) -> RunOutcome | None:
    """What ``schedule``'s run of ``period`` became (its report's state, once it requested one); None when the
    schedule neither ran nor was asked to run in that period."""
    report = schedule.reports.filter(schedule_period=period).order_by("-requested_at", "-pk").first()
    if report is not None:
        return _report_outcome(period, report)
    skipped = (
        AuditEvent.objects.filter(
            object_type=ReportSchedule._meta.label_lower,
            object_id=str(schedule.pk),
            action=GovernanceAction.REPORT_SCHEDULE_SKIPPED,
            changes__last_run_period__1=period,
        )
        .order_by("-sequence")
        .first()
    )
    if skipped is not None:
        error = (skipped.changes.get("error") or [None, ""])[-1] or "no reason given"
        return RunOutcome(period, RunStatus.FAILED, f"The run requested no report: {error}.")
    if schedule.last_run_period == period:
        return RunOutcome(period, RunStatus.FAILED, "The report this run requested is no longer stored.")
    if not run_requested(schedule, period, GovernanceAction.REPORT_SCHEDULE_RUN_REQUEST):
        return None
    return requested_run_outcome(schedule, period, today)
