"""The token endpoint for pipelines: POST a username and password (and the second factor, if the account has
one) to get a named, expiring, scoped token; DELETE with the token itself to revoke it (the API's sign-out).

Sign-in here is throttled like the login page (django-axes): a locked-out account or address answers 429 with
Retry-After, whatever the password.
"""

from axes.exceptions import AxesBackendPermissionDenied
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.core.api.parsers import StorableJSONParser
from governance.core.api.tokens import ApiTokenAuthentication, request_token
from governance.core.throttling import lockout_response
from governance.models import ApiToken, TokenRevocation, TokenScope
from governance.services import accounts

DEFAULT_TOKEN_NAME = "Issued by the token endpoint"


class TokenRequestSerializer(serializers.Serializer):
    """Lengths are bounded: an over-long value is a field error (the sign-in throttle stores each failed
    username, so nothing longer than a username may reach it)."""

    username = serializers.CharField(write_only=True, max_length=150)
    password = serializers.CharField(
        write_only=True, max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )
    otp = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="The 6-digit code from the authenticator app, or a recovery code: needed when the account has "
        "a second factor.",
    )
    name = serializers.CharField(required=False, max_length=100, default=DEFAULT_TOKEN_NAME)
    scope = serializers.ChoiceField(
        choices=TokenScope.choices,
        default=TokenScope.READ,
        help_text="read: GET only. read_write: also create, change and delete, as the person's role allows.",
    )
    lifetime_days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=settings.API_TOKEN_MAX_DAYS,
        help_text=f"Days until the token expires (default {settings.API_TOKEN_DEFAULT_DAYS}).",
    )

    def validate(self, attrs: dict) -> dict:
        user = authenticate(
            request=self.context["request"], username=attrs["username"], password=attrs["password"]
        )
        if user is None:
            raise ValidationError(
                "Unable to log in with the username and password given.", code="authorization"
            )
        otp = attrs.get("otp", "")
        if accounts.has_second_factor(user):
            if not otp:
                raise ValidationError(
                    {"otp": ["This account has a second factor: send its current code as otp."]}
                )
            if accounts.verify_second_factor(user, otp) is None:
                raise ValidationError({"otp": ["That code does not match."]})
        elif accounts.second_factor_required(user):
            raise ValidationError(
                "Your organisation requires a second factor: enrol one on the Two-factor page, then ask again."
            )
        attrs["user"] = user
        return attrs


class IssuedTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "scope", "created", "expiry"]


class TokenView(APIView):
    """POST issues a token; DELETE revokes the token the request carries."""

    parser_classes = (FormParser, MultiPartParser, StorableJSONParser)
    authentication_classes = (ApiTokenAuthentication,)
    permission_classes = (AllowAny,)
    # DELETE without a token answers 401; a locked-out account or address, 429 (django-axes).
    problem_statuses = (401, 429)
    # Revoking itself is the one write a read-only token may make.
    read_only_token_may_write = True

    def perform_authentication(self, request) -> None:
        # Issuing needs a password, not a token: an old Authorization header must not stand in the way.
        if request.method != "POST":
            request.user  # noqa: B018 - authenticates now, as DRF does

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer(
                "IssuedToken",
                {
                    "token": serializers.CharField(help_text="Shown this once; only its digest is kept."),
                    "id": serializers.IntegerField(),
                    "name": serializers.CharField(),
                    "scope": serializers.CharField(),
                    "created": serializers.DateTimeField(),
                    "expiry": serializers.DateTimeField(),
                },
            )
        },
        summary="Issue an API token",
    )
    def post(self, request, *args, **kwargs) -> Response:
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        try:
            serializer.is_valid(raise_exception=True)
        except (ValidationError, AxesBackendPermissionDenied):
            # django-axes marks the DRF request it was given (authenticate() turns its refusal into "no user");
            # its middleware only sees Django's request, so the lockout is answered here.
            if getattr(request, "axes_locked_out", False) or getattr(
                request._request, "axes_locked_out", False
            ):
                return lockout_response(request._request)
            raise
        data = serializer.validated_data
        try:
            api_token, plain = accounts.issue_api_token(
                data["user"], name=data["name"], scope=data["scope"], lifetime_days=data.get("lifetime_days")
            )
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        return Response({"token": plain, **IssuedTokenSerializer(api_token).data})

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="The token is revoked.")},
        summary="Revoke the token this request carries",
    )
    def delete(self, request, *args, **kwargs) -> Response:
        api_token = request_token(request)
        if api_token is None:
            raise NotAuthenticated("Send the token to revoke in the Authorization header.")
        accounts.revoke_api_token(api_token, reason=TokenRevocation.API)
        return Response(status=status.HTTP_204_NO_CONTENT)


token_view = TokenView.as_view()
