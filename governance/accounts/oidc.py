"""Single sign-on through the organisation's OpenID Connect provider (mozilla-django-oidc), configured from
the environment (``OIDC_*`` in config/settings.py).

What this adds to the library:
- discovery: the endpoints and keys come from ``<issuer>/.well-known/openid-configuration``, fetched when first
  needed and kept for an hour, and the document must name the configured issuer;
- the authorization code flow always uses PKCE (S256) and a nonce;
- the ID token is checked for signature, issuer, audience (our client id), expiry and nonce (the library
  checks only signature and nonce), and the provider's userinfo must be about the same subject;
- people are linked by issuer + subject, created on first sign-in, and their roles follow their groups
  (``governance.rules.identity``); a failure says why on the login page, never a 500.
"""

import logging
import threading
import time

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.core import checks
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from governance.rules.identity import groups_claim, parse_group_roles
from governance.services import accounts

logger = logging.getLogger(__name__)
DISCOVERY_TTL_SECONDS = 3600
# Settings the library reads that come from the provider's discovery document instead.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
_discovery_lock = threading.Lock()
_discovered: dict[str, tuple[float, dict]] = {}


class ProviderUnavailable(Exception):
    """The identity provider could not be reached or answered something that is not its configuration."""


def single_sign_on_enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID)


def discovery_document() -> dict:
    """The provider's configuration, fetched at most once an hour per process."""
    issuer = settings.OIDC_ISSUER
    now = time.monotonic()
    with _discovery_lock:
        cached = _discovered.get(issuer)
        if cached and now - cached[0] < DISCOVERY_TTL_SECONDS:
            return cached[1]
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(
            f"The identity provider's configuration at {url} could not be read: {exc}"
        ) from exc
    if document.get("issuer") != issuer:
        # OpenID Connect Discovery 1.0, section 4.3: the document must be the configured issuer's own.
        raise ProviderUnavailable(
            f"The provider at {url} says it is {document.get('issuer')!r}, not {issuer!r}."
        )
    missing = [key for key in DISCOVERED.values() if not document.get(key)]
    if missing:
        raise ProviderUnavailable(f"The provider's configuration lacks {', '.join(missing)}.")
    with _discovery_lock:
        _discovered[issuer] = (now, document)
    return document


def forget_discovery() -> None:
    """Drop what was discovered (tests start providers on new ports)."""
    with _discovery_lock:
        _discovered.clear()


def oidc_setting(name: str, *default):
    """What the library asks for: endpoints from discovery, everything else from settings."""
    if name in DISCOVERED:
        return discovery_document()[DISCOVERED[name]]
    return import_from_settings(name, *default)


class PlumblineOIDCBackend(OIDCAuthenticationBackend):
    """Authenticates the callback of a sign-in at the provider; every other sign-in passes it by."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        # The library reads its settings here, on every authenticate() and every request of a signed-in
        # session; they are read when a sign-in at the provider is actually being completed instead.
        from django.contrib.auth import get_user_model

        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        # Only the callback passes a PKCE verifier: a password sign-in (or a stray ?code=) never reaches the
        # provider through here.
        if request is None or not kwargs.get("code_verifier") or not single_sign_on_enabled():
            return None
        self.configure()
        return super().authenticate(request, **kwargs)

    def configure(self) -> None:
        """The library's settings, read now (endpoints from discovery)."""
        self.OIDC_OP_TOKEN_ENDPOINT = oidc_setting("OIDC_OP_TOKEN_ENDPOINT")
        self.OIDC_OP_USER_ENDPOINT = oidc_setting("OIDC_OP_USER_ENDPOINT")
        self.OIDC_OP_JWKS_ENDPOINT = oidc_setting("OIDC_OP_JWKS_ENDPOINT")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    def get_user(self, user_id):
        """The session's user, unless deactivated since (the library's version does not look)."""
        user = super().get_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def _verify_jws(self, payload, key):
        """Signature, and what the library leaves unchecked: issuer, audience, expiry, issued-at."""
        try:
            algorithm = jwt.get_unverified_header(payload).get("alg")
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"The ID token is malformed: {exc}") from exc
        if algorithm != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(
                f"The ID token is signed with {algorithm!r}, not {self.OIDC_RP_SIGN_ALGO!r}."
            )
        try:
            claims = jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_ISSUER,
                leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"The ID token was refused: {exc}") from exc
        # OpenID Connect Core 3.1.3.7: a token for several audiences names the one it was issued to (azp).
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("The ID token was issued to another party (azp).")
        return claims

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims with the userinfo endpoint's on top; both must be about one subject."""
        userinfo = super().get_userinfo(access_token, id_token, payload)
        if str(userinfo.get("sub")) != str(payload.get("sub")):
            raise SuspiciousOperation("The provider's userinfo is about another subject than the ID token.")
        return {**payload, **userinfo}

    def verify_claims(self, claims) -> bool:
        return bool(claims.get("sub"))

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        if not self.verify_claims(claims):
            raise SuspiciousOperation("The provider sent no subject.")
        user = accounts.sign_in_from_identity_provider(
            issuer=settings.OIDC_ISSUER,
            claims=claims,
            groups=groups_claim(claims, settings.OIDC_GROUPS_CLAIM),
            group_roles=parse_group_roles(settings.OIDC_GROUP_ROLES),
        )
        return user


def _refuse(request: HttpRequest, message: str) -> HttpResponse:
    messages.error(request, message)
    return HttpResponseRedirect(reverse("login"))


class SignInView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider (state, nonce, PKCE challenge kept in the session)."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        # The library reads the provider's endpoint here, before any error could be answered.
        View.__init__(self, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not single_sign_on_enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except ProviderUnavailable:
            logger.exception("Single sign-on: the identity provider is unavailable")
            return _refuse(
                request, "The identity provider cannot be reached just now. Try again in a minute."
            )
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """Completes the sign-in; any refusal is a message on the login page, and is logged."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not single_sign_on_enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            return super().get(request)
        except accounts.SignInRefused as exc:
            return _refuse(request, str(exc))
        except (
            SuspiciousOperation,
            ProviderUnavailable,
            requests.RequestException,
            jwt.PyJWTError,
            # What a provider answering something malformed raises inside the library (a key without its id, a
            # token response without an ID token, claims of the wrong shape).
            KeyError,
            TypeError,
            ValueError,
        ):
            logger.exception("Single sign-on: a sign-in was refused")
            return _refuse(
                request, "Signing in through the identity provider failed; nothing was changed. Try again."
            )

    def login_failure(self) -> HttpResponse:
        return _refuse(self.request, "Signing in through the identity provider did not complete. Try again.")


@checks.register()
def single_sign_on_settings(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """A group map that does not parse would refuse everyone at sign-in: say so at start-up instead."""
    try:
        parse_group_roles(settings.OIDC_GROUP_ROLES)
    except ValueError as exc:
        return [checks.Error(str(exc), id="governance.E010")]
    if settings.OIDC_ISSUER and not settings.OIDC_RP_CLIENT_ID:
        return [checks.Error("OIDC_ISSUER is set but OIDC_RP_CLIENT_ID is not.", id="governance.E011")]
    return []
