"""A second factor in a real browser: set it up from the account page, then sign in with it."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.governance.accounts.test_two_factor import code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_set_up_an_authenticator_then_sign_in_with_a_code(browser_login, live_server, model_owner):
    page = browser_login(model_owner)
    page.click("header a.user")
    page.click("text=Set up an authenticator app")
    assert page.locator(".qr svg").count() == 1
    assert re.fullmatch(r"[A-Z2-7 ]{20,}", page.inner_text("#totp-secret"))
    device = TOTPDevice.objects.get(user=model_owner)
    page.fill("#id_code", code(device))
    page.click("text=Confirm")
    # The confirmation posts and loads a new page: wait for it rather than reading the old one.
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.click("text=Continue")
    page.click("header button:has-text('Log out')")

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", model_owner.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/two-factor/**")
    page.fill("#id_code", code(device, 1))
    page.click("text=Continue")
    page.wait_for_url(f"{live_server.url}/")
    assert page.inner_text("header .user") == model_owner.username
