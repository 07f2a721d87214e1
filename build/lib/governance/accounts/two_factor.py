"""The second-factor step of a password sign-in.

At sign-in (``user_logged_in``) the session learns what is still owed: "verify" when the person has an
authenticator, "enrol" when an organisation of theirs requires one and they have none. Until it is given, the
session reaches only the two-factor pages and sign-out; pages redirect there, the API answers 403. Reading the
session costs no query per request. People who signed in through the identity provider owe nothing here: the
provider applies its own policy.
"""

from urllib.parse import urlencode

from django.contrib.auth import BACKEND_SESSION_KEY
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from governance.core.middleware import is_api
from governance.services import accounts

SESSION_KEY = "plumbline_second_factor_owed"
VERIFY, ENROL = "verify", "enrol"
# Where a session that owes its second factor may still go.
OPEN_URL_NAMES = frozenset(
    {
        "two-factor-verify",
        "two-factor-setup",
        "logout",
        "healthz",
        "readyz",
    }
)
SINGLE_SIGN_ON_BACKEND = "governance.accounts.oidc.PlumblineOIDCBackend"


def owe_second_factor(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """``user_logged_in`` receiver: note in the session what the person still owes."""
    if request is None or not hasattr(request, "session"):
        return
    request.session.pop(SESSION_KEY, None)
    if request.session.get(BACKEND_SESSION_KEY) == SINGLE_SIGN_ON_BACKEND:
        return
    if accounts.has_second_factor(user):
        request.session[SESSION_KEY] = VERIFY
    elif accounts.second_factor_required(user):
        request.session[SESSION_KEY] = ENROL


def second_factor_owed(request: HttpRequest) -> str | None:
    return request.session.get(SESSION_KEY) if request.user.is_authenticated else None


def second_factor_given(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


class TwoFactorMiddleware:
    """Keeps a session that owes its second factor on the two-factor pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        owed = second_factor_owed(request)
        if owed is None:
            return None
        match = request.resolver_match
        if match is not None and match.url_name in OPEN_URL_NAMES:
            return None
        if is_api(request):
            return JsonResponse(
                {"detail": "Give your second factor on the sign-in page first (or use an API token)."},
                status=403,
            )
        target = "two-factor-verify" if owed == VERIFY else "two-factor-setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
