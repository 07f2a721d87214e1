"""Sign-in is throttled by account and by client address: the login page, the admin and the API token endpoint."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.AXES_FAILURE_LIMIT = 3


def _login(client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_after_the_limit_even_the_right_password_is_refused_on_the_login_page(client, assessor):
    for _ in range(2):
        assert _login(client, assessor.username, "wrong").status_code == 200
    assert _login(client, assessor.username, "wrong").status_code == 429  # the failure that reaches the limit
    response = _login(client, assessor.username, PASSWORD)
    assert response.status_code == 429 and response["Retry-After"] == "900"
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_address_that_guesses_many_accounts_is_throttled_too(client, db):
    victims = UserFactory.create_batch(3)
    for victim in victims:
        _login(client, victim.username, "wrong", address="10.0.0.9")
    other = UserFactory()
    assert _login(client, other.username, PASSWORD, address="10.0.0.9").status_code == 429
    assert _login(client, other.username, PASSWORD, address="10.0.0.10").status_code == 302


def test_a_successful_sign_in_clears_the_failures(client, assessor):
    for _ in range(2):
        _login(client, assessor.username, "wrong")
    assert _login(client, assessor.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        _login(client, assessor.username, "wrong")
    assert _login(client, assessor.username, PASSWORD).status_code == 302


def test_the_token_endpoint_answers_a_json_429(client, assessor):
    wrong = {"username": assessor.username, "password": "wrong"}
    codes = [client.post(TOKEN, wrong, REMOTE_ADDR="10.0.0.2").status_code for _ in range(3)]
    assert codes == [400, 400, 429]  # the failure that reaches the limit is already refused
    response = client.post(
        TOKEN, {"username": assessor.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.2"
    )
    assert response.status_code == 429 and response["Retry-After"] == "900"
    assert "Too many failed sign-ins" in response.json()["detail"] and "token" not in response.json()


def test_the_admin_login_is_throttled_too(client, db):
    admin = UserFactory(is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(3):
        client.post(url, {"username": admin.username, "password": "wrong"}, REMOTE_ADDR="10.0.0.3")
    response = client.post(url, {"username": admin.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.3")
    assert response.status_code == 429


def test_an_over_long_username_is_a_field_error_not_stored(client, db):
    response = client.post(
        TOKEN, {"username": "x" * 100_000, "password": "p"}, content_type="application/json"
    )
    assert response.status_code == 400 and "username" in response.json()["errors"]


def test_password_reset_requests_are_limited_per_address_and_per_email(client, assessor, mailoutbox):
    url = reverse("password_reset")
    codes = [
        client.post(url, {"email": f"person{i}@example.com"}, REMOTE_ADDR="10.0.0.4").status_code
        for i in range(6)
    ]
    assert codes == [302] * 5 + [429]
    codes = [
        client.post(url, {"email": assessor.email}, REMOTE_ADDR=f"10.0.1.{i}").status_code for i in range(6)
    ]
    assert codes == [302] * 5 + [429]
    assert len(mailoutbox) == 5  # the refused request sent nothing
    assert client.post(url, {"email": "someone@example.com"}, REMOTE_ADDR="10.0.2.1").status_code == 302
