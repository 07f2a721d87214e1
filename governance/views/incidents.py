"""Incident pages: the organisation's incident list with losses, one incident, and recording, editing and
deleting incidents of a model."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from governance.core.exports import export_response
from governance.core.roles import Permission
from governance.core.tenancy import can, current_organisation, get_for_user, require
from governance.forms.incidents import IncidentForm
from governance.models import AIModel, Incident
from governance.selectors import incidents as selectors
from governance.services import incidents as services

PAGE_SIZE = 25


def _get_incident(request: HttpRequest, pk: int) -> Incident:
    return get_for_user(Incident.objects.select_related("model", "reported_by"), request.user, pk=pk)


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    """The organisation's incidents (filtered, paginated) with the total loss per currency."""
    organisation = current_organisation(request)
    filterset = selectors.IncidentFilter(
        request.GET or None, queryset=selectors.incidents_for(organisation), organisation=organisation
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "governance/incident_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "losses": selectors.losses_by_currency(filterset.qs),
            "can_edit": can(request.user, organisation, Permission.INCIDENT_EDIT),
        },
    )


@login_required
def incident_export(request: HttpRequest, export_format: str = "csv") -> HttpResponse:
    """The filtered incidents as CSV or XLSX (every page, not just the one shown)."""
    organisation = current_organisation(request)
    filterset = selectors.IncidentFilter(
        request.GET or None, queryset=selectors.incidents_for(organisation), organisation=organisation
    )
    return export_response(
        export_format,
        f"{organisation.slug}-incidents",
        selectors.EXPORT_COLUMNS,
        selectors.incident_rows(filterset.qs),
        title="Incidents",
    )


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One incident: the time line, impact and loss, root cause and actions."""
    incident = _get_incident(request, pk)
    return render(
        request,
        "governance/incident_detail.html",
        {
            "incident": incident,
            "can_edit": can(request.user, incident.organisation_id, Permission.INCIDENT_EDIT),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def incident_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Record an incident of a model (``pk`` is the model's)."""
    model = get_for_user(AIModel.objects.select_related("organisation"), request.user, pk=pk)
    require(request.user, model.organisation_id, Permission.INCIDENT_EDIT)
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.create_incident(
                actor=request.user, organisation=model.organisation, model=model, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Incident “{incident.title}” was recorded.")
            return HttpResponseRedirect(reverse("governance:incident-detail", args=[incident.pk]))
    return render(
        request,
        "governance/incident_form.html",
        {"form": form, "model": model, "incident": None},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def incident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an incident: add what was learned, record actions, close it."""
    incident = _get_incident(request, pk)
    require(request.user, incident.organisation_id, Permission.INCIDENT_EDIT)
    form = IncidentForm(request.POST or None, instance=incident)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_incident(actor=request.user, incident=incident, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "The incident was updated.")
            return HttpResponseRedirect(reverse("governance:incident-detail", args=[incident.pk]))
    return render(
        request,
        "governance/incident_form.html",
        {"form": form, "model": incident.model, "incident": incident},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def incident_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes the incident (the audit trail keeps what it said)."""
    incident = _get_incident(request, pk)
    require(request.user, incident.organisation_id, Permission.INCIDENT_EDIT)
    if request.method == "POST":
        services.delete_incident(actor=request.user, incident=incident)
        messages.success(request, f"Incident “{incident.title}” was deleted.")
        return HttpResponseRedirect(reverse("governance:incident-list"))
    return render(
        request,
        "governance/record_confirm_delete.html",
        {
            "object": incident,
            "kind": "incident",
            "cancel_url": reverse("governance:incident-detail", args=[incident.pk]),
            "consequence": "Delete only an incident recorded by mistake; close a real one instead. "
            "The audit trail keeps its last content.",
        },
    )


def model_section(request: HttpRequest, model: AIModel) -> dict:
    """Context of the model page's incident section (``_model_incidents.html``): one query."""
    return {
        "model_incidents": selectors.incidents_of(model),
        "can_edit_incidents": can(request.user, model.organisation_id, Permission.INCIDENT_EDIT),
    }
