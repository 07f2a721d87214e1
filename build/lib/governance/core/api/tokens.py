"""API tokens on requests: who a token belongs to, whether it may still be used, and what it may do.

Tokens are django-rest-knox tokens kept as SHA-512 digests in ``governance.ApiToken``. A token is looked up by
its first characters, then compared by digest in constant time; only a token whose digest matched is told why
it is refused (expired, revoked), so a guess learns nothing.
"""

import binascii
from datetime import timedelta
from hmac import compare_digest

from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission

from governance.models import ApiToken, TokenScope


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>``. Expired and revoked tokens stay listed for their owner (knox would
    delete them) and answer 401 with the reason; use is recorded on the token, at most once a minute."""

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None

    def authenticate_credentials(self, token: bytes):
        presented = token.decode("utf-8")
        try:
            digest = hash_token(presented)
        except (TypeError, binascii.Error):
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        candidates = ApiToken.objects.filter(
            token_key=presented[: CONSTANTS.TOKEN_KEY_LENGTH]
        ).select_related("user")
        for api_token in candidates:
            if not compare_digest(digest, api_token.digest):
                continue
            if api_token.revoked_at is not None:
                raise exceptions.AuthenticationFailed(
                    "This token was revoked. Issue a new one on the API tokens page."
                )
            if api_token.is_expired:
                raise exceptions.AuthenticationFailed(
                    f"This token expired on {api_token.expiry:%Y-%m-%d %H:%M} UTC. Issue a new one on the API tokens page."
                )
            return self.validate_user(api_token)
        raise exceptions.AuthenticationFailed("Invalid token.")

    def validate_user(self, auth_token: ApiToken):
        user, api_token = super().validate_user(auth_token)
        now = timezone.now()
        every = timedelta(seconds=settings.API_TOKEN_LAST_USED_SECONDS)
        if api_token.last_used_at is None or now - api_token.last_used_at >= every:
            # An UPDATE of one column, not a save: a pipeline's parallel calls never overwrite a revocation.
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
            api_token.last_used_at = now
        return user, api_token


def request_token(request) -> ApiToken | None:
    """The API token the request authenticated with, or None (a browser session)."""
    return request.auth if isinstance(request.auth, ApiToken) else None


class TokenScopePermission(BasePermission):
    """A read-only token may only read (GET, HEAD, OPTIONS). Views that a read-only token may write to anyway
    (revoking the token itself) set ``read_only_token_may_write = True``."""

    message = "This token is read-only: issue a read-and-write token to change data."

    def has_permission(self, request, view) -> bool:
        api_token = request_token(request)
        if api_token is None or request.method in SAFE_METHODS:
            return True
        if getattr(view, "read_only_token_may_write", False):
            return True
        return api_token.scope == TokenScope.READ_WRITE


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the token (drf-spectacular finds it by ``target_class``)."""

    target_class = "governance.core.api.tokens.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>`: issue one on Your account or with POST /api/v1/auth/token/.",
        }
