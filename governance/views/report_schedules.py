"""Scheduled report pages: every member sees what is sent to whom; administrators create, edit and delete."""

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from governance.core import tenancy
from governance.core.errors import ConflictError
from governance.models import Organisation, ReportSchedule, ScheduleFrequency
from governance.selectors import report_schedules as selectors
from governance.services import report_schedules as services
from governance.views.reports import ReportSubjectForm

_SEPARATORS = re.compile(r"[,;]")


class ReportScheduleForm(ReportSubjectForm):
    """What an administrator fills in; the service validates again (the API goes straight to it)."""

    frequency = forms.ChoiceField(
        choices=ScheduleFrequency.choices,
        initial=ScheduleFrequency.MONTHLY,
        help_text="A report about a period (organisation maturity) covers the period just ended.",
    )
    recipients = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One email address per line, or separated by commas. They need no Plumbline account.",
    )
    attach_pdf = forms.BooleanField(
        required=False,
        initial=True,
        label="Attach the PDF",
        help_text="Otherwise (and for PDFs too large to attach) the email links to the download page.",
    )
    active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, organisation=organisation, **kwargs)
        self.fields[
            "framework"
        ].help_text = "Only for a compliance report; each run uses the framework's version current then."

    def clean_recipients(self) -> list[str]:
        """The addresses as a list; a bad one is reported with its line, so a long list is easy to fix."""
        addresses, errors = [], []
        for number, line in enumerate(self.cleaned_data["recipients"].splitlines(), start=1):
            for part in _SEPARATORS.split(line):
                address = part.strip()
                if not address:
                    continue
                try:
                    validate_email(address)
                except ValidationError:
                    errors.append(f"Line {number}: “{address[:100]}” is not a valid email address.")
                else:
                    addresses.append(address)
        if errors:
            raise ValidationError(errors)
        if not addresses:
            raise ValidationError("Give at least one email address.")
        return addresses


def _organisation(request: HttpRequest) -> Organisation:
    if request.organisation is None:
        raise Http404("You are not a member of any organisation.")
    return request.organisation


def _initial(schedule: ReportSchedule) -> dict:
    subject_field = "assessment" if schedule.kind == "assessment" else "subject"
    return {
        "kind": schedule.kind,
        subject_field: schedule.subject_id,
        "framework": (schedule.parameters or {}).get("framework", ""),
        "frequency": schedule.frequency,
        "recipients": "\n".join(schedule.recipients),
        "attach_pdf": schedule.attach_pdf,
        "active": schedule.active,
    }


@login_required
def schedule_list(request: HttpRequest) -> HttpResponse:
    organisation = _organisation(request)
    schedules = selectors.schedules_for(organisation)
    return render(
        request,
        "reports/schedule_list.html",
        {
            "organisation": organisation,
            "schedules": schedules,
            "can_manage": tenancy.can(request.user, organisation, "report.schedule"),
            "attachment_limit": services.attachment_limit(),
            "today": timezone.localdate(),
        },
    )


def _edit(request: HttpRequest, organisation: Organisation, schedule: ReportSchedule | None) -> HttpResponse:
    tenancy.require(request.user, organisation, "report.schedule")
    posted = request.method == "POST"
    form = ReportScheduleForm(
        request.POST if posted else None,
        organisation=organisation,
        initial=_initial(schedule) if schedule else None,
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_report_schedule(
                request.user,
                organisation,
                data["kind"],
                data["frequency"],
                data["recipients"],
                data["attach_pdf"],
                data["active"],
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
        "reports/schedule_form.html",
        {"form": form, "schedule": schedule, "organisation": organisation},
        status=400 if posted else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def schedule_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, _organisation(request), None)


def _get_schedule(request: HttpRequest, pk: int) -> ReportSchedule:
    # Only the current organisation's schedules: the forms list that organisation's models and assessments.
    organisation = _organisation(request)
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
    tenancy.require(request.user, schedule.organisation, "report.schedule")
    if request.method == "POST":
        label = str(schedule)
        services.delete_report_schedule(request.user, schedule)
        messages.success(request, f"Schedule deleted: {label}. The reports it produced are kept.")
        return HttpResponseRedirect(reverse("governance:report-schedule-list"))
    return render(request, "reports/schedule_delete.html", {"schedule": schedule})


@login_required
@require_POST
def schedule_run(request: HttpRequest, pk: int) -> HttpResponse:
    """Run this period's report now, through the same once-per-period task beat fires."""
    schedule = _get_schedule(request, pk)
    try:
        period = services.request_schedule_run(request.user, schedule)
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"The {period} {schedule.get_kind_display().lower()} report is being produced; "
            "it is emailed to the recipients once rendered.",
        )
    return HttpResponseRedirect(reverse("governance:report-schedule-list"))
