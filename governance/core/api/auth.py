"""Token login for pipelines: DRF's view, parsing JSON like the rest of the API (see governance.core.api.parsers)."""

from axes.exceptions import AxesBackendPermissionDenied
from rest_framework import serializers
from rest_framework.authtoken import serializers as token_serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser

from governance.core.api.parsers import StorableJSONParser
from governance.core.throttling import lockout_response


class AuthTokenSerializer(token_serializers.AuthTokenSerializer):
    """A Plumbline username and password. Lengths are bounded: an over-long value is a field error (the sign-in
    throttle stores each failed username, so nothing longer than a username may reach it)."""

    username = serializers.CharField(label="Username", write_only=True, max_length=150)
    password = serializers.CharField(
        label="Password",
        style={"input_type": "password"},
        trim_whitespace=False,
        write_only=True,
        max_length=4096,
    )


class TokenLoginView(ObtainAuthToken):
    """POST username and password, get the token. Throttled like the login page (django-axes): a locked-out
    account or address answers 429 with Retry-After, whatever the password."""

    parser_classes = (FormParser, MultiPartParser, StorableJSONParser)
    serializer_class = AuthTokenSerializer

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except (ValidationError, AxesBackendPermissionDenied):
            # django-axes marks the DRF request it was given (authenticate() turns its refusal into "no user");
            # its middleware only sees Django's request, so the lockout is answered here.
            if getattr(request, "axes_locked_out", False) or getattr(
                request._request, "axes_locked_out", False
            ):
                return lockout_response(request._request)
            raise


obtain_auth_token = TokenLoginView.as_view()
