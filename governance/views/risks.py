"""Risk register pages: the organisation's register with its inherent and residual heat maps, one risk, and
creating, editing and deleting risks of a model."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from governance import risk_charts
from governance.core.exports import export_response
from governance.core.roles import Permission
from governance.core.tenancy import can, current_organisation, get_for_user, require
from governance.forms.risks import RiskForm
from governance.models import AIModel, Risk
from governance.rules.risk_scoring import ACTIVE_STATUSES, score_band
from governance.selectors import risks as selectors
from governance.services import risks as services

PAGE_SIZE = 25
# Query parameters that pick one heat map cell; a cell link replaces them and keeps the other filters.
CELL_PARAMS = ("likelihood", "impact", "residual_likelihood", "residual_impact", "page")


def _get_risk(request: HttpRequest, pk: int) -> Risk:
    return get_for_user(Risk.objects.select_related("model", "owner"), request.user, pk=pk)


def _cell_grid(grid: list[list[int]], url) -> list[dict]:
    """The heat map as table rows, impact 5 at the top, for the accessible (and no-JavaScript) version."""
    rows = []
    for impact in range(5, 0, -1):
        cells = [
            {
                "likelihood": likelihood,
                "count": grid[impact - 1][likelihood - 1],
                "band": score_band(likelihood * impact),
                "url": url(likelihood, impact),
            }
            for likelihood in range(1, 6)
        ]
        rows.append({"impact": impact, "label": risk_charts.IMPACT_LABELS[impact - 1], "cells": cells})
    return rows


@login_required
def risk_heatmap(request: HttpRequest) -> HttpResponse:
    """The organisation's risk register (filtered, paginated) with inherent and residual heat maps."""
    organisation = current_organisation(request)
    filterset = selectors.RiskFilter(
        request.GET or None, queryset=selectors.risks_for(organisation), organisation=organisation
    )
    risks = filterset.qs
    page = Paginator(risks, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _decorate(page.object_list, timezone.localdate())
    query = request.GET.copy()
    query.pop("page", None)
    base = request.GET.copy()
    for param in CELL_PARAMS:
        base.pop(param, None)
    register = reverse("governance:risk-heatmap")
    chosen = filterset.form.cleaned_data if filterset.is_bound and filterset.is_valid() else {}
    # Closed risks are no longer exposure; the heat maps show them only when the filters ask for them.
    include_closed = filterset.includes_closed()

    def cell_url(prefix: str):
        def url(likelihood: int, impact: int) -> str:
            params = base.copy()
            params[f"{prefix}likelihood"], params[f"{prefix}impact"] = str(likelihood), str(impact)
            if not include_closed:
                # The heat maps leave closed risks out; so does the list a cell opens.
                params["active"] = "true"
            return f"{register}?{params.urlencode()}#register"

        return url

    inherent, residual = selectors.heatmap_grids(risks, include_closed=include_closed)
    cell = "; ".join(
        f"{kind} likelihood {chosen.get(p + 'likelihood') or 'any'}, impact {chosen.get(p + 'impact') or 'any'}"
        for kind, p in (("inherent", ""), ("residual", "residual_"))
        if chosen.get(p + "likelihood") or chosen.get(p + "impact")
    )
    return render(
        request,
        "governance/risk_heatmap.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "today": timezone.localdate(),
            "can_edit": can(request.user, organisation, Permission.RISK_EDIT),
            "inherent_json": json.loads(
                risk_charts.heatmap_figure(inherent, cell_url=cell_url("")).to_json()
            ),
            "residual_json": json.loads(
                risk_charts.heatmap_figure(residual, cell_url=cell_url("residual_")).to_json()
            ),
            "inherent_rows": _cell_grid(inherent, cell_url("")),
            "residual_rows": _cell_grid(residual, cell_url("residual_")),
            "inherent_total": risk_charts.total(inherent),
            "residual_total": risk_charts.total(residual),
            "likelihood_labels": risk_charts.LIKELIHOOD_LABELS,
            "legend": risk_charts.band_legend(),
            "include_closed": include_closed,
            "cell_filters": selectors.CELL_FILTERS,
            "cell": cell,
            "query_without_cell": base.urlencode(),
        },
    )


