from django.conf import settings
from django.http import HttpRequest

from governance.core.navigation import nav_groups
from governance.core.tenancy import memberships_of


def organisation(request: HttpRequest) -> dict:
    """The current organisation and role for the top bar, and the sidebar's sections with the current page."""
    membership = getattr(request, "membership", None)
    return {
        "current_membership": membership,
        "current_organisation": getattr(request, "organisation", None),
        "all_memberships": memberships_of(getattr(request, "user", None)),
        "nav_groups": nav_groups(request.path),
        # The login page offers single sign-on when it is configured.
        "single_sign_on_name": settings.OIDC_PROVIDER_NAME
        if settings.OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID
        else None,
    }
