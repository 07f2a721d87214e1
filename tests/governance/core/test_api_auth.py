"""A pipeline without credentials, or with a bad token, is challenged (401 + WWW-Authenticate), not refused."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("header", [None, "Token not-a-real-token", "Bearer something"])
def test_missing_or_invalid_credentials_answer_401_with_the_token_challenge(header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/models/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


def test_a_signed_in_browser_still_uses_its_session(login, auditor):
    assert login(auditor).get("/api/v1/models/").status_code == 200
