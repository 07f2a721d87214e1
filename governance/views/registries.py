"""MLflow registry pages: every member may see which registries feed the inventory and how their last sync went;
administrators connect them, change them and ask for a sync now. The access token is write-only: no page, message
or audit event shows it back."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from governance.core.errors import ConflictError
from governance.core.roles import Permission
from governance.core.tenancy import can, current_organisation, get_for_user, require
from governance.forms.registries import RegistryConnectionForm
from governance.models import Organisation, RegistryConnection
from governance.selectors import registries as selectors
from governance.services import registry_sync as services

READ = Permission.VIEW
MANAGE = Permission.ORGANISATION_MANAGE


def _get_connection(request: HttpRequest, pk: int, permission: Permission) -> RegistryConnection:
    """One of the user's organisations' connections (404 otherwise), if their role there allows ``permission``."""
    connection = get_for_user(RegistryConnection.objects.select_related("organisation"), request.user, pk=pk)
    require(request.user, connection.organisation, permission)
    return connection


def _list_url() -> str:
    return reverse("governance:registry-list")


def _save(
    request: HttpRequest,
    organisation: Organisation,
    form: RegistryConnectionForm,
    connection: RegistryConnection | None,
) -> HttpResponse | None:
    """Save a valid form through the service; the redirect to send, or None to show the form's errors."""
    data = form.cleaned_data
    try:
        saved = services.registry_connection_save(
            actor=request.user,
            organisation=organisation,
            name=data["name"],
            tracking_url=data["tracking_url"],
            token=form.token_argument(),
            champion_alias=data["champion_alias"],
            active=data["active"],
            connection=connection,
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        return None
    if connection is None:
        messages.success(request, f"Registry connected: {saved.name}. Use “Sync now” to import its models.")
    else:
        messages.success(request, f"Registry connection saved: {saved.name}.")
    return HttpResponseRedirect(_list_url())


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def registry_list(request: HttpRequest) -> HttpResponse:
    """The organisation's registry connections and their last sync, and (for administrators) the form to add one."""
    organisation = current_organisation(request, permission=READ)
    can_manage = can(request.user, organisation, MANAGE)
    form, status = None, 200
    if request.method == "POST":
        require(request.user, organisation, MANAGE)
        form = RegistryConnectionForm(request.POST)
        if form.is_valid() and (response := _save(request, organisation, form, None)) is not None:
            return response
        status = 400
    elif can_manage:
        form = RegistryConnectionForm()
    return render(
        request,
        "governance/registries/list.html",
        {
            "organisation": organisation,
            "connections": selectors.connections_for(organisation),
            "form": form,
            "can_manage": can_manage,
            "sync_minutes": settings.REGISTRY_SYNC_MINUTES,
        },
        status=status,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def registry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    connection = _get_connection(request, pk, MANAGE)
    posted = request.method == "POST"
    form = RegistryConnectionForm(request.POST if posted else None, connection=connection)
    if posted and form.is_valid():
        response = _save(request, connection.organisation, form, connection)
        if response is not None:
            return response
    return render(
        request,
        "governance/registries/form.html",
        {"form": form, "connection": connection},
        status=400 if posted else 200,
    )


@login_required
@require_POST
def registry_sync_now(request: HttpRequest, pk: int) -> HttpResponse:
    connection = _get_connection(request, pk, MANAGE)
    try:
        services.registry_sync_request(actor=request.user, connection=connection)
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"A sync of {connection.name} is on its way; its result shows below once a worker has run it.",
        )
    return HttpResponseRedirect(_list_url())
