"""What a throttled sign-in answers: 429 with Retry-After, JSON on the API, a page otherwise (django-axes)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from governance.core.middleware import is_api


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return f"Too many failed sign-ins: try again in {minutes} minutes, or ask an administrator to unlock the account."


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the same refusal whichever way the sign-in came."""
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if is_api(request):
        response = JsonResponse({"detail": lockout_message()}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": lockout_message()}, status=429)
    response["Retry-After"] = retry_after
    return response
