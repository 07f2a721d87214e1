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

from governance import tenancy
from governance.errors import ConflictError
from governance.models import AIModel, Organisation, ReportSchedule, ScheduleFrequency
from governance.reports import services as report_services
from governance.selectors import compliance
from governance.selectors import report_schedules as selectors
from governance.services import report_schedules as services
from maturity.models import Assessment

_SEPARATORS = re.compile(r"[,;]")


class ReportScheduleForm(forms.Form):
    """What an administrator fills in; the service validates again (the API goes straight to it)."""

    kind = forms.ChoiceField(label="Report")
    subject = forms.ModelChoiceField(
        queryset=AIModel.objects.none(),
        required=False,
        label="AI model",
        help_text="Only for a model dossier.",
    )
    assessment = forms.ModelChoiceField(
        queryset=Assessment.objects.none(),
        required=False,
        label="Assessment",
        help_text="Only for a maturity assessment report.",
    )
    framework = forms.ChoiceField(
        required=False,
        label="Framework",
        help_text="Only for a compliance report; each run uses the framework's version current then.",
    )
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
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = report_services.available_kinds()
        self.fields["framework"].choices = [("", "---------")] + [
            (f.key, str(f)) for f in compliance.current_frameworks()
        ]
        self.fields["subject"].queryset = AIModel.objects.filter(organisation=organisation).only("pk", "name")
        self.fields["assessment"].queryset = Assessment.objects.filter(organisation=organisation).only(
            "pk", "title"
        )

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

    def subject_id(self) -> int | None:
        field = "assessment" if self.cleaned_data.get("kind") == "assessment" else "subject"
        chosen = self.cleaned_data.get(field)
        return chosen.pk if chosen else None

    def parameters(self) -> dict:
        """The report parameters the form carries: the framework of a compliance report."""
        if self.cleaned_data.get("kind") == "compliance":
            return {"framework": self.cleaned_data.get("framework") or ""}
        return {}

    def add_service_errors(self, exc: ValidationError) -> None:
        kind = self.cleaned_data.get("kind")
        for field, errors in exc.message_dict.items():
            if field == "subject_id":
                field = "assessment" if kind == "assessment" else "subject"
            self.add_error(field if field in self.fields else None, errors)


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
