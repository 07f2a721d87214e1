"""Every API error is one shape: an RFC 9457 problem-details object, ``application/problem+json``.

``{"type", "title", "status", "detail", "request_id"}`` always; ``"errors"`` (a flat map from a field path such as
``name``, ``owner.email`` or ``answers[3].value`` to its messages) on validation errors. ``type`` is a stable URI
per kind of error (``PROBLEM_BASE`` + ``validation-error``, ``not-found``, ...), so a client branches on it, not on
the wording. ``exception_handler`` answers for DRF views, ``api_error_view`` for the errors Django answers itself
on an API path (an unknown URL), ``problem_response`` for the rest (the body limit, the sign-in lockout).

Nothing an API client sends may end in an HTML page: a body too large is a 413, a conflicting write that lost
a race is a 409, a database that is briefly down is a 503 with Retry-After, and anything unexpected is a 500
naming the request id the log has (the exception itself is logged, never shown).
"""

import json
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, OperationalError
from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from governance.core.errors import ConflictError
from governance.core.middleware import current_request_id

logger = logging.getLogger("governance.api")

RETRY_AFTER_SECONDS = 5
PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://plumbline.dev/problems/"
NON_FIELD_ERRORS = "non_field_errors"

# The kinds a client may branch on: status -> (slug, title). A status not listed is "about:blank" with the
# HTTP reason phrase as its title, as RFC 9457 says.
KINDS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad request"),
    401: ("not-authenticated", "Not authenticated"),
    403: ("permission-denied", "Permission denied"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("too-many-requests", "Too many requests"),
    500: ("server-error", "Server error"),
    503: ("service-unavailable", "Service unavailable"),
}
VALIDATION_ERROR = ("validation-error", "Invalid input")
PARSE_ERROR = ("parse-error", "Malformed request body")


def problem_type(slug: str) -> str:
    return f"{PROBLEM_BASE}{slug}"


def problem_body(
    code: int,
    detail: str,
    *,
    errors: Mapping[str, list[str]] | None = None,
    kind: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The problem-details object for ``code``; ``kind`` (slug, title) overrides the status's default kind."""
    if kind is None:
        kind = KINDS.get(code)
    if kind is None:
        type_, title = "about:blank", HTTPStatus(code).phrase
    else:
        type_, title = problem_type(kind[0]), kind[1]
    body: dict[str, Any] = {"type": type_, "title": title, "status": code, "detail": detail}
    if errors is not None:
        body["errors"] = dict(errors)
    body["request_id"] = current_request_id()
    return body


class ProblemResponse(Response):
    """A DRF response that is always JSON, whatever renderer the client asked for (a problem is never HTML)."""

    def __init__(self, data: dict[str, Any], status: int, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(data, status=status, headers=headers, content_type=PROBLEM_CONTENT_TYPE)

    @property
    def rendered_content(self):
        self.accepted_renderer = JSONRenderer()
        self.accepted_media_type = JSONRenderer.media_type
        self.renderer_context = getattr(self, "renderer_context", None) or {}
        return super().rendered_content


def problem(
    code: int,
    detail: str,
    *,
    errors: Mapping[str, list[str]] | None = None,
    kind: tuple[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ProblemResponse:
    """The one way a DRF view answers an error it builds itself."""
    return ProblemResponse(problem_body(code, detail, errors=errors, kind=kind), status=code, headers=headers)


def problem_response(
    code: int, detail: str, *, kind: tuple[str, str] | None = None, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    """The same problem, outside DRF (Django's error views, middleware, django-axes)."""
    body = json.dumps(problem_body(code, detail, kind=kind), cls=DjangoJSONEncoder)
    return HttpResponse(body, status=code, content_type=PROBLEM_CONTENT_TYPE, headers=headers)


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as ``{"path": [messages]}``: ``a.b`` for nested serializers, ``a[3].b``
    for list items (ListSerializer's list and ListField's index-keyed dict alike). Messages with no field
    sit under ``non_field_errors`` (or ``path.non_field_errors`` inside a nested serializer)."""
    flat: dict[str, list[str]] = {}

    def add(path: str, message: Any) -> None:
        flat.setdefault(path or NON_FIELD_ERRORS, []).append(str(message))

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if isinstance(key, int):
                    walk(value, f"{path}[{key}]")
                elif key in (NON_FIELD_ERRORS, api_settings.NON_FIELD_ERRORS_KEY, "__all__"):
                    walk(value, f"{path}.{NON_FIELD_ERRORS}" if path else "")
                else:
                    walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list | tuple):
            if all(not isinstance(item, Mapping | list | tuple) for item in node):
                for item in node:
                    add(path, item)
            else:
                for index, item in enumerate(node):
                    if isinstance(item, Mapping | list | tuple):
                        walk(item, f"{path}[{index}]")
                    else:
                        add(path, item)
        else:
            add(path, node)

    walk(detail, prefix)
    return flat


def validation_problem(detail: Any) -> ProblemResponse:
    """400 with the field map; ``detail`` repeats the non-field messages, or counts the invalid fields."""
    errors = flatten_errors(detail)
    general = errors.get(NON_FIELD_ERRORS, [])
    fields = [path for path in errors if path != NON_FIELD_ERRORS]
    if general:
        sentence = " ".join(general)
    else:
        sentence = f"The request has {len(fields)} invalid field{'' if len(fields) == 1 else 's'}."
    return problem(status.HTTP_400_BAD_REQUEST, sentence, errors=errors, kind=VALIDATION_ERROR)


def _error(detail: str, code: int, **headers: str) -> Response:
    set_rollback()
    return problem(code, detail, headers=headers)


def _problem_from_drf(exc: Exception, response: Response) -> Response:
    """DRF's own answer (its status, WWW-Authenticate and Retry-After headers kept) in the problem shape."""
    if isinstance(exc, exceptions.ValidationError):
        fresh = validation_problem(exc.detail)
    else:
        data = response.data
        detail = data.get("detail", "") if isinstance(data, dict) else data
        kind = PARSE_ERROR if isinstance(exc, exceptions.ParseError) else None
        fresh = problem(response.status_code, str(detail), kind=kind)
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            fresh[header] = response[header]
    return fresh


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        if hasattr(exc, "error_dict"):
            return validation_problem({field: list(messages) for field, messages in exc.message_dict.items()})
        return validation_problem({NON_FIELD_ERRORS: exc.messages})
    if isinstance(exc, ConflictError):
        return _error(str(exc), status.HTTP_409_CONFLICT)
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent):
        return _error(str(exc) or "The request body is too large.", status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, IntegrityError):
        logger.warning("Write refused by a database constraint: %s", exc)
        return _error(
            "A concurrent change conflicts with this one; reload and try again.", status.HTTP_409_CONFLICT
        )
    if isinstance(exc, OperationalError):
        logger.exception("Database unavailable")
        return _error(
            "The database is briefly unavailable; nothing was saved. Try again in a few seconds.",
            status.HTTP_503_SERVICE_UNAVAILABLE,
            **{"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled error in the API", exc_info=exc)
        return _error("Something went wrong on our side; it has been logged.", 500)
    # DRF's exceptions, and Django's Http404 and PermissionDenied, which it translated.
    return _problem_from_drf(exc, response)


# Django's own error views answer API paths that never reached a DRF view (an unknown URL, a CSRF failure).
API_ERRORS = {
    400: "Bad request.",
    403: "You may not do this.",
    404: "Not found.",
    500: "Something went wrong on our side; it has been logged.",
}


def api_error_view(code: int):
    def view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
        return problem_response(code, API_ERRORS[code])

    return view
