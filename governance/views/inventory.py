"""Model inventory pages: list/filter/export/import, detail, create/edit, stage changes, approvals."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from governance.core.errors import ConflictError
from governance.core.exports import export_response
from governance.core.roles import Permission
from governance.core.tenancy import can, current_organisation, get_for_user, require
from governance.forms.inventory import (
    AIModelForm,
    DecisionForm,
    ImportForm,
    PromotionForm,
    StageChangeForm,
)
from governance.models import AIModel, ApprovalRequest, LifecycleStage
from governance.selectors import comparison as comparison_selectors
from governance.selectors import inventory as selectors
from governance.selectors import model_cards as model_card_selectors
from governance.selectors import release as release_selectors
from governance.selectors.technical_documentation import completeness_of, with_completeness
from governance.services import inventory as services
from governance.views import incidents as incident_views
from governance.views import release as release_views
from governance.views import risks as risk_views

PAGE_SIZE = 25
HISTORY_PAGE_SIZE = 20  # rows per page of a model's version and approval tables


def _filtered(request: HttpRequest):
    organisation = current_organisation(request)
    return selectors.AIModelFilter(
        request.GET or None, queryset=selectors.models_for(organisation), organisation=organisation
    )


@login_required
@require_GET
def model_lookup(request: HttpRequest) -> JsonResponse:
    """Suggestions for the model name pickers: up to 20 of the organisation's models whose name contains ``q``."""
    organisation = current_organisation(request)
    found = selectors.models_named_like(organisation, request.GET.get("q", ""))
    return JsonResponse({"results": [{"id": pk, "name": name} for pk, name in found]})


@login_required
def model_list(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    filterset = _filtered(request)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "governance/model_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "today": timezone.localdate(),
            "can_edit": can(request.user, organisation, Permission.MODEL_EDIT),
        },
    )


@login_required
def model_export(request: HttpRequest, export_format: str = "csv") -> HttpResponse:
    """The filtered inventory as CSV (the import format) or XLSX."""
    organisation = current_organisation(request)
    return export_response(
        export_format,
        f"{organisation.slug}-models",
        selectors.EXPORT_COLUMNS,
        selectors.model_rows(_filtered(request).qs),
        title="Model inventory",
    )


