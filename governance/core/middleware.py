"""Request id (for the audit trail and logs) and the organisation the user is working in."""

import re
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

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


def is_api(request: HttpRequest) -> bool:
    """API clients always get JSON, errors included."""
    return request.path.startswith("/api/")


class RequestBodyLimitMiddleware:
    """Refuse a body larger than ``REQUEST_BODY_MAX_BYTES`` with 413 before anything reads it.

    Django bounds form fields (``DATA_UPLOAD_MAX_MEMORY_SIZE``) but not a JSON body streamed to a parser, nor
    uploaded files; this one bound covers every request, and says so in JSON to API clients.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.REQUEST_BODY_MAX_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            message = f"The request body is {length} bytes; at most {limit} bytes are accepted."
            if is_api(request):
                # Imported here: the problem helpers read this module's request id.
                from governance.core.api.exceptions import problem_response

                return problem_response(413, message)
            return render(request, "413.html", {"message": message}, status=413)
        return self.get_response(request)
