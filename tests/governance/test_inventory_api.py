import pytest

from governance.models import (
    AIModel,
    ApprovalRequest,
    ApprovalStatus,
    LifecycleStage,
    ModelVersion,
    VersionStatus,
)
from governance.services import inventory as services
from tests.governance.inventory_factories import AIModelFactory

# These tests are about who decides; the release checks have their own (tests/governance/release/).
pytestmark = pytest.mark.usefixtures("permissive_release_policy")

MODELS = "/api/v1/models/"
APPROVALS = "/api/v1/approval-requests/"


@pytest.fixture
def ai_model(organisation, model_owner):
    return services.create_model(
        actor=model_owner,
        organisation=organisation,
        name="Fraud detector",
        purpose="Flags card fraud.",
        owner=model_owner,
    )


def test_create_model_by_role(api_client, organisation, model_owner, auditor):
    body = {
        "name": "Churn model",
        "purpose": "Predicts churn.",
        "owner": model_owner.pk,
        "materiality": 5,
        "complexity": 5,
    }
    response = api_client(model_owner).post(MODELS, body, format="json")
    assert response.status_code == 201, response.data
    assert response.data["risk_tier"] == "critical"
    assert response.data["organisation"] == organisation.pk
    assert api_client(auditor).post(MODELS, {**body, "name": "Other"}, format="json").status_code == 403


def test_create_model_field_errors(api_client, model_owner, ai_model):
    response = api_client(model_owner).post(
        MODELS,
        {"name": "Fraud detector", "purpose": "x", "owner": model_owner.pk, "materiality": 9},
        format="json",
    )
    assert response.status_code == 400
    assert "materiality" in response.data["errors"]
    response = api_client(model_owner).post(
        MODELS, {"name": "Fraud detector", "purpose": "x", "owner": model_owner.pk}, format="json"
    )
    assert response.status_code == 400
    assert "already exists" in response.data["errors"]["name"][0]


def test_list_filters_and_tenancy(
    api_client, organisation, other_organisation, model_owner, outsider, ai_model
):
    AIModelFactory(organisation=other_organisation, owner=outsider, name="Foreign model")
    AIModelFactory(organisation=organisation, owner=model_owner, name="Churn", lifecycle_stage="production")
    response = api_client(model_owner).get(MODELS, {"lifecycle_stage": "production"})
    assert [m["name"] for m in response.data["results"]] == ["Churn"]
    response = api_client(model_owner).get(MODELS, {"q": "fraud"})
    assert [m["name"] for m in response.data["results"]] == ["Fraud detector"]
    assert api_client(outsider).get(f"{MODELS}{ai_model.pk}/").status_code == 404
    assert (
        api_client(outsider).patch(f"{MODELS}{ai_model.pk}/", {"purpose": "x"}, format="json").status_code
        == 404
    )


def test_patch_model_and_stage_is_not_editable(api_client, risk_officer, auditor, ai_model):
    url = f"{MODELS}{ai_model.pk}/"
    response = api_client(risk_officer).patch(url, {"materiality": 5, "complexity": 5}, format="json")
    assert response.status_code == 200
    assert response.data["risk_tier"] == "critical"
    response = api_client(risk_officer).patch(url, {"lifecycle_stage": "production"}, format="json")
    assert response.status_code == 400
    assert "lifecycle_stage" in response.data["errors"]
    assert api_client(auditor).patch(url, {"purpose": "x"}, format="json").status_code == 403


def test_delete_only_proposed_models(api_client, model_owner, ai_model):
    ModelVersion.objects.create(model=ai_model, version="1")
    assert api_client(model_owner).delete(f"{MODELS}{ai_model.pk}/").status_code == 409
    ai_model.versions.all().delete()
    assert api_client(model_owner).delete(f"{MODELS}{ai_model.pk}/").status_code == 204
    assert not AIModel.objects.exists()


def test_pipeline_registers_a_version_in_one_call(api_client, model_owner, risk_officer, outsider, ai_model):
    url = f"{MODELS}{ai_model.pk}/versions/"
    body = {
        "version": "2.1.0",
        "metrics": {"auc": 0.91},
        "code_commit": "a1b2c3",
        "artifact_uri": "s3://m/2.1.0",
    }
    response = api_client(model_owner).post(url, body, format="json")
    assert response.status_code == 201, response.data
    assert response.data["status"] == "candidate"
    assert response.data["registered_by"] == model_owner.username
    assert api_client(model_owner).post(url, body, format="json").status_code == 400
    bad = api_client(model_owner).post(url, {"version": "3", "metrics": [1, 2]}, format="json")
    assert bad.status_code == 400 and "metrics" in bad.data["errors"]
    assert api_client(risk_officer).post(url, {"version": "4"}, format="json").status_code == 403
    assert api_client(outsider).post(url, {"version": "5"}, format="json").status_code == 404
    listing = api_client(risk_officer).get(url)
    assert [v["version"] for v in listing.data["results"]] == ["2.1.0"]


