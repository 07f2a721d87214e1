"""POST /api/v1/models/import/: the inventory CSV import for pipelines, all rows or none, errors as a problem."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from governance.core.roles import Role
from governance.models import AIModel, AuditEvent, RiskTier, TokenScope
from governance.services.accounts import issue_api_token
from governance.services.inventory import IMPORT_MAX_BYTES
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/models/import/"


def _csv(text: str, name: str = "models.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), "text/csv")


def _good(owner, unit: str = "") -> str:
    return (
        "name,purpose,owner,business_unit,materiality,complexity,eu_ai_act_category\n"
        f"Churn model,Predicts churn.,{owner.username},{unit},2,2,minimal\n"
        f"Credit model,Scores loans.,{owner.username},,5,5,high_risk\n"
    )


def test_a_pipeline_imports_every_row_and_gets_the_new_models(
    api_client, organisation, model_owner, business_unit
):
    text = _good(model_owner, unit=business_unit.name)
    response = api_client(model_owner).post(URL, {"file": _csv(text)}, format="multipart")

    assert response.status_code == 201, response.json()
    body = response.json()
    created = {model.name: model for model in AIModel.objects.filter(organisation=organisation)}
    assert body["count"] == 2 and set(created) == {"Churn model", "Credit model"}
    assert [(m["id"], m["name"]) for m in body["models"]] == [
        (created["Churn model"].pk, "Churn model"),
        (created["Credit model"].pk, "Credit model"),
    ]
    assert body["models"][1]["url"] == f"http://testserver/api/v1/models/{created['Credit model'].pk}/"
    assert created["Credit model"].risk_tier == RiskTier.CRITICAL
    assert created["Churn model"].business_unit == business_unit
    assert AuditEvent.objects.filter(action="model.create", actor=model_owner).count() == 2
    # The url answers: the model is there for the pipeline's next call.
    assert api_client(model_owner).get(body["models"][0]["url"]).json()["name"] == "Churn model"


def test_a_bad_row_imports_nothing_and_names_each_bad_cell(api_client, organisation, model_owner):
    text = (
        "name,purpose,owner,materiality,next_review_due\n"
        f"Good model,Fine.,{model_owner.username},3,2030-01-01\n"
        "Bad model,Broken.,nobody,9,31/12/2030\n"
    )
    response = api_client(model_owner).post(URL, {"file": _csv(text)}, format="multipart")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/validation-error") and body["status"] == 400
    assert body["detail"] == "The file has 3 problems; nothing was imported."
    assert set(body["errors"]) == {"rows[2].owner", "rows[2].materiality", "rows[2].next_review_due"}
    assert "No member of this organisation has the username 'nobody'" in body["errors"]["rows[2].owner"][0]
    assert {(e["row"], e["field"]) for e in body["rows"]} == {
        (2, "owner"),
        (2, "materiality"),
        (2, "next_review_due"),
    }
    assert not AIModel.objects.exists()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"name,purpose\nA,B\n", "Missing column(s): owner."),
        ("name,purpose,owner\nCaf\u00e9,x,y\n".encode("latin-1"), "not UTF-8"),
        (b"name,purpose,owner\n", "no data rows"),
        (b"x" * (IMPORT_MAX_BYTES + 1), "larger than 5 MB"),
    ],
)
def test_a_bad_file_is_an_error_of_the_file(api_client, model_owner, content, fragment):
    upload = SimpleUploadedFile("models.csv", content, "text/csv")
    response = api_client(model_owner).post(URL, {"file": upload}, format="multipart")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["file"]
    assert fragment in response.json()["errors"]["file"][0]
    assert not AIModel.objects.exists()


def test_without_a_file_or_as_json_it_is_refused(api_client, model_owner):
    client = api_client(model_owner)
    response = client.post(URL, {}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["errors"]
    response = client.post(URL, {"file": "name,purpose,owner"}, format="json")
    assert response.status_code == 415
    assert not AIModel.objects.exists()


def test_a_member_of_several_organisations_says_which(
    api_client, organisation, other_organisation, model_owner
):
    MembershipFactory(user=model_owner, organisation=other_organisation, role=Role.MODEL_OWNER)
    client = api_client(model_owner)

    response = client.post(URL, {"file": _csv(_good(model_owner))}, format="multipart")
    assert response.status_code == 400 and "organisation" in response.json()["errors"]
    assert not AIModel.objects.exists()

    response = client.post(
        URL, {"file": _csv(_good(model_owner)), "organisation": other_organisation.pk}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert set(AIModel.objects.values_list("organisation", flat=True)) == {other_organisation.pk}


def test_another_organisations_id_reads_as_one_that_does_not_exist(
    api_client, organisation, other_organisation, model_owner
):
    response = api_client(model_owner).post(
        URL, {"file": _csv(_good(model_owner)), "organisation": other_organisation.pk}, format="multipart"
    )
    assert response.status_code == 400
    assert "does not exist" in response.json()["errors"]["organisation"][0]
    assert not AIModel.objects.exists()


def test_a_read_only_token_and_a_read_only_role_are_refused(api_client, organisation, model_owner, auditor):
    token = issue_api_token(model_owner, name="read", scope=TokenScope.READ)[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.post(URL, {"file": _csv(_good(model_owner))}, format="multipart")
    assert response.status_code == 403 and "read-only" in response.json()["detail"]

    # An auditor may read the inventory but not add to it, as on the import page.
    response = api_client(auditor).post(URL, {"file": _csv(_good(model_owner))}, format="multipart")
    assert response.status_code == 403
    assert not AIModel.objects.exists()


def test_the_schema_documents_the_upload_the_result_and_the_row_errors(api_client, auditor):
    schema = api_client(auditor).get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/models/import/"]["post"]
    upload = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"file", "organisation"} <= set(schema["components"]["schemas"][upload]["properties"])
    created = operation["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[
        -1
    ]
    assert set(schema["components"]["schemas"][created]["properties"]) == {"count", "models"}
    problem = operation["responses"]["400"]["content"]["application/problem+json"]["schema"]["$ref"]
    assert {"errors", "rows"} <= set(
        schema["components"]["schemas"][problem.rsplit("/", 1)[-1]]["properties"]
    )
    assert {"401", "403"} <= set(operation["responses"])
