"""Report pages: request and list, progress for the poller, download, verification."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from governance.core import tenancy
from governance.core.roles import Permission
from governance.core.tenancy import current_organisation
from governance.forms.reports import ReportRequestForm, VerifyForm
from governance.models import Report, ReportStatus
from governance.reports import selectors, services, verify


@login_required
@require_http_methods(["GET", "POST"])
def report_list(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    form = ReportRequestForm(
        request.POST if request.method == "POST" else None, organisation=organisation, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        try:
            report = services.request_report(
                actor=request.user,
                organisation=organisation,
                kind=kind,
                subject_id=form.subject_id(),
                parameters=form.parameters(),
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Report #{report.pk} is queued; this page shows its progress.")
            return redirect("governance:report-list")
    page = Paginator(selectors.reports_for(request.user, organisation), 25).get_page(request.GET.get("page"))
    can_request = tenancy.can(request.user, organisation, Permission.REPORT_REQUEST)
    return render(
        request,
        "governance/reports/list.html",
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
    return render(request, "governance/reports/verify.html", {"form": form, "result": result}, status=status)