def test_stage_action_moves_or_requests(api_client, model_owner, ai_model):
    url = f"{MODELS}{ai_model.pk}/stage/"
    response = api_client(model_owner).post(url, {"stage": "development"}, format="json")
    assert response.status_code == 200 and response.data["lifecycle_stage"] == "development"
    response = api_client(model_owner).post(
        url, {"stage": "production", "justification": "Validated."}, format="json"
    )
    assert response.status_code == 201 and response.data["status"] == "pending"


def test_approval_request_lifecycle(api_client, model_owner, executive, risk_officer, ai_model):
    response = api_client(model_owner).post(
        APPROVALS,
        {
            "model": ai_model.pk,
            "kind": "stage_change",
            "requested_stage": "validation",
            "justification": "Ready.",
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    approval_id = response.data["id"]
    # A second request while one is pending is a conflict.
    again = api_client(model_owner).post(
        APPROVALS,
        {"model": ai_model.pk, "kind": "stage_change", "requested_stage": "production", "justification": "x"},
        format="json",
    )
    assert again.status_code == 409
    assert (
        api_client(model_owner).post(f"{APPROVALS}{approval_id}/approve/", {}, format="json").status_code
        == 403
    )
    response = api_client(executive).post(
        f"{APPROVALS}{approval_id}/approve/", {"comment": "Fine"}, format="json"
    )
    assert response.status_code == 200
    assert response.data["status"] == "approved"
    ai_model.refresh_from_db()
    assert ai_model.lifecycle_stage == LifecycleStage.VALIDATION
    assert (
        api_client(risk_officer)
        .post(f"{APPROVALS}{approval_id}/reject/", {"comment": "x"}, format="json")
        .status_code
        == 409
    )
    listing = api_client(model_owner).get(APPROVALS, {"status": "approved"})
    assert [a["id"] for a in listing.data["results"]] == [approval_id]


def test_requester_cannot_approve_own_request(api_client, risk_officer, ai_model):
    approval = services.request_stage_change(
        actor=risk_officer, model=ai_model, stage=LifecycleStage.VALIDATION, justification="Ready."
    )
    response = api_client(risk_officer).post(f"{APPROVALS}{approval.pk}/approve/", {}, format="json")
    assert response.status_code == 403
    assert "Separation of duties" in response.data["detail"]
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING


def test_promotion_via_api(api_client, model_owner, executive, ai_model):
    version = services.register_version(actor=model_owner, model=ai_model, version="1.0")
    response = api_client(model_owner).post(
        APPROVALS,
        {"model": ai_model.pk, "kind": "promote_version", "version": version.pk, "justification": "Best."},
        format="json",
    )
    assert response.status_code == 201
    reject = api_client(executive).post(f"{APPROVALS}{response.data['id']}/reject/", {}, format="json")
    assert reject.status_code == 400 and "decision_comment" in reject.data["errors"]
    api_client(executive).post(f"{APPROVALS}{response.data['id']}/approve/", {}, format="json")
    version.refresh_from_db()
    assert version.status == VersionStatus.CHAMPION


def test_approval_request_validation(api_client, model_owner, outsider, ai_model):
    client = api_client(model_owner)
    no_gate = client.post(
        APPROVALS, {"model": ai_model.pk, "kind": "stage_change", "requested_stage": "retired"}, format="json"
    )
    assert no_gate.status_code == 400 and "requested_stage" in no_gate.data["errors"]
    assert (
        client.post(APPROVALS, {"model": ai_model.pk, "kind": "promote_version"}, format="json").status_code
        == 400
    )
    assert client.post(APPROVALS, {"model": 999999, "kind": "stage_change"}, format="json").status_code == 400
    foreign = api_client(outsider).post(
        APPROVALS,
        {"model": ai_model.pk, "kind": "stage_change", "requested_stage": "validation"},
        format="json",
    )
    assert foreign.status_code == 404
    assert not ApprovalRequest.objects.exists()


def test_schema_lists_inventory_endpoints(api_client, auditor):
    response = api_client(auditor).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/models/{id}/versions/" in paths
    assert "/api/v1/approval-requests/{id}/approve/" in paths
