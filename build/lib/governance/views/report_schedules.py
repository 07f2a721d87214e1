"""Scheduled report pages: every member sees what is sent to whom; administrators create, edit and delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from governance.core import tenancy
from governance.core.errors import ConflictError
from governance.core.roles import Permission
from governance.core.tenancy import current_organisation
from governance.forms.reports import ReportScheduleForm
from governance.models import Organisation, ReportSchedule
from governance.selectors import report_schedules as selectors
from governance.services import report_schedules as services


@login_required
def schedule_list(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    schedules = selectors.schedules_for(organisation)
    return render(
        request,
        "governance/reports/schedule_list.html",
        {
            "organisation": organisation,
            "schedules": schedules,
            "can_manage": tenancy.can(request.user, organisation, Permission.REPORT_SCHEDULE),
            "attachment_limit": services.attachment_limit(),
            "today": timezone.localdate(),
        },
    )


def _edit(request: HttpRequest, organisation: Organisation, schedule: ReportSchedule | None) -> HttpResponse:
    tenancy.require(request.user, organisation, Permission.REPORT_SCHEDULE)
    posted = request.method == "POST"
    form = ReportScheduleForm(
        request.POST if posted else None,
        organisation=organisation,
        initial=ReportScheduleForm.initial_for(schedule) if schedule else None,
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_report_schedule(
                actor=request.user,
                organisation=organisation,
                kind=data["kind"],
                frequency=data["frequency"],
                recipients=data["recipients"],
                attach_pdf=data["attach_pdf"],
                active=data["active"],
                subject_id=form.subject_id(),
                parameters=form.parameters(),
                schedule=schedule,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            verb = "saved" if schedule else "created"
            messages.success(request, f"Schedule {verb}: {saved}.")
            return HttpResponseRedirect(reverse("governance:report-schedule-list"))
    return render(
        request,
        "governance/reports/schedule_form.html",
        {"form": form, "schedule": schedule, "organisation": organisation},
        status=400 if posted else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def schedule_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, current_organisation(request), None)


def _get_schedule(request: HttpRequest, pk: int) -> ReportSchedule:
    # Only the current organisation's schedules: the forms list that organisation's models and assessments.
    organisation = current_organisation(request)
    schedule = tenancy.get_for_user(
        ReportSchedule.objects.select_related("organisation", "created_by"), request.user, pk=pk
    )
    if schedule.organisation_id != organisation.pk:
        raise Http404("This schedule belongs to another of your organisations: switch to it first.")
    return schedule


@login_required
@require_http_methods(["GET", "POST"])
def schedule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _get_schedule(request, pk)
    return _edit(request, schedule.organisation, schedule)


@login_required
@require_http_methods(["GET", "POST"])
def schedule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _get_schedule(request, pk)
    tenancy.require(request.user, schedule.organisation, Permission.REPORT_SCHEDULE)
    if request.method == "POST":
        label = str(schedule)
        services.delete_report_schedule(actor=request.user, schedule=schedule)
        messages.success(request, f"Schedule deleted: {label}. The reports it produced are kept.")
        return HttpResponseRedirect(reverse("governance:report-schedule-list"))
    return render(request, "governance/reports/schedule_delete.html", {"schedule": schedule})


@login_required
@require_POST
def schedule_run(request: HttpRequest, pk: int) -> HttpResponse:
    """Run this period's report now, through the same once-per-period task beat fires."""
    schedule = _get_schedule(request, pk)
    try:
        period = services.request_schedule_run(actor=request.user, schedule=schedule)
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"The {period} {schedule.get_kind_display().lower()} report is being produced; "
            "it is emailed to the recipients once rendered.",
        )
    return HttpResponseRedirect(reverse("governance:report-schedule-list"))
