"""What a throttled sign-in answers: 429 with Retry-After, JSON on the API, a page otherwise (django-axes)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from governance.core.api.exceptions import problem_response
from governance.core.middleware import is_api


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return f"Too many failed sign-ins: try again in {minutes} minutes, or ask an administrator to unlock the account."


def too_many(request: HttpRequest, message: str, retry_after_seconds: int) -> HttpResponse:
    """429 with Retry-After: JSON on the API, the "paused" page otherwise."""
    if is_api(request):
        response = problem_response(429, message)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(retry_after_seconds)
    return response


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the same refusal whichever way the sign-in came."""
    return too_many(request, lockout_message(), int(settings.AXES_COOLOFF_TIME.total_seconds()))


def password_reset_view():
    """Django's password-reset page, rate-limited per client address and per email address (django-ratelimit):
    over ``PASSWORD_RESET_RATE``, a request answers 429 and sends nothing, so the form cannot be used to flood an
    inbox or probe many addresses."""
    from django.contrib.auth import views as auth_views
    from django_ratelimit.core import is_ratelimited

    base = auth_views.PasswordResetView.as_view()

    def view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "POST":
            rate = settings.PASSWORD_RESET_RATE
            limited = [
                is_ratelimited(
                    request, group="password-reset", key=key, rate=rate, method="POST", increment=True
                )
                for key in ("ip", "post:email")
            ]
            if any(limited):
                return too_many(request, "Too many password reset requests: try again in an hour.", 3600)
        return base(request, *args, **kwargs)

    return view
