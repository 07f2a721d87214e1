"""Statement of Applicability pages: the statement, one control's decision, issuing, issued copies, the
difference between two issues, spreadsheets and evidence downloads (served through tenancy checks)."""

from pathlib import PurePath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from governance.core.exports import export_response
from governance.core.roles import Permission
from governance.core.tenancy import can, current_organisation, get_for_user
from governance.forms.applicability import ControlApplicabilityForm, StatementIssueForm
from governance.models import ControlApplicability, Framework, IssuedStatement, Organisation
from governance.reports import services as report_services
from governance.rules.applicability import statement_changes, statement_counts
from governance.selectors import applicability as selectors
from governance.services import applicability as services
from governance.services.compliance import evidence_content_type

STATEMENT_OF_APPLICABILITY = "statement_of_applicability"


def _framework() -> Framework:
    framework = selectors.annex_a_framework()
    if framework is None:
        raise Http404("The ISO/IEC 42001 catalogue is not loaded.")
    return framework


def _issued(organisation: Organisation, number: int) -> IssuedStatement:
    issued = selectors.issued_statement(organisation, number)
    if issued is None:
        raise Http404("No such issued statement.")
    return issued


def _statement_page(
    request: HttpRequest, organisation: Organisation, issue_form: StatementIssueForm, status=200
):
    framework = _framework()
    rows = selectors.statement_rows(organisation, framework)
    sections: dict[str, list] = {}
    for row in rows:
        sections.setdefault(row.control.section, []).append(row)
    return render(
        request,
        "governance/applicability/statement.html",
        {
            "framework": framework,
            "sections": sections,
            "summary": selectors.statement_summary(rows),
            "issued": list(selectors.issued_statements(organisation)[:20]),
            "can_edit": can(request.user, organisation, Permission.APPLICABILITY_EDIT),
            "issue_form": issue_form,
        },
        status=status,
    )


@login_required
@require_GET
def statement(request: HttpRequest) -> HttpResponse:
    """Every Annex A control with the organisation's decision, status, owner, evidence and reviews."""
    organisation = current_organisation(request)
    return _statement_page(request, organisation, StatementIssueForm())


@login_required
@require_http_methods(["GET", "POST"])
def control_edit(request: HttpRequest, requirement_pk: int) -> HttpResponse:
    """Decide one control: applicable or not, why, how far implemented, by whom, with which evidence."""
    organisation = current_organisation(request, permission=Permission.APPLICABILITY_EDIT)
    framework = _framework()
    control = (
        selectors.annex_a_controls(framework).select_related("framework").filter(pk=requirement_pk).first()
    )
    if control is None:
        raise Http404("No such Annex A control in the current catalogue.")
    entry, from_earlier = selectors.entry_for(organisation, control)
    initial = {}
    if entry is not None:
        initial = {
            "applicable": {True: "yes", False: "no"}.get(entry.applicable, ""),
            "justification": entry.justification,
            "implementation_status": entry.implementation_status,
            "owner": entry.owner_id,
            "evidence_link": entry.evidence_link,
            "next_review_due": entry.next_review_due,
        }
    posted = request.method == "POST"
    form = ControlApplicabilityForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        initial=initial,
        organisation=organisation,
        has_file=bool(entry and entry.evidence_file),
    )
    back = reverse("governance:applicability")
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            services.applicability_update(
                actor=request.user,
                organisation=organisation,
                control=control,
                applicable=data["applicable"],
                justification=data["justification"],
                implementation_status=data["implementation_status"],
                owner=data["owner"],
                evidence_file=data["evidence_file"] or None,
                evidence_link=data["evidence_link"],
                next_review_due=data["next_review_due"],
                clear_evidence_file=data.get("clear_evidence_file", False),
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"{control.ref} {control.title}: decision recorded.")
            return HttpResponseRedirect(f"{back}#ctl-{control.pk}")
    return render(
        request,
        "governance/applicability/control_form.html",
        {"control": control, "entry": entry, "from_earlier": from_earlier, "form": form, "back": back},
        status=400 if posted else 200,
    )


@login_required
@require_POST
def statement_issue(request: HttpRequest) -> HttpResponse:
    """Issue the current statement as the next numbered, hashed copy."""
    organisation = current_organisation(request, permission=Permission.APPLICABILITY_EDIT)
    form = StatementIssueForm(request.POST)
    if form.is_valid():
        try:
            issued = services.statement_issue(
                actor=request.user, organisation=organisation, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"{issued} is issued (SHA-256 {issued.sha256[:16]}…).")
            return HttpResponseRedirect(reverse("governance:applicability-issued", args=[issued.number]))
    return _statement_page(request, organisation, form, status=400)


