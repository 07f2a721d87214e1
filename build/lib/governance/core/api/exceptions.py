"""Translate exceptions to API responses: always JSON, field-level 400s, 409 for state conflicts.

Nothing an API client sends may end in an HTML page: a body too large is a 413, a conflicting write that lost
a race is a 409, a database that is briefly down is a 503 with Retry-After, and anything unexpected is a JSON
500 naming the request id the log has (the exception itself is logged, never shown).
"""

import logging

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, OperationalError
from django.http import HttpRequest, JsonResponse
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from governance.core.errors import ConflictError
from governance.core.middleware import current_request_id

logger = logging.getLogger("governance.api")

RETRY_AFTER_SECONDS = 5


def _body(detail: str) -> dict[str, str | None]:
    """What every error we answer ourselves says: the message and the request id the log has."""
    return {"detail": detail, "request_id": current_request_id()}


def _error(detail: str, code: int, **headers: str) -> Response:
    set_rollback()
    return Response(_body(detail), status=code, headers=headers)


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            body = {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
        else:
            body = {"non_field_errors": exc.messages}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ConflictError):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
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
    return response


# Django's own error views answer API paths that never reached a DRF view (an unknown URL, a CSRF failure).
API_ERRORS = {
    400: "Bad request.",
    403: "You may not do this.",
    404: "Not found.",
    500: "Something went wrong on our side; it has been logged.",
}


def api_error_view(code: int):
    def view(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
        return JsonResponse(_body(API_ERRORS[code]), status=code)

    return view
