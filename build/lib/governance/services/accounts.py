"""A person's credentials besides their password: API tokens and the second factor (TOTP, recovery codes).

Tokens are django-rest-knox tokens (``governance.ApiToken``); second factors are django-otp devices. Both
belong to a person, not to an organisation: one token or one authenticator serves every organisation the
person is a member of.
"""

import math
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from governance.core.audit import record_event
from governance.models import (
    ApiToken,
    ExternalIdentity,
    Membership,
    Organisation,
    TokenRevocation,
    TokenScope,
)
from governance.models.actions import GovernanceAction
from governance.rules.identity import GroupRole, managed_organisations, roles_from_groups

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"


# --- API tokens ------------------------------------------------------------------------------------------


def issue_api_token(
    user: AbstractBaseUser, *, name: str, scope: str, lifetime_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user``, and its plain text: the only time anyone sees it (only its digest is kept).

    ``lifetime_days`` defaults to API_TOKEN_DEFAULT_DAYS and may not exceed API_TOKEN_MAX_DAYS: every token
    expires.
    """
    name = (name or "").strip()
    days = settings.API_TOKEN_DEFAULT_DAYS if lifetime_days is None else lifetime_days
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Name the token after what will use it, e.g. “Jenkins deploy pipeline”."]
    elif len(name) > ApiToken._meta.get_field("name").max_length:
        errors["name"] = [f"At most {ApiToken._meta.get_field('name').max_length} characters."]
    if scope not in TokenScope.values:
        errors["scope"] = [f"Choose one of: {', '.join(TokenScope.values)}."]
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        errors["lifetime_days"] = [f"A whole number of days from 1 to {settings.API_TOKEN_MAX_DAYS}."]
    if errors:
        raise ValidationError(errors)
    return ApiToken.objects.create(user, expiry=timedelta(days=days), name=name, scope=scope)


def revoke_api_token(api_token: ApiToken, *, reason: str) -> bool:
    """Revoke one token; False when it was already revoked. The row stays, listed as revoked."""
    now = timezone.now()
    revoked = ApiToken.objects.filter(pk=api_token.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_reason=reason
    )
    if revoked:
        api_token.revoked_at, api_token.revoked_reason = now, reason
    return bool(revoked)


def revoke_api_tokens_of(user: AbstractBaseUser, *, reason: str) -> int:
    """Revoke every token of ``user`` still in force (a password change does); how many were."""
    if user.pk is None:
        return 0
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True, expiry__gt=timezone.now()).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )


class RevokeApiTokensOnPasswordChange:
    """Django tells every password validator when a password changed (``password_changed``), on every path:
    the change and reset pages, the admin, ``manage.py changepassword``, ``set_password`` then ``save``. This
    one validates nothing and revokes the person's API tokens then."""

    def validate(self, password: str, user: AbstractBaseUser | None = None) -> None:
        return None

    def password_changed(self, password: str, user: AbstractBaseUser | None = None) -> None:
        if user is not None:
            revoke_api_tokens_of(user, reason=TokenRevocation.PASSWORD_CHANGE)

    def get_help_text(self) -> str:
        return "Changing your password revokes your API tokens."


# --- Second factor ---------------------------------------------------------------------------------------


def second_factor_required(user: AbstractBaseUser) -> bool:
    """Does an organisation the person belongs to require a second factor of its members?"""
    return Membership.objects.filter(user=user, organisation__require_two_factor=True).exists()


def has_second_factor(user: AbstractBaseUser) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def start_authenticator_enrolment(user: AbstractBaseUser) -> TOTPDevice:
    """A new, unconfirmed authenticator secret for ``user`` (any earlier unconfirmed one is dropped). It counts
    only once ``confirm_authenticator`` has seen a code from it."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


def pending_enrolment(user: AbstractBaseUser, device_id: int | None) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, pk=device_id, confirmed=False).first() if device_id else None


def confirm_authenticator(user: AbstractBaseUser, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the enrolment with a code from the app; returns fresh recovery codes, shown once.

    A confirmed authenticator replaces any earlier one, so a person has one app and one set of codes.
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if not device.verify_token(_digits(code)):
            raise ValidationError(
                {"code": ["That code does not match. Enter the 6 digits your app shows now."]}
            )
        TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return _new_recovery_codes(user)


def verify_second_factor(user: AbstractBaseUser, code: str) -> Device | None:
    """The device that accepts ``code``: the authenticator (6 digits) or an unused recovery code, which is
    then spent. Each device refuses replays and slows down after failures (django-otp's throttling)."""
    code = (code or "").strip()
    with transaction.atomic():
        for device in TOTPDevice.objects.filter(user=user, confirmed=True).select_for_update():
            if device.verify_token(_digits(code)):
                return device
        for device in StaticDevice.objects.filter(user=user, confirmed=True).select_for_update():
            if device.verify_token(code.replace(" ", "").lower()):
                return device
    return None


def second_factor_wait_seconds(user: AbstractBaseUser) -> int:
    """How long the authenticator still refuses every code after wrong ones (django-otp doubles the wait at
    each failure); 0 when a code may be tried now."""
    wait = 0.0
    now = timezone.now()
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        allowed, details = device.verify_is_allowed()
        if not allowed and details and details.get("locked_until"):
            wait = max(wait, (details["locked_until"] - now).total_seconds())
    return math.ceil(wait)


def remove_second_factor(user: AbstractBaseUser, code: str) -> None:
    """Remove the authenticator and recovery codes, given a current code; refused while an organisation of
    the person requires a second factor."""
    if second_factor_required(user):
        raise ValidationError(
            {
                "code": [
                    "Your organisation requires a second factor: it cannot be removed. Enrol a new app instead."
                ]
            }
        )
    if verify_second_factor(user, code) is None:
        raise ValidationError({"code": ["That code does not match."]})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


def recovery_codes_left(user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _new_recovery_codes(user: AbstractBaseUser) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_CODES_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _digits(code: str) -> str:
    """Authenticator codes as people type them: "123 456" and "123-456" are "123456"."""
    return "".join(ch for ch in (code or "") if not ch.isspace() and ch != "-")


# --- Single sign-on ----------------------------------------------------------------------------------------


class SignInRefused(Exception):
    """The identity provider vouched for the person, but Plumbline has no role for them; the message says why."""


def sign_in_from_identity_provider(
    *, issuer: str, claims: dict, groups: list[str], group_roles: list[GroupRole]
) -> AbstractBaseUser:
    """The user an identity-provider sign-in is for: found by (issuer, subject), created on first sign-in, with
    their memberships in the organisations the group map covers set from ``groups`` (audited as the system's
    doing). Organisations the map does not cover keep the memberships given in Plumbline.

    Raises SignInRefused when the person would end up a member of no organisation.
    """
    subject = str(claims.get("sub") or "")
    if not subject:
        raise SignInRefused("The identity provider sent no subject (sub) for this person.")
    roles = roles_from_groups(groups, group_roles)
    wanted = {
        org: roles.get(org.slug)
        for org in Organisation.objects.filter(slug__in=managed_organisations(group_roles))
    }
    refusal = "Your account at the identity provider is in no group that gives a role in Plumbline."
    with transaction.atomic():
        identity = (
            ExternalIdentity.objects.select_for_update()
            .select_related("user")
            .filter(issuer=issuer, subject=subject)
            .first()
        )
        if identity is None and not any(wanted.values()):
            raise SignInRefused(refusal)
        if identity is None:
            identity = _new_external_identity(issuer, subject, claims)
        user = identity.user
        _update_profile(user, claims)
        _sync_managed_memberships(user, wanted)
        identity.last_groups = groups
        identity.last_login_at = timezone.now()
        identity.save(update_fields=["last_groups", "last_login_at"])
        is_member = Membership.objects.filter(user=user).exists()
    # After the commit: memberships the provider withdrew stay withdrawn, and the sign-in is refused.
    if not is_member:
        raise SignInRefused(refusal)
    return user


def _new_external_identity(issuer: str, subject: str, claims: dict) -> ExternalIdentity:
    user_model = get_user_model()
    wanted = str(claims.get("preferred_username") or (claims.get("email") or "").split("@")[0] or subject)
    base = slugify(wanted)[:140] or "user"
    username, n = base, 1
    while user_model.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    user = user_model(username=username)
    # Signs in only through the provider: no password exists that could be guessed or reset.
    user.set_unusable_password()
    user.save()
    try:
        with transaction.atomic():
            return ExternalIdentity.objects.create(user=user, issuer=issuer, subject=subject)
    except IntegrityError:
        # The same person's other sign-in, a moment earlier, linked first: use that one.
        user.delete()
        return ExternalIdentity.objects.select_related("user").get(issuer=issuer, subject=subject)


def _update_profile(user: AbstractBaseUser, claims: dict) -> None:
    """Keep name and email as the provider has them (it is the source of truth for people it signs in)."""
    values = {
        "email": str(claims.get("email") or "")[:254],
        "first_name": str(claims.get("given_name") or "")[:150],
        "last_name": str(claims.get("family_name") or "")[:150],
    }
    changed = [field for field, value in values.items() if value and getattr(user, field) != value]
    for field in changed:
        setattr(user, field, values[field])
    if changed:
        user.save(update_fields=changed)


def _sync_managed_memberships(user: AbstractBaseUser, wanted: dict[Organisation, str | None]) -> None:
    current = {
        m.organisation_id: m for m in Membership.objects.filter(user=user, organisation__in=list(wanted))
    }
    for organisation, role in wanted.items():
        membership = current.get(organisation.pk)
        if membership is None and role is not None:
            membership = Membership.objects.create(user=user, organisation=organisation, role=role)
            record_event(
                organisation=organisation,
                actor=None,
                action=GovernanceAction.MEMBERSHIP_CREATE,
                obj=membership,
                changes={"role": [None, role], "source": [None, "identity provider"]},
            )
        elif membership is not None and role is None:
            record_event(
                organisation=organisation,
                actor=None,
                action=GovernanceAction.MEMBERSHIP_DELETE,
                obj=membership,
                changes={"role": [membership.role, None], "source": [None, "identity provider"]},
            )
            membership.delete()
        elif membership is not None and membership.role != role:
            record_event(
                organisation=organisation,
                actor=None,
                action=GovernanceAction.MEMBERSHIP_UPDATE,
                obj=membership,
                changes={"role": [membership.role, role], "source": [None, "identity provider"]},
            )
            membership.role = role
            membership.save(update_fields=["role"])
