"""Report schedule reads: the list page and the API, with each schedule's latest report and next run."""

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from governance.core.registry import report_kinds
from governance.core.scheduling import next_run_on
from governance.models import Organisation, Report, ReportSchedule


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
