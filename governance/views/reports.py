"""Report pages: request and list, progress for the poller, download, verification."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from governance.core import tenancy
from governance.models import AIModel, Organisation, Report, ReportStatus
from governance.reports import selectors, services, verify
from governance.selectors import compliance
from maturity.models import Assessment


class ReportSubjectForm(forms.Form):
    """What a report is about: its kind and, by kind, the model, the assessment or the framework.

    Shared by the request form and the schedule form, so both offer the same kinds and map the service's
    errors back to the same fields.
    """

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
        required=False, label="Framework", help_text="Only for a compliance report."
    )

    def __init__(self, *args, organisation: Organisation | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = services.available_kinds()
        self.fields["framework"].choices = [("", "---------")] + [
            (f.key, str(f)) for f in compliance.current_frameworks()
        ]
        self.fields["subject"].queryset = AIModel.objects.filter(organisation=organisation).only("pk", "name")
        self.fields["assessment"].queryset = Assessment.objects.filter(organisation=organisation).only(
            "pk", "title"
        )

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
        """Show the service's errors on the fields they concern (its ``subject_id`` is one of two fields)."""
        kind = self.cleaned_data.get("kind")
        for field, errors in exc.message_dict.items():
            if field == "subject_id":
                field = "assessment" if kind == "assessment" else "subject"
            self.add_error(field if field in self.fields else None, errors)


class ReportRequestForm(ReportSubjectForm):
    period_start = forms.DateField(
        required=False,
        label="Period from",
        help_text="Optional; an organisation maturity report then uses assessments approved in the period.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    period_end = forms.DateField(
        required=False, label="Period to", widget=forms.DateInput(attrs={"type": "date"})
    )

    def parameters(self) -> dict:
        """The framework of a compliance report, and the period of an organisation maturity report if given."""
        parameters = super().parameters()
        if self.cleaned_data.get("kind") == "organisation_maturity":
            for name in ("period_start", "period_end"):
                if self.cleaned_data.get(name):
                    parameters[name] = self.cleaned_data[name].isoformat()
        return parameters


class VerifyForm(forms.Form):
    report_id = forms.IntegerField(label="Report id", required=False, min_value=1)
    file = forms.FileField(label="PDF file", required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("report_id") and not cleaned.get("file"):
            raise ValidationError("Give a report id or upload a PDF.")
        return cleaned


def _organisation(request: HttpRequest):
    if request.organisation is None:
        raise Http404("You are not a member of any organisation.")
    return request.organisation


@login_required
@require_http_methods(["GET", "POST"])
def report_list(request: HttpRequest) -> HttpResponse:
    organisation = _organisation(request)
    form = ReportRequestForm(request.POST if request.method == "POST" else None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        try:
            report = services.request_report(
                request.user, organisation, kind, form.subject_id(), form.parameters()
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Report #{report.pk} is queued; this page shows its progress.")
            return redirect("governance:report-list")
    page = Paginator(selectors.reports_for(request.user, organisation), 25).get_page(request.GET.get("page"))
    can_request = tenancy.can(request.user, organisation, "report.request")
    return render(
        request,
        "reports/list.html",
        {"form": form, "page": page, "can_request": can_request, "organisation": organisation},
        status=400 if request.method == "POST" else 200,
    )


@never_cache
@login_required
def report_status(request: HttpRequest) -> JsonResponse:
    """Progress of the listed reports (``?id=1&id=2``) for the list page's poller."""
    # ASCII digits ("²".isdigit() is true), no wider than an id can be (SQLite refuses wider integers).
    ids = [int(v) for v in request.GET.getlist("id") if v.isascii() and v.isdigit() and len(v) <= 18][:100]
    reports = selectors.reports_for(request.user).filter(pk__in=ids)
    return JsonResponse({"reports": [selectors.status_payload(r) for r in reports]})


@login_required
def report_download(request: HttpRequest, pk: int) -> FileResponse:
    report = tenancy.get_for_user(Report.objects.all(), request.user, pk=pk)
    if report.status != ReportStatus.SUCCEEDED or not report.file:
        raise Http404("This report has no file yet.")
    try:
        handle = report.file.open("rb")
    except OSError as exc:
        raise Http404("The report's file is missing from storage.") from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"plumbline-report-{report.pk}.pdf",
        content_type="application/pdf",
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_verify(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = VerifyForm(request.POST if posted else None, request.FILES if posted else None)
    result = None
    if posted and form.is_valid():
        visible = selectors.reports_for(request.user)
        if form.cleaned_data.get("file"):
            upload = form.cleaned_data["file"]
            report = verify.find_by_content(visible, upload.chunks())
            result = {"match": report is not None, "report": report, "mode": "file"}
        else:
            report = visible.filter(pk=form.cleaned_data["report_id"]).first()
            result = {
                "match": report is not None and verify.stored_file_matches(report),
                "report": report,
                "mode": "id",
            }
    status = 400 if posted and form.errors else 200
    return render(request, "reports/verify.html", {"form": form, "result": result}, status=status)