@login_required
@require_GET
def issued_detail(request: HttpRequest, number: int) -> HttpResponse:
    """One issued statement exactly as it was issued, with what changed since the issue before it."""
    organisation = current_organisation(request)
    issued = _issued(organisation, number)
    previous = (
        IssuedStatement.objects.filter(organisation=organisation, number__lt=number)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return render(
        request,
        "governance/applicability/issued.html",
        {
            "issued": issued,
            "counts": statement_counts(issued.entries),
            "previous": previous,
            "status_labels": selectors.STATUS_LABELS,
            "can_request_pdf": can(request.user, organisation, Permission.REPORT_REQUEST),
        },
    )


@login_required
@require_POST
def issued_pdf(request: HttpRequest, number: int) -> HttpResponse:
    """Queue the PDF of an issued statement (rendered by a worker like every report)."""
    organisation = current_organisation(request, permission=Permission.REPORT_REQUEST)
    issued = _issued(organisation, number)
    try:
        report = report_services.request_report(
            actor=request.user,
            organisation=organisation,
            kind=STATEMENT_OF_APPLICABILITY,
            subject_id=issued.pk,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("governance:applicability-issued", args=[number]))
    messages.success(request, f"Report #{report.pk} is queued; this page shows its progress.")
    return HttpResponseRedirect(reverse("governance:report-list"))


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) <= 9 else None


@login_required
@require_GET
def issued_diff(request: HttpRequest) -> HttpResponse:
    """Controls whose applicability, status, justification, owner or evidence changed between two issues
    (``?from=1&to=2``; by default the latest issue against the one before it)."""
    organisation = current_organisation(request)
    numbers = list(
        IssuedStatement.objects.filter(organisation=organisation)
        .order_by("-number")
        .values_list("number", flat=True)
    )
    newer_number = _number(request.GET.get("to")) or (numbers[0] if numbers else None)
    older_number = _number(request.GET.get("from"))
    if older_number is None and newer_number is not None:
        older_number = next((n for n in numbers if n < newer_number), None)
    if newer_number is None or older_number is None:
        return render(
            request,
            "governance/applicability/diff.html",
            {"numbers": numbers, "changes": None},
        )
    older, newer = _issued(organisation, older_number), _issued(organisation, newer_number)
    changes = statement_changes(older.entries, newer.entries)
    return render(
        request,
        "governance/applicability/diff.html",
        {
            "numbers": numbers,
            "older": older,
            "newer": newer,
            "changes": changes,
            "applicability_changed": sum(c.applicability_changed for c in changes),
            "status_changed": sum(c.status_changed for c in changes),
            "status_labels": selectors.STATUS_LABELS,
        },
    )


@login_required
@require_GET
def statement_export(request: HttpRequest, export_format: str = "csv") -> HttpResponse:
    """The current statement (every control, decided or not) as CSV or XLSX."""
    organisation = current_organisation(request)
    rows = selectors.statement_rows(organisation, _framework())
    return export_response(
        export_format,
        f"{organisation.slug}-statement-of-applicability",
        selectors.EXPORT_COLUMNS,
        selectors.export_rows(selectors.entry_snapshot(row) for row in rows),
        title="Statement of Applicability",
    )


@login_required
@require_GET
def issued_export(request: HttpRequest, number: int, export_format: str = "csv") -> HttpResponse:
    """An issued statement as CSV or XLSX, exactly as issued."""
    organisation = current_organisation(request)
    issued = _issued(organisation, number)
    return export_response(
        export_format,
        f"{organisation.slug}-statement-of-applicability-issue-{number}",
        selectors.EXPORT_COLUMNS,
        selectors.export_rows(issued.entries),
        title=f"SoA issue {number}",
    )


@login_required
@require_GET
def applicability_evidence(request: HttpRequest, pk: int) -> FileResponse:
    """Download a control's evidence file; another organisation's entry answers 404."""
    entry = get_for_user(ControlApplicability.objects.all(), request.user, pk=pk)
    if not entry.evidence_file:
        raise Http404("This control has no evidence file.")
    try:
        handle = entry.evidence_file.open("rb")
    except OSError as exc:
        raise Http404("The evidence file is missing from storage.") from exc
    name = PurePath(entry.evidence_file.name).name
    return FileResponse(handle, as_attachment=True, filename=name, content_type=evidence_content_type(name))
