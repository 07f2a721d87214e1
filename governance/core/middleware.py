"""Request id (for the audit trail and logs) and the organisation the user is working in."""

import re
import uuid
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None):
    """Bind a request id outside HTTP (Celery tasks, commands); returns the token to reset it."""
    return _request_id.set(value)


class RequestIdMiddleware:
    """Take a well-formed X-Request-ID from the proxy or make one, and echo it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


SESSION_KEY = "current_organisation_id"


def _current_membership(request: HttpRequest):
    from governance.core.tenancy import memberships_of

    if not request.user.is_authenticated:
        return None
    memberships = memberships_of(request.user)
    wanted = request.session.get(SESSION_KEY)
    for membership in memberships:
        if membership.organisation_id == wanted:
            return membership
    return memberships[0] if memberships else None


class CurrentOrganisationMiddleware:
    """``request.membership`` / ``request.organisation``: the organisation chosen in the switcher."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = _current_membership(request)
        request.membership = membership
        request.organisation = membership.organisation if membership else None
        return self.get_response(request)
