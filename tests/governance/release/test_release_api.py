"""The release API: readiness, the policy, validations, the deployment gate and deployments, with tenancy and
role denials."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.models import AuditEvent, Deployment, DeploymentCheck, VersionStatus
from governance.rules.release_checks import CHECKS
from governance.selectors.release import default_rules
from governance.services import inventory as inventory_services
from governance.services import release as services

pytestmark = pytest.mark.django_db
GATE = "/api/v1/deployment-checks/"
DEPLOYMENTS = "/api/v1/deployments/"


def test_readiness_of_a_model_lists_every_check(api_client, auditor, new_high_risk_model):
    response = api_client(auditor).get(
        f"/api/v1/models/{new_high_risk_model.pk}/readiness/?target=production"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["target"], body["profile"], body["policy_version"], body["version"]) == (
        "production",
        "high",
        0,
        "0.1.0",
    )
    statuses = {c["name"]: c["status"] for c in body["checks"]}
    assert statuses["risk_assessed"] == "fail" and len(statuses) == len(CHECKS)
    assert (
        api_client(auditor).get(f"/api/v1/models/{new_high_risk_model.pk}/readiness/?target=moon").status_code
        == 400
    )


def test_another_organisations_model_answers_404_and_its_name_is_unknown(
    api_client, outsider, new_high_risk_model
):
    client = api_client(outsider)
    assert client.get(f"/api/v1/models/{new_high_risk_model.pk}/readiness/").status_code == 404
    response = client.post(
        GATE, {"model": new_high_risk_model.name, "version": "0.1.0", "environment": "test"}, format="json"
    )
    assert response.status_code == 400 and "No model" in response.json()["errors"]["model"][0]


def test_the_gate_denies_with_reasons_then_allows_once_the_release_is_approved(
    api_client, model_owner, risk_officer, executive, validator, new_high_risk_model
):
    owner = api_client(model_owner)
    ask = {"model": new_high_risk_model.name, "version": "0.1.0", "environment": "production"}
    denied = owner.post(GATE, ask, format="json")
    assert denied.status_code == 200
    body = denied.json()
    assert body["allowed"] is False and body["policy_version"] == 1
    failed = {c["name"] for c in body["checks"] if not c["passed"]}
    assert {"stage_approved", "version_approved", "risk_assessed"} <= failed
    assert DeploymentCheck.objects.get(pk=body["decision_id"]).allowed is False
    assert AuditEvent.objects.filter(action="deployment.check").count() == 1

    # Validated, approved past the rest by an executive, promoted: the gate honours the override.
    version = new_high_risk_model.versions.get()
    today = timezone.localdate()
    services.record_validation(
        actor=validator,
        version=version,
        scope=["data"],
        started_on=today - timedelta(days=5),
        completed_on=today,
        outcome="approved",
    )
    request = inventory_services.request_stage_change(
        actor=model_owner, model=new_high_risk_model, stage="production", justification="Validated."
    )
    inventory_services.decide_approval(
        actor=executive, request=request, approve=True, override_justification="Deadline; gaps tracked."
    )
    promotion = inventory_services.request_promotion(
        actor=model_owner, version=version, justification="First."
    )
    inventory_services.decide_approval(
        actor=executive,
        request=promotion,
        approve=True,
        override_justification="Lineage is being backfilled.",
    )
    version.refresh_from_db()
    assert version.status == VersionStatus.CHAMPION
    allowed = owner.post(GATE, ask, format="json").json()
    assert allowed["allowed"] is True, [c for c in allowed["checks"] if not c["passed"]]
    assert any("Overridden by executive" in c["message"] for c in allowed["checks"])


def test_only_owners_and_admins_ask_the_gate_and_record_deployments(api_client, auditor, new_high_risk_model):
    client = api_client(auditor)
    ask = {"model": new_high_risk_model.pk, "version": "0.1.0", "environment": "test"}
    assert client.post(GATE, ask, format="json").status_code == 403
    assert client.post(DEPLOYMENTS, ask, format="json").status_code == 403
    assert client.get(GATE).status_code == 200  # reading is for every member


def test_a_deployment_of_an_unapproved_version_to_production_is_recorded_and_flagged(
    api_client, model_owner, auditor, new_high_risk_model
):
    owner = api_client(model_owner)
    response = owner.post(
        DEPLOYMENTS,
        {
            "model": new_high_risk_model.name,
            "version": "0.1.0",
            "environment": "production",
            "strategy": "canary",
            "pipeline_run_url": "https://ci.example.com/runs/42",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["without_approval"], body["version_label"]) == ("started", True, "0.1.0")
    done = owner.post(f"{DEPLOYMENTS}{body['id']}/status/", {"status": "succeeded"}, format="json")
    assert done.json()["status"] == "succeeded"
    flagged = api_client(auditor).get("/api/v1/models/?running_without_approval=true").json()
    assert [m["name"] for m in flagged["results"]] == [new_high_risk_model.name]
    assert api_client(auditor).get("/api/v1/models/?running_without_approval=false").json()["count"] == 0
    assert AuditEvent.objects.filter(action__in=["deployment.record", "deployment.update"]).count() == 2
    rolled = owner.post(f"{DEPLOYMENTS}{body['id']}/status/", {"status": "rolled_back"}, format="json")
    assert rolled.status_code == 200
    assert api_client(auditor).get("/api/v1/models/?running_without_approval=true").json()["count"] == 0
    assert Deployment.objects.count() == 1


def test_the_release_policy_reads_and_takes_new_versions(
    api_client, admin_user_member, risk_officer, organisation
):
    admin = api_client(admin_user_member)
    current = admin.get("/api/v1/release-policy/").json()
    assert current["version"] == 0 and current["rules"] == default_rules()
    rules = default_rules()
    rules["profiles"]["low"]["production"] = [{"check": "risk_assessed"}]
    created = admin.post(
        "/api/v1/release-policy/",
        {"rules": rules, "note": "Low tier: risks must be assessed."},
        format="json",
    )
    assert created.status_code == 201 and created.json()["version"] == 1
    assert admin.get("/api/v1/release-policy/").json()["rules"]["profiles"]["low"]["production"] == [
        {"check": "risk_assessed"}
    ]
    refused = api_client(risk_officer).post(
        "/api/v1/release-policy/", {"rules": rules, "note": "Mine."}, format="json"
    )
    assert refused.status_code == 403
    bad = admin.post("/api/v1/release-policy/", {"rules": {"profiles": []}, "note": "Broken."}, format="json")
    assert bad.status_code == 400 and "rules" in bad.json()["errors"]


def test_validations_through_the_api(api_client, validator, model_owner, new_high_risk_model):
    version = new_high_risk_model.versions.get()
    body = {
        "version": version.pk,
        "scope": ["data", "performance"],
        "started_on": timezone.localdate().isoformat(),
    }
    assert api_client(model_owner).post("/api/v1/validations/", body, format="json").status_code == 403
    created = api_client(validator).post("/api/v1/validations/", body, format="json")
    assert created.status_code == 201, created.json()
    finding = api_client(validator).post(
        "/api/v1/validation-findings/",
        {"validation": created.json()["id"], "title": "Target leakage", "severity": "high"},
        format="json",
    )
    assert finding.status_code == 201
    closed = api_client(validator).patch(
        f"/api/v1/validation-findings/{finding.json()['id']}/", {"status": "remediated"}, format="json"
    )
    assert closed.json()["status"] == "remediated"


@pytest.mark.parametrize("reference", ["\u00b2", "9" * 30, "x\x00y", "n" * 201])
def test_odd_model_references_are_field_errors(api_client, model_owner, new_high_risk_model, reference):
    response = api_client(model_owner).post(
        GATE, {"model": reference, "version": "0.1.0", "environment": "test"}, format="json"
    )
    assert response.status_code == 400 and "model" in response.json()["errors"]
    odd_version = api_client(model_owner).get(
        f"/api/v1/models/{new_high_risk_model.pk}/readiness/?version=a%00b"
    )
    assert odd_version.status_code == 400 and "version" in odd_version.json()["errors"]
