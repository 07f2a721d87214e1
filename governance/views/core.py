"""Health probes, the home page and the organisation switcher."""

import logging
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from config.celery import app as celery_app
from governance.core import jobs
from governance.core.api.exceptions import api_error_view
from governance.core.middleware import SESSION_KEY, is_api
from governance.core.registry import HomeContext, panels_for_role
from governance.core.roles import Role
from governance.core.tenancy import membership_in
from governance.selectors.waiting import waiting_for

logger = logging.getLogger(__name__)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving; says nothing about its dependencies."""
    return JsonResponse({"status": "ok"})


def _database_ok() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return f"{type(exc).__name__}: {exc}"
    return None


def _broker_ok() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to take traffic: the database and the Celery broker answer. 503 names what is down.

    Anyone may call it (load balancers do), so it says only which dependency is down; the error itself (which
    names hosts and ports) goes to the log.
    """
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    down = {name: error for name, error in checks.items() if error}
    for name, error in down.items():
        logger.warning("readyz: %s is down: %s", name, error)
    body = {
        "status": "ok" if not down else "unavailable",
        "checks": {n: ("down" if e else "ok") for n, e in checks.items()},
    }
    if down:
        body["down"] = sorted(down)
    if "database" not in down:
        # Jobs recorded while the broker was down, sent when it is back (governance.core.jobs).
        body["jobs_waiting"] = jobs.waiting_jobs()
    return JsonResponse(body, status=503 if down else 200)


@dataclass(frozen=True)
class PanelView:
    """A registered home panel with its context, ready for the template."""

    key: str
    template: str
    stat_template: str
    wide: bool
    context: dict


def panels_for(home: HomeContext) -> list[PanelView]:
    """The panels of the member's role (``panels_for_role``), each built for them; None leaves one out."""
    views = []
    for panel in panels_for_role(home.role):
        context = panel.build(home)
        if context is not None:
            views.append(PanelView(panel.key, panel.template, panel.stat_template, panel.wide, context))
    return views


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The member's home: what "Waiting for you" counts, then the panels of their role (issue 16)."""
    organisation = getattr(request, "organisation", None)
    if organisation is None:
        return render(request, "governance/home.html")
    role = request.membership.role
    viewer = HomeContext(organisation=organisation, user=request.user, role=role, today=timezone.localdate())
    panels = panels_for(viewer)
    return render(
        request,
        "governance/home.html",
        {
            "today": viewer.today,
            "role_label": Role(role).label,
            "panels": panels,
            "has_charts": any(panel.context.get("figure") for panel in panels),
            "waiting": waiting_for(organisation, request.user, viewer.today),
        },
    )


@login_required
@require_POST
def switch_organisation(request: HttpRequest) -> HttpResponse:
    try:
        organisation_id = int(request.POST.get("organisation", ""))
    except ValueError:
        organisation_id = 0
    membership = membership_in(request.user, organisation_id)
    if membership is None:
        messages.error(request, "You are not a member of that organisation.")
    else:
        request.session[SESSION_KEY] = membership.organisation_id
        messages.success(request, f"Now working in {membership.organisation}.")
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    return HttpResponseRedirect(next_url)


def _error_page(code: int, template: str):
    """Django's error view for ``code``: the HTML page, or JSON for an API path."""
    from django.views import defaults

    html_view = {
        400: defaults.bad_request,
        403: defaults.permission_denied,
        404: defaults.page_not_found,
    }.get(code)

    def view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
        if is_api(request):
            return api_error_view(code)(request, exception)
        if html_view is None:
            return defaults.server_error(request, template_name=template)
        return html_view(request, exception, template_name=template)

    return view


bad_request = _error_page(400, "400.html")
permission_denied = _error_page(403, "403.html")
page_not_found = _error_page(404, "404.html")
server_error = _error_page(500, "500.html")
