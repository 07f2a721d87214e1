"""Report reads, always scoped to what the user may see."""

from django.db.models import QuerySet
from django.urls import reverse

from governance.core import tenancy
from governance.models import Organisation, Report


def reports_for(user, organisation: Organisation | None = None) -> QuerySet[Report]:
    queryset = tenancy.scope(Report.objects.select_related("organisation", "requested_by"), user)
    if organisation is not None:
        queryset = queryset.filter(organisation=organisation)
    return queryset


def status_payload(report: Report) -> dict:
    """What the list page's poller and the API show about a report's progress."""
    return {
        "id": report.pk,
        "status": report.status,
        "status_display": report.get_status_display(),
        "progress": report.progress,
        "page_count": report.page_count,
        "byte_size": report.byte_size,
        "sha256": report.sha256,
        "error": report.error,
        "finished": report.is_finished,
        "download_url": reverse("governance:report-download", args=[report.pk])
        if report.status == "succeeded"
        else None,
    }
