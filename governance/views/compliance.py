"""Compliance pages: the overview, a framework across the inventory, one model's matrix, the record form and
evidence downloads (served through tenancy checks, never from a public media URL)."""

from pathlib import PurePath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from governance.core.exports import export_response
from governance.core.roles import Permission
from governance.core.tenancy import can, current_organisation, get_for_user, require
from governance.forms.compliance import ComplianceRecordForm
from governance.models import (
    AIModel,
    ComplianceRecord,
    ComplianceStatus,
    Framework,
    LifecycleStage,
    Requirement,
)
from governance.selectors import compliance as selectors
from governance.selectors.home import coverage_chart
from governance.selectors.technical_documentation import annex_iv_overview
from governance.services import compliance as services

MATRIX_ROWS_PER_PAGE = 50


def _framework(key: str) -> Framework:
    framework = selectors.current_framework(key)
    if framework is None:
        raise Http404("No such framework.")
    return framework


def _model(request: HttpRequest, pk: int) -> AIModel:
    return get_for_user(AIModel.objects.select_related("business_unit", "owner"), request.user, pk=pk)


@login_required
@require_GET
def compliance_overview(request: HttpRequest) -> HttpResponse:
    """Every current framework with the organisation's coverage, scope, failures and reviews due."""
    organisation = current_organisation(request)
    summaries = selectors.compliance_overview(organisation)
    return render(
        request,
        "governance/compliance_overview.html",
        {
            "summaries": summaries,
            "chart": coverage_chart(summaries),
            "due_soon_days": selectors.REVIEW_DUE_SOON_DAYS,
            "annex_iv": annex_iv_overview(organisation),
        },
    )


@login_required
@require_GET
def compliance_framework_export(
    request: HttpRequest, framework_key: str, export_format: str = "csv"
) -> HttpResponse:
    """The framework matrix for every in-scope model, one row per model and requirement, as CSV or XLSX."""
    organisation = current_organisation(request)
    framework = _framework(framework_key)
    return export_response(
        export_format,
        f"{organisation.slug}-{framework.key}-{framework.version}",
        selectors.MATRIX_EXPORT_COLUMNS,
        selectors.matrix_export_rows(organisation, framework),
        title=framework.name,
    )


@login_required
@require_GET
def compliance_framework(request: HttpRequest, framework_key: str) -> HttpResponse:
    """One framework across the inventory: models x requirements with status cells and coverage per model.

    The figures cover every model in scope; the matrix shows MATRIX_ROWS_PER_PAGE models a page, so the page
    stays readable (and small) for an inventory of hundreds.
    """
    organisation = current_organisation(request)
    framework = _framework(framework_key)
    matrix = selectors.framework_page(organisation, framework, request.GET.get("page"), MATRIX_ROWS_PER_PAGE)
    return render(
        request,
        "governance/compliance_framework.html",
        {
            "matrix": matrix,
            "page": matrix.page,
            "frameworks": selectors.current_frameworks(),
            "due_soon_days": selectors.REVIEW_DUE_SOON_DAYS,
        },
    )


@login_required
@require_GET
def compliance_model(request: HttpRequest, pk: int, framework_key: str) -> HttpResponse:
    """One model's matrix against one framework, with evidence, reviewers and next reviews."""
    model = _model(request, pk)
    framework = _framework(framework_key)
    retired = model.lifecycle_stage == LifecycleStage.RETIRED
    return render(
        request,
        "governance/compliance_model.html",
        {
            "matrix": selectors.model_matrix(model, framework),
            "summaries": selectors.model_summary(model),
            "can_edit": can(request.user, model.organisation_id, Permission.COMPLIANCE_EDIT) and not retired,
            "retired": retired,
            "due_soon_days": selectors.REVIEW_DUE_SOON_DAYS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def compliance_record_edit(request: HttpRequest, pk: int, requirement_pk: int) -> HttpResponse:
    """Record a review of a model against a requirement (status, evidence, notes, next review)."""
    model = _model(request, pk)
    require(request.user, model.organisation_id, Permission.COMPLIANCE_EDIT)
    requirement = (
        Requirement.objects.select_related("framework")
        .filter(pk=requirement_pk, framework__is_current=True)
        .first()
    )
    if requirement is None or not selectors.applies_to_model(requirement, model):
        raise Http404("This requirement does not apply to this model.")
    if model.lifecycle_stage == LifecycleStage.RETIRED:
        raise Http404("Retired models are outside compliance scope.")
    record = (
        ComplianceRecord.objects.filter(model=model, requirement=requirement)
        .select_related("reviewer")
        .first()
    )
    initial = services.record_fields(record) if record else {}
    if initial.get("status") == ComplianceStatus.NOT_ASSESSED:
        initial.pop("status")
    has_file = bool(record and record.evidence_file)
    posted = request.method == "POST"
    form = ComplianceRecordForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        initial=initial,
        has_file=has_file,
    )
    back = reverse("governance:compliance-model", args=[model.pk, requirement.framework.key])
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_record(
                actor=request.user,
                model=model,
                requirement=requirement,
                status=data["status"],
                not_applicable_reason=data["not_applicable_reason"],
                evidence_file=data["evidence_file"] or None,
                evidence_link=data["evidence_link"],
                notes=data["notes"],
                next_review_due=data["next_review_due"],
                clear_evidence_file=data.get("clear_evidence_file", False),
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"{requirement.ref} recorded for {model.name}.")
            return HttpResponseRedirect(f"{back}#req-{requirement.pk}")
    return render(
        request,
        "governance/compliance_record_form.html",
        {
            "model": model,
            "requirement": requirement,
            "record": record,
            "form": form,
            "back": back,
            "today": timezone.localdate(),
        },
        status=400 if posted else 200,
    )


@login_required
@require_GET
def compliance_evidence(request: HttpRequest, pk: int) -> FileResponse:
    """Download a record's evidence file; another organisation's record answers 404."""
    record = get_for_user(ComplianceRecord.objects.select_related("model"), request.user, pk=pk)
    if not record.evidence_file:
        raise Http404("This record has no evidence file.")
    try:
        handle = record.evidence_file.open("rb")
    except OSError as exc:
        raise Http404("The evidence file is missing from storage.") from exc
    name = PurePath(record.evidence_file.name).name
    return FileResponse(
        handle,
        as_attachment=True,
        filename=name,
        content_type=services.evidence_content_type(name),
    )
