"""Report schedule reads: the list page and the API, with each schedule's latest report and next run."""

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from governance.models import AIModel, Framework, Organisation, Report, ReportKind, ReportSchedule
from governance.services.report_schedules import next_run_on
from maturity.models import Assessment

SUBJECT_MODELS = {ReportKind.MODEL_DOSSIER: AIModel, ReportKind.ASSESSMENT: Assessment}


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
    report; a fixed number of queries however many schedules there are."""
    schedules = list(
        with_latest_report(
            ReportSchedule.objects.filter(organisation=organisation).select_related("created_by")
        ).order_by("kind", "frequency", "pk")
    )
    labels: dict[str, dict[int, str]] = {}
    for kind, model in SUBJECT_MODELS.items():
        ids = {s.subject_id for s in schedules if s.kind == kind and s.subject_id}
        if ids:
            labels[kind] = {
                obj.pk: str(obj) for obj in model.objects.filter(organisation=organisation, pk__in=ids)
            }
    framework_keys = {
        s.parameters.get("framework")
        for s in schedules
        if s.kind == ReportKind.COMPLIANCE and isinstance(s.parameters, dict)
    } - {None}
    frameworks = (
        dict(Framework.objects.filter(is_current=True, key__in=framework_keys).values_list("key", "name"))
        if framework_keys
        else {}
    )
    today = timezone.localdate()
    for schedule in schedules:
        schedule.subject_label = ""
        if schedule.kind in SUBJECT_MODELS and schedule.subject_id:
            schedule.subject_label = labels.get(schedule.kind, {}).get(
                schedule.subject_id, f"#{schedule.subject_id} (deleted)"
            )
        elif schedule.kind == ReportKind.COMPLIANCE:
            key = schedule.parameters.get("framework", "")
            schedule.subject_label = frameworks.get(key, f"{key} (not loaded)")
        schedule.next_run = next_run_on(schedule.frequency, today) if schedule.active else None
    return schedules
