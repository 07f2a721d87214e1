"""Every API error is one shape: an RFC 9457 problem-details object, application/problem+json."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.exceptions import Throttled
from rest_framework.test import APIClient

from governance.core.api.exceptions import exception_handler, flatten_errors
from governance.core.errors import ConflictError
from governance.services import inventory as inventory_services
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

MODELS = "/api/v1/models/"
TOKEN = "/api/v1/auth/token/"
PROBLEMS = "https://plumbline.dev/problems/"


def assert_problem(response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"{PROBLEMS}{kind}" and body["status"] == status
    assert body["title"] and body["detail"]
    assert "request_id" in body
    return body


@pytest.fixture
def owner_client(api_client, model_owner):
    return api_client(model_owner)


def test_field_errors_are_a_validation_problem_with_a_field_map(owner_client):
    response = owner_client.post(MODELS, {"name": "", "materiality": "huge"}, HTTP_X_REQUEST_ID="req-7")
    body = assert_problem(response, 400, "validation-error")
    assert body["request_id"] == "req-7"
    assert {"name", "materiality"} <= set(body["errors"])
    assert body["detail"] == f"The request has {len(body['errors'])} invalid fields."
    assert all(isinstance(m, str) for messages in body["errors"].values() for m in messages)


def test_a_non_field_error_is_the_detail_and_under_non_field_errors(model_owner):
    response = APIClient().post(TOKEN, {"username": model_owner.username, "password": "wrong"}, format="json")
    body = assert_problem(response, 400, "validation-error")
    assert body["detail"] == "Unable to log in with the username and password given."
    assert body["errors"] == {"non_field_errors": [body["detail"]]}


def test_nested_and_list_errors_flatten_to_dotted_paths():
    detail = {
        "name": ["Too long."],
        "owner": {"email": ["Not an email."], "non_field_errors": ["Unknown owner."]},
        "items": [{}, {}, {}, {"value": ["Not a number."]}],
        "tags": {1: ["Too long."]},
        "non_field_errors": ["Say something."],
    }
    assert flatten_errors(detail) == {
        "name": ["Too long."],
        "owner.email": ["Not an email."],
        "owner.non_field_errors": ["Unknown owner."],
        "items[3].value": ["Not a number."],
        "tags[1]": ["Too long."],
        "non_field_errors": ["Say something."],
    }
    assert flatten_errors([{"value": ["Bad."]}]) == {"[0].value": ["Bad."]}
    assert flatten_errors(["Send a list."]) == {"non_field_errors": ["Send a list."]}


def test_no_credentials_is_a_401_problem_that_keeps_the_challenge(db):
    response = APIClient().get(MODELS)
    assert_problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_a_bad_token_is_a_401_problem(db):
    response = APIClient().get(MODELS, HTTP_AUTHORIZATION="Token nope")
    assert assert_problem(response, 401, "not-authenticated")["detail"] == "Invalid token."


def test_a_role_that_may_not_is_a_403_problem(api_client, auditor, ai_model):
    response = api_client(auditor).post("/api/v1/incidents/", {"model": ai_model.pk}, format="json")
    assert_problem(response, 403, "permission-denied")


def test_another_organisations_record_and_an_unknown_url_are_404_problems(api_client, outsider, ai_model):
    assert_problem(api_client(outsider).get(f"{MODELS}{ai_model.pk}/"), 404, "not-found")
    body = assert_problem(api_client(outsider).get("/api/v1/no-such-thing/"), 404, "not-found")
    assert body["detail"] == "Not found."


def test_a_wrong_method_is_a_405_problem(owner_client):
    response = owner_client.put(TOKEN, {}, format="json")
    assert_problem(response, 405, "method-not-allowed")
    assert "POST" in response["Allow"]


def test_malformed_json_is_a_parse_error(owner_client):
    response = owner_client.post(MODELS, "{not json", content_type="application/json")
    assert assert_problem(response, 400, "parse-error")["detail"].startswith("JSON parse error")


def test_an_unknown_media_type_is_a_415_problem(owner_client):
    response = owner_client.post(MODELS, "name=x", content_type="text/plain")
    assert_problem(response, 415, "unsupported-media-type")


def test_a_body_over_the_limit_is_a_413_problem(settings, owner_client):
    settings.REQUEST_BODY_MAX_BYTES = 16
    response = owner_client.post(MODELS, {"purpose": "x" * 100}, format="json", HTTP_X_REQUEST_ID="req-413")
    assert assert_problem(response, 413, "payload-too-large")["request_id"] == "req-413"


def test_a_state_conflict_is_a_409_problem(owner_client, model_owner, monkeypatch):
    def refuse(**kwargs):
        raise ConflictError("The model is retired.")

    monkeypatch.setattr(inventory_services, "create_model", refuse)
    body = {"name": "Churn", "purpose": "Predicts churn.", "owner": model_owner.pk}
    response = owner_client.post(MODELS, body, format="json")
    assert assert_problem(response, 409, "conflict")["detail"] == "The model is retired."


def test_a_locked_out_sign_in_is_a_429_problem_with_retry_after(settings, client, assessor):
    settings.AXES_FAILURE_LIMIT = 2
    wrong = {"username": assessor.username, "password": "wrong"}
    for _ in range(2):
        client.post(TOKEN, wrong, REMOTE_ADDR="10.0.0.5")
    response = client.post(
        TOKEN, {"username": assessor.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.5"
    )
    body = assert_problem(response, 429, "too-many-requests")
    assert response["Retry-After"] and "Too many failed sign-ins" in body["detail"]


def test_drf_throttling_keeps_retry_after():
    response = exception_handler(Throttled(wait=7), {})
    assert response.status_code == 429 and response["Retry-After"] == "7"
    assert response.data["type"] == f"{PROBLEMS}too-many-requests"


def test_success_responses_are_unchanged(owner_client, ai_model):
    response = owner_client.get(f"{MODELS}{ai_model.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response.json()["name"] == ai_model.name


def test_the_schema_documents_problems_on_operations(db):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert set(schema["components"]["schemas"]["Problem"]["properties"]) == {
        "type",
        "title",
        "status",
        "detail",
        "errors",
        "request_id",
    }

    def problems(path: str, method: str) -> set[str]:
        responses = schema["paths"][path][method]["responses"]
        return {
            code
            for code, answer in responses.items()
            if answer.get("content", {}).get("application/problem+json", {}).get("schema", {}).get("$ref")
            == "#/components/schemas/Problem"
        }

    assert {"400", "401", "403", "409", "413", "415"} <= problems("/api/v1/models/", "post")
    assert {"400", "401", "403"} <= problems("/api/v1/models/", "get")  # query filters
    detail = problems("/api/v1/models/{id}/", "get")
    assert {"401", "403", "404"} <= detail and "400" not in detail and "409" not in detail
    assert {"400", "429"} <= problems("/api/v1/auth/token/", "post")
