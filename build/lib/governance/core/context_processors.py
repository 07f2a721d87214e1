from django.conf import settings
from django.http import HttpRequest

from governance.core.navigation import nav_items
from governance.core.tenancy import memberships_of


def organisation(request: HttpRequest) -> dict:
    """The current organisation and role for the navigation bar and templates."""
    membership = getattr(request, "membership", None)
    return {
        "current_membership": membership,
        "current_organisation": getattr(request, "organisation", None),
        "all_memberships": memberships_of(getattr(request, "user", None)),
        "nav_items": nav_items(),
        # The login page offers single sign-on when it is configured.
        "single_sign_on_name": settings.OIDC_PROVIDER_NAME
        if settings.OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID
        else None,
    }
