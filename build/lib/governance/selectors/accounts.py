"""What a person's account page lists."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from governance.models import ApiToken, ExternalIdentity


def api_tokens_of(user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """Every token of the person, newest first, revoked and expired ones included."""
    return ApiToken.objects.filter(user=user).order_by("-created", "-id")


def external_identities_of(user: AbstractBaseUser) -> QuerySet[ExternalIdentity]:
    return ExternalIdentity.objects.filter(user=user)
