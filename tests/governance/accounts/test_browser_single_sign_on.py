"""Signing in through the organisation's identity provider in a real browser (Chromium, Playwright) against the
real OpenID Connect provider the suite starts."""

import pytest

from governance.core.roles import Role
from governance.models import Membership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_signs_in_at_the_provider_and_lands_in_plumbline_with_their_role(
    page, live_server, single_sign_on, organisation
):
    single_sign_on.set_account(
        "frank",
        email="frank@bank.example",
        given_name="Frank",
        preferred_username="frank",
        groups=["model-risk"],
    )
    page.goto(f"{live_server.url}/risks/")
    page.wait_for_url("**/accounts/login/**")
    page.click("#sign-in-sso")
    # The provider's own sign-in page (oidc-provider's development interactions).
    page.wait_for_url(f"{single_sign_on.issuer}/interaction/**")
    page.fill("input[name=login]", "frank")
    page.fill("input[name=password]", "whatever the provider checks")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/risks/")
    assert page.inner_text("header .user") == "frank"
    assert page.inner_text("header .role") == "Risk & compliance officer"
    membership = Membership.objects.get(user__username="frank")
    assert (membership.organisation, membership.role) == (organisation, Role.RISK_OFFICER)
