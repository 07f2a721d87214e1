"""API clients always get JSON: oversized bodies, unknown URLs, database outages and our own bugs included."""

import json

import pytest
from django.db import IntegrityError, OperationalError
from django.urls import reverse

from governance.services import inventory as inventory_services

pytestmark = pytest.mark.django_db

MODELS = "/api/v1/models/"


@pytest.fixture
def body(model_owner) -> dict:
    return {"name": "Churn model", "purpose": "Predicts churn.", "owner": model_owner.pk}


def test_a_body_over_the_limit_is_a_json_413_before_anything_reads_it(
    settings, api_client, model_owner, body
):
    settings.REQUEST_BODY_MAX_BYTES = 64
    response = api_client(model_owner).post(MODELS, {**body, "purpose": "x" * 100}, format="json")
    assert response.status_code == 413
    assert "at most 64 bytes" in response.json()["detail"]


def test_a_page_body_over_the_limit_is_a_413_page(settings, login, model_owner):
    settings.REQUEST_BODY_MAX_BYTES = 64
    response = login(model_owner).post(reverse("governance:model-create"), {"name": "x" * 100})
    assert response.status_code == 413 and "at most 64 bytes" in response.content.decode()


def test_an_unknown_api_url_is_a_json_404(api_client, model_owner):
    response = api_client(model_owner).get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "Not found."


def test_a_bug_is_a_logged_json_500_with_the_request_id(api_client, model_owner, body, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(inventory_services, "create_model", broken)
    response = api_client(model_owner).post(MODELS, body, format="json", HTTP_X_REQUEST_ID="req-42")
    assert response.status_code == 500
    assert response.json() == {
        "type": "https://plumbline.dev/problems/server-error",
        "title": "Server error",
        "status": 500,
        "detail": "Something went wrong on our side; it has been logged.",
        "request_id": "req-42",
    }
    assert "a bug of ours" not in json.dumps(response.json())
    assert any("Unhandled error in the API" in r.message for r in caplog.records)


@pytest.mark.parametrize(
    ("error", "status", "retry_after"),
    [(OperationalError("connection refused"), 503, "5"), (IntegrityError("duplicate key"), 409, None)],
)
def test_database_trouble_is_json(api_client, model_owner, body, monkeypatch, error, status, retry_after):
    def failing(**kwargs):
        raise error

    monkeypatch.setattr(inventory_services, "create_model", failing)
    response = api_client(model_owner).post(MODELS, body, format="json")
    assert response.status_code == status
    assert response.headers.get("Retry-After") == retry_after
    assert (
        "connection refused" not in response.json()["detail"]
        and "duplicate key" not in response.json()["detail"]
    )