@login_required
def risk_export(request: HttpRequest, export_format: str = "csv") -> HttpResponse:
    """The filtered register as CSV or XLSX (every page, not just the one shown)."""
    organisation = current_organisation(request)
    filterset = selectors.RiskFilter(
        request.GET or None, queryset=selectors.risks_for(organisation), organisation=organisation
    )
    return export_response(
        export_format,
        f"{organisation.slug}-risks",
        selectors.EXPORT_COLUMNS,
        selectors.risk_rows(filterset.qs),
        title="Risk register",
    )


@login_required
def risk_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One risk, readable by every member (the register row shows only a summary)."""
    risk = _decorate([_get_risk(request, pk)], timezone.localdate())[0]
    return render(
        request,
        "governance/risk_detail.html",
        {"risk": risk, "can_edit": can(request.user, risk.organisation_id, Permission.RISK_EDIT)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def risk_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a risk to a model (``pk`` is the model's)."""
    model = get_for_user(AIModel.objects.select_related("organisation"), request.user, pk=pk)
    require(request.user, model.organisation_id, Permission.RISK_EDIT)
    form = RiskForm(request.POST or None, organisation=model.organisation, initial={"owner": model.owner_id})
    if request.method == "POST" and form.is_valid():
        try:
            risk = services.create_risk(
                actor=request.user, organisation=model.organisation, model=model, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Risk “{risk.title}” was added to the register.")
            return HttpResponseRedirect(reverse("governance:model-detail", args=[model.pk]) + "#risks-h")
    return render(
        request,
        "governance/risk_form.html",
        {"form": form, "model": model, "risk": None},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def risk_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a risk: reassess it, record its mitigation and residual levels, close it."""
    risk = _get_risk(request, pk)
    require(request.user, risk.organisation_id, Permission.RISK_EDIT)
    form = RiskForm(request.POST or None, instance=risk, organisation=risk.model.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_risk(actor=request.user, risk=risk, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "The risk was updated.")
            return HttpResponseRedirect(reverse("governance:risk-detail", args=[risk.pk]))
    return render(
        request,
        "governance/risk_form.html",
        {"form": form, "model": risk.model, "risk": risk},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def risk_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes the risk (the audit trail keeps what it said)."""
    risk = _get_risk(request, pk)
    require(request.user, risk.organisation_id, Permission.RISK_EDIT)
    if request.method == "POST":
        model_pk = risk.model_id
        services.delete_risk(actor=request.user, risk=risk)
        messages.success(request, f"Risk “{risk.title}” was deleted.")
        return HttpResponseRedirect(reverse("governance:model-detail", args=[model_pk]) + "#risks-h")
    return render(request, "governance/record_confirm_delete.html", _delete_context(risk))


def _delete_context(risk: Risk) -> dict:
    return {
        "object": risk,
        "kind": "risk",
        "cancel_url": reverse("governance:risk-detail", args=[risk.pk]),
        "consequence": "The risk leaves the register and the heat maps; the audit trail keeps its last content.",
    }


def _decorate(risks, today) -> list[Risk]:
    """Attach what rows show but the model does not store: the bands and whether the risk is overdue."""
    risks = list(risks)
    for risk in risks:
        risk.inherent_band = score_band(risk.inherent_score)
        risk.residual_band = score_band(risk.residual_score)
        risk.is_overdue = (
            risk.due_date is not None and risk.due_date < today and risk.status in ACTIVE_STATUSES
        )
    return risks


def model_section(request: HttpRequest, model: AIModel) -> dict:
    """Context of the model page's risk section (``_model_risks.html``): one query."""
    return {
        "model_risks": _decorate(selectors.risks_of(model), timezone.localdate()),
        "can_edit_risks": can(request.user, model.organisation_id, Permission.RISK_EDIT),
    }