@login_required
def model_import(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    require(request.user, organisation, Permission.MODEL_EDIT)
    row_errors = []
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.import_models_csv(
                actor=request.user, organisation=organisation, content=form.cleaned_data["file"].read()
            )
        except services.CSVImportError as exc:
            row_errors = exc.row_errors
        else:
            messages.success(request, f"Imported {len(created)} model(s).")
            return HttpResponseRedirect(reverse("governance:model-list"))
    return render(
        request,
        "governance/model_import.html",
        {"form": form, "row_errors": row_errors, "columns": services.CSV_COLUMNS},
        status=400 if request.method == "POST" else 200,
    )


def _get_model(request: HttpRequest, pk: int) -> AIModel:
    return get_for_user(AIModel.objects.select_related("business_unit", "owner"), request.user, pk=pk)


def _get_model_for_detail(request: HttpRequest, pk: int) -> AIModel:
    """The model as views that may render its detail page need it: with the counts of its histories."""
    queryset = release_selectors.with_current_policy(
        selectors.with_history_counts(
            AIModel.objects.select_related("organisation", "business_unit", "owner")
        )
    )
    # And what the Annex IV completeness reads (link and release check), in the same statement.
    queryset = with_completeness(queryset)
    return get_for_user(queryset, request.user, pk=pk)


def _history_page(request: HttpRequest, queryset, count: int, param: str) -> tuple[Page, str]:
    """One page of a history table (``?<param>=N``), and the query string its links keep (the other params)."""
    paginator = Paginator(queryset, HISTORY_PAGE_SIZE)
    # Counted with the model already (with_history_counts); this spares the paginator a COUNT query.
    paginator.count = count
    query = request.GET.copy()
    query.pop(param, None)
    return paginator.get_page(request.GET.get(param)), query.urlencode()


def _detail(request: HttpRequest, model: AIModel, stage_form=None, promotion_form=None, status=200):
    versions, versions_query = _history_page(
        request,
        model_card_selectors.with_card_flag(selectors.versions_of(model)),
        model.version_count,
        "versions_page",
    )
    approvals, approvals_query = _history_page(
        request, selectors.approvals_of(model), model.approval_count, "approvals_page"
    )
    kpis = selectors.kpis_of(model)
    # Champion first, then the newest candidates: the release checks and the promotion form read them once.
    candidates = (
        selectors.release_candidates(model) if model.lifecycle_stage != LifecycleStage.RETIRED else []
    )
    risk_section = risk_views.model_section(request, model)
    incident_section = incident_views.model_section(request, model)
    return render(
        request,
        "governance/model_detail.html",
        {
            "model": model,
            "developers": list(model.developers.order_by("username")),
            "versions": versions,
            "versions_query": versions_query,
            "approvals": approvals,
            "approvals_query": approvals_query,
            "kpis": kpis,
            "stage_form": stage_form or StageChangeForm(),
            "promotion_form": promotion_form or PromotionForm(model=model, candidates=candidates),
            # The newest candidate against the champion, from what the page read already (no query).
            "promotion_comparison": comparison_selectors.newest_candidate_comparison(candidates, kpis),
            "has_promotable": model.has_promotable,
            "can_edit": can(request.user, model.organisation_id, Permission.MODEL_EDIT),
            "can_edit_kpis": can(request.user, model.organisation_id, Permission.KPI_EDIT),
            **risk_section,
            **incident_section,
            **release_views.model_section(
                request,
                model,
                kpis=kpis,
                risks=risk_section["model_risks"],
                incidents=incident_section["model_incidents"],
                candidates=candidates,
            ),
            "annex_iv_completeness": completeness_of(model),  # None unless high-risk
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
def model_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _get_model_for_detail(request, pk))


@login_required
def model_create(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    require(request.user, organisation, Permission.MODEL_EDIT)
    form = AIModelForm(request.POST or None, organisation=organisation, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            model = services.create_model(
                actor=request.user, organisation=organisation, **form.service_data()
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"{model.name} was added to the inventory.")
            return HttpResponseRedirect(reverse("governance:model-detail", args=[model.pk]))
    status = 400 if request.method == "POST" else 200  # a POST that gets here was refused
    return render(request, "governance/model_form.html", {"form": form, "model": None}, status=status)


@login_required
def model_edit(request: HttpRequest, pk: int) -> HttpResponse:
    model = _get_model(request, pk)
    require(request.user, model.organisation_id, Permission.MODEL_EDIT)
    form = AIModelForm(request.POST or None, instance=model, organisation=model.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_model(actor=request.user, model=model, **form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "The model was updated.")
            return HttpResponseRedirect(reverse("governance:model-detail", args=[model.pk]))
    status = 400 if request.method == "POST" else 200  # a POST that gets here was refused
    return render(request, "governance/model_form.html", {"form": form, "model": model}, status=status)


@login_required
@require_POST
def model_stage_change(request: HttpRequest, pk: int) -> HttpResponse:
    model = _get_model_for_detail(request, pk)
    require(request.user, model.organisation_id, Permission.MODEL_EDIT)
    form = StageChangeForm(request.POST)
    if form.is_valid():
        try:
            approval = services.request_stage_change(
                actor=request.user,
                model=model,
                stage=form.cleaned_data["requested_stage"],
                justification=form.cleaned_data["justification"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except ConflictError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("governance:model-detail", args=[model.pk]))
        else:
            if approval:
                messages.success(request, "Stage change requested; it waits for an approver.")
            else:
                messages.success(request, f"The model is now {model.get_lifecycle_stage_display().lower()}.")
            return HttpResponseRedirect(reverse("governance:model-detail", args=[model.pk]))
    return _detail(request, model, stage_form=form, status=400)


@login_required
@require_POST
def model_promote(request: HttpRequest, pk: int) -> HttpResponse:
    model = _get_model_for_detail(request, pk)
    require(request.user, model.organisation_id, Permission.MODEL_EDIT)
    form = PromotionForm(request.POST, model=model)
    if form.is_valid():
        try:
            services.request_promotion(
                actor=request.user,
                version=form.cleaned_data["version"],
                justification=form.cleaned_data["justification"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except ConflictError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("governance:model-detail", args=[model.pk]))
        else:
            messages.success(request, "Promotion requested; it waits for an approver.")
            return HttpResponseRedirect(reverse("governance:model-detail", args=[model.pk]))
    return _detail(request, model, promotion_form=form, status=400)


@login_required
def approval_list(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request)
    pending = list(selectors.pending_approvals(organisation))
    can_decide = can(request.user, organisation, Permission.MODEL_APPROVE)
    for approval in pending:
        approval.may_decide = can_decide and request.user.pk not in (
            approval.requested_by_id,
            approval.model.owner_id,
        )
    return render(
        request,
        "governance/approval_list.html",
        {"pending": pending, "can_decide": can_decide, "decision_form": DecisionForm()},
    )


@login_required
@require_POST
def approval_decide(request: HttpRequest, pk: int) -> HttpResponse:
    approval = get_for_user(ApprovalRequest.objects.select_related("model"), request.user, pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or reject.")
        return HttpResponseRedirect(reverse("governance:approval-list"))
    try:
        services.decide_approval(
            actor=request.user,
            request=approval,
            approve=form.cleaned_data["decision"] == "approve",
            comment=form.cleaned_data["comment"],
            override_justification=form.cleaned_data["override_justification"],
            seen_failures=form.cleaned_data["seen_failures"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("governance:approval-detail", args=[approval.pk]))
    except ConflictError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("governance:approval-detail", args=[approval.pk]))
    except PermissionDenied as exc:
        # Separation-of-duties refusals are explained on the page; a role that may never decide gets 403.
        if not can(request.user, approval.organisation_id, Permission.MODEL_APPROVE):
            raise
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("governance:approval-detail", args=[approval.pk]))
    else:
        verb = "approved" if form.cleaned_data["decision"] == "approve" else "rejected"
        messages.success(request, f"Request {verb}: {approval.model.name}.")
    return HttpResponseRedirect(reverse("governance:approval-list"))


@login_required
def model_versions_export(request: HttpRequest, pk: int, export_format: str = "csv") -> HttpResponse:
    """Every version of the model, with its lineage and metrics, as CSV or XLSX."""
    model = _get_model(request, pk)
    return export_response(
        export_format,
        f"{model.organisation.slug}-model-{model.pk}-versions",
        selectors.VERSION_EXPORT_COLUMNS,
        selectors.version_rows(model),
        title=f"{model.name} versions",
    )
