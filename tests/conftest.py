"""Fixtures shared by the whole suite: organisations, members by role, API clients, the browser.

Area-specific fixtures live in tests/<area>/conftest.py.
"""

import os
import shutil
from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from governance.roles import Role
from tests.factories import PASSWORD, BusinessUnitFactory, MembershipFactory, OrganisationFactory, UserFactory

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Playwright's sync API keeps an event loop running in the test thread; the ORM calls that fixtures and tests make
# there are still plain synchronous code, so Django's async-safety guard would only get in the way.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def organisation(db):
    return OrganisationFactory(name="Acme Test Bank")


@pytest.fixture
def other_organisation(db):
    return OrganisationFactory(name="Other Corp")


@pytest.fixture
def business_unit(organisation):
    return BusinessUnitFactory(organisation=organisation, name="Retail Banking")


@pytest.fixture
def make_member(db, organisation) -> Callable:
    """make_member(role, organisation=None, username=None) -> a user with that role in the organisation."""

    def make(role: str = Role.ASSESSOR, organisation=organisation, username: str | None = None):
        user = UserFactory(username=username) if username else UserFactory()
        MembershipFactory(user=user, organisation=organisation, role=role)
        return user

    return make


@pytest.fixture
def admin_user_member(make_member):
    return make_member(Role.ADMIN, username="org-admin")


@pytest.fixture
def assessor(make_member):
    return make_member(Role.ASSESSOR, username="assessor")


@pytest.fixture
def executive(make_member):
    return make_member(Role.EXECUTIVE, username="executive")


@pytest.fixture
def model_owner(make_member):
    return make_member(Role.MODEL_OWNER, username="model-owner")


@pytest.fixture
def risk_officer(make_member):
    return make_member(Role.RISK_OFFICER, username="risk-officer")


@pytest.fixture
def auditor(make_member):
    return make_member(Role.AUDITOR, username="auditor")


@pytest.fixture
def outsider(db, other_organisation):
    """An admin of another organisation: must see none of ``organisation``'s data (404)."""
    user = UserFactory(username="outsider")
    MembershipFactory(user=user, organisation=other_organisation, role=Role.ADMIN)
    return user


@pytest.fixture
def api_client() -> Callable:
    """api_client(user) -> an APIClient authenticated with the user's token, as a pipeline would be."""
    from rest_framework.authtoken.models import Token

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def login(client) -> Callable:
    """login(user) -> the Django test client logged in as that user."""

    def do(user):
        client.force_login(user)
        return client

    return do


# --- Browser tests (Playwright driving Debian's chromium; never a downloaded browser) ---------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip(f"No Chromium at {CHROMIUM}: install Debian's chromium (apt-get install -y chromium).")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def browser_login(live_server, page) -> Callable:
    """browser_login(user) -> a Playwright page logged in through the real login form."""
    def do(user):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    return do
