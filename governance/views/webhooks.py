"""Webhook pages: administrators register, change, test and delete endpoints; whoever may read the audit trail
(administrators, executives, risk officers, auditors) may read the endpoints and their delivery logs, which show
where the organisation's events go. A secret is shown once, on the page that answers its creation or rotation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from governance.core.errors import ConflictError
from governance.core.roles import Permission
from governance.core.tenancy import can, current_organisation, get_for_user, require
from governance.forms.webhooks import WebhookEndpointForm
from governance.models import Organisation, WebhookDelivery, WebhookEndpoint
from governance.selectors import webhooks as selectors
from governance.services import webhooks as services

# Reading endpoints and their logs goes with reading the audit trail; changing them is an administrator's.
READ = Permission.AUDIT_VIEW
MANAGE = Permission.ORGANISATION_MANAGE
PAGE_SIZE = 50


def _get_endpoint(request: HttpRequest, pk: int, permission: Permission) -> WebhookEndpoint:
    """One of the user's organisations' endpoints (404 otherwise), if their role there allows ``permission``."""
    endpoint = get_for_user(WebhookEndpoint.objects.select_related("organisation"), request.user, pk=pk)
    require(request.user, endpoint.organisation, permission)
    return endpoint


def _list_url() -> str:
    return reverse("governance:webhook-list")


def _secret_page(
    request: HttpRequest, endpoint: WebhookEndpoint, secret: str, *, created: bool
) -> HttpResponse:
    # Rendered as the answer to the POST, never redirected through the session: it exists only in this response.
    return render(
        request,
        "governance/webhooks/secret.html",
        {"endpoint": endpoint, "secret": secret, "created": created},
    )


def _save(
    request: HttpRequest,
    organisation: Organisation,
    form: WebhookEndpointForm,
    endpoint: WebhookEndpoint | None,
) -> HttpResponse | None:
    """Save a valid form through the service; the response to send, or None to show the form's errors."""
    data = form.cleaned_data
    try:
        saved, secret = services.webhook_endpoint_save(
            actor=request.user,
            organisation=organisation,
            name=data["name"],
            url=data["url"],
            events=data["events"],
            secret=data["secret"] or None,
            active=data["active"],
            endpoint=endpoint,
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        return None
    if secret:
        return _secret_page(request, saved, secret, created=True)
    messages.success(request, f"Webhook {'saved' if endpoint else 'registered'}: {saved.name}.")
    return HttpResponseRedirect(_list_url())


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def webhook_list(request: HttpRequest) -> HttpResponse:
    """The organisation's endpoints, and (for administrators) the form that registers one."""
    organisation = current_organisation(request, permission=READ)
    can_manage = can(request.user, organisation, MANAGE)
    form, status = None, 200
    if request.method == "POST":
        require(request.user, organisation, MANAGE)
        form = WebhookEndpointForm(request.POST)
        if form.is_valid() and (response := _save(request, organisation, form, None)) is not None:
            return response
        status = 400
    elif can_manage:
        form = WebhookEndpointForm()
    return render(
        request,
        "governance/webhooks/list.html",
        {
            "organisation": organisation,
            "endpoints": selectors.endpoints_for(organisation),
            "form": form,
            "can_manage": can_manage,
            "events": services.EVENTS,
        },
        status=status,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _get_endpoint(request, pk, MANAGE)
    posted = request.method == "POST"
    form = WebhookEndpointForm(request.POST if posted else None, endpoint=endpoint)
    if posted and form.is_valid():
        response = _save(request, endpoint.organisation, form, endpoint)
        if response is not None:
            return response
    return render(
        request,
        "governance/webhooks/form.html",
        {"form": form, "endpoint": endpoint},
        status=400 if posted else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _get_endpoint(request, pk, MANAGE)
    if request.method == "POST":
        services.webhook_endpoint_delete(actor=request.user, endpoint=endpoint)
        messages.success(request, f"Webhook deleted: {endpoint.name}. It receives no more events.")
        return HttpResponseRedirect(_list_url())
    return render(
        request,
        "governance/record_confirm_delete.html",
        {
            "kind": "webhook",
            "object": f"{endpoint.name} ({endpoint.url})",
            "consequence": "It receives no more events, and its delivery log is deleted with it.",
            "cancel_url": _list_url(),
        },
    )


@never_cache
@login_required
@require_POST
def webhook_rotate_secret(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _get_endpoint(request, pk, MANAGE)
    secret = services.webhook_secret_rotate(actor=request.user, endpoint=endpoint)
    return _secret_page(request, endpoint, secret, created=False)


@login_required
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _get_endpoint(request, pk, MANAGE)
    try:
        services.webhook_send_test(actor=request.user, endpoint=endpoint)
    except ConflictError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(_list_url())
    messages.success(
        request, f"A test event (ping) is on its way to {endpoint.name}; its outcome shows below."
    )
    return HttpResponseRedirect(reverse("governance:webhook-deliveries", args=[endpoint.pk]))


@login_required
@require_POST
def webhook_enable(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _get_endpoint(request, pk, MANAGE)
    try:
        services.webhook_endpoint_enable(actor=request.user, endpoint=endpoint)
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Webhook re-enabled: {endpoint.name}. Redeliver the failed events from its delivery log.",
        )
    return HttpResponseRedirect(_list_url())


@login_required
@require_GET
def webhook_deliveries(request: HttpRequest, pk: int) -> HttpResponse:
    """An endpoint's delivery log, newest first: each event's outcome, attempts and the receiver's answer."""
    endpoint = _get_endpoint(request, pk, READ)
    page = Paginator(selectors.deliveries_for(endpoint), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "governance/webhooks/deliveries.html",
        {
            "endpoint": endpoint,
            "page": page,
            "can_manage": can(request.user, endpoint.organisation_id, MANAGE),
            "max_attempts": services.MAX_ATTEMPTS,
        },
    )


@login_required
@require_POST
def webhook_redeliver(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_for_user(WebhookDelivery.objects.select_related("endpoint"), request.user, pk=pk)
    require(request.user, delivery.organisation_id, MANAGE)
    try:
        services.webhook_redeliver(actor=request.user, delivery=delivery)
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"The {delivery.event} event is being sent again, as a new delivery.")
    return HttpResponseRedirect(reverse("governance:webhook-deliveries", args=[delivery.endpoint_id]))
