"""What a review of the release gates found, each reproduced and now refused."""

import math
from datetime import timedelta

import pytest
from django.utils import timezone

from governance.core.errors import ConflictError
from governance.models import ModelVersion
from governance.rules.release_policy import policy_problems
from governance.selectors.release import default_rules
from governance.services import inventory as inventory_services
from governance.services import release as services
from tests.governance.inventory_factories import ModelVersionFactory

pytestmark = pytest.mark.django_db
OVERRIDE = "Deadline; tracked in RP-3."


def _to_production_with_override(model, owner, executive):
    request = inventory_services.request_stage_change(
        actor=owner, model=model, stage="production", justification="Go."
    )
    inventory_services.decide_approval(
        actor=executive, request=request, approve=True, override_justification=OVERRIDE
    )
    version = model.versions.get()
    promotion = inventory_services.request_promotion(actor=owner, version=version, justification="First.")
    inventory_services.decide_approval(
        actor=executive, request=promotion, approve=True, override_justification=OVERRIDE
    )
    version.refresh_from_db()
    model.refresh_from_db()
    return version


def _validated_and_overridden_into_production(model, owner, executive, validator):
    """The model's one version validated, then taken to production and made champion past the other checks."""
    today = timezone.localdate()
    services.record_validation(
        actor=validator,
        version=model.versions.get(),
        scope=["data"],
        started_on=today,
        completed_on=today,
        outcome="approved",
    )
    return _to_production_with_override(model, owner, executive)


def test_the_gate_stops_honouring_an_override_the_policy_no_longer_allows(
    new_high_risk_model, model_owner, executive, validator, admin_user_member
):
    version = _validated_and_overridden_into_production(
        new_high_risk_model, model_owner, executive, validator
    )
    assert services.ask_gate(
        actor=model_owner, model=new_high_risk_model, version=version, environment="production"
    ).allowed
    rules = default_rules()
    for entry in rules["profiles"]["high"]["production"]:
        if entry["check"] == "risk_assessed":
            entry["overridable"] = False
    services.update_release_policy(
        actor=admin_user_member,
        organisation=new_high_risk_model.organisation,
        rules=rules,
        note="Risks first.",
    )
    denied = services.ask_gate(
        actor=model_owner, model=new_high_risk_model, version=version, environment="production"
    )
    assert not denied.allowed
    assert [c["name"] for c in denied.checks if not c["passed"]] == ["risk_assessed"]


def test_the_gate_does_not_stretch_an_override_over_a_new_failure(
    new_high_risk_model, model_owner, executive, validator
):
    from governance.models import Incident

    version = _validated_and_overridden_into_production(
        new_high_risk_model, model_owner, executive, validator
    )
    now = timezone.now()
    Incident.objects.create(
        organisation=new_high_risk_model.organisation,
        model=new_high_risk_model,
        title="Scores all zero",
        severity="critical",
        occurred_at=now - timedelta(hours=1),
        detected_at=now,
        description="Outage.",
    )
    denied = services.ask_gate(
        actor=model_owner, model=new_high_risk_model, version=version, environment="production"
    )
    assert [c["name"] for c in denied.checks if not c["passed"]] == ["no_severe_open_incidents"]


def test_a_new_champion_of_a_model_in_production_meets_the_production_checks(
    new_high_risk_model, model_owner, executive, validator, risk_officer
):
    today = timezone.localdate()
    _validated_and_overridden_into_production(new_high_risk_model, model_owner, executive, validator)
    second = ModelVersionFactory(
        model=new_high_risk_model,
        version="0.2.0",
        artifact_uri="s3://m",
        code_commit="abc",
        training_data_ref="s3://d",
    )
    validation = services.record_validation(
        actor=validator,
        version=second,
        scope=["data"],
        started_on=today,
        completed_on=today,
        outcome="approved",
    )
    services.add_finding(actor=validator, validation=validation, title="Leakage", severity="high")
    promotion = inventory_services.request_promotion(
        actor=model_owner, version=second, justification="Better."
    )
    with pytest.raises(ConflictError, match="still open"):
        inventory_services.decide_approval(
            actor=executive, request=promotion, approve=True, override_justification=OVERRIDE
        )
    assert ModelVersion.objects.get(pk=second.pk).status == "candidate"


def test_a_decision_is_refused_when_the_checks_changed_since_the_page_was_shown(
    new_high_risk_model, model_owner, executive
):
    request = inventory_services.request_stage_change(
        actor=model_owner, model=new_high_risk_model, stage="production", justification="Go."
    )
    with pytest.raises(ConflictError, match="changed since the page was shown"):
        inventory_services.decide_approval(
            actor=executive,
            request=request,
            approve=True,
            override_justification=OVERRIDE,
            seen_failures=["risk_assessed"],
        )


@pytest.mark.parametrize(
    "rules",
    [
        {"profiles": {1: {}}},
        {"profiles": {"critical": {2: []}}},
        {"profiles": {"critical": {"production": [{"check": "compliance_coverage", "params": {3: 1}}]}}},
        {
            "profiles": {
                "critical": {
                    "production": [{"check": "compliance_coverage", "params": {"min_percent": math.nan}}]
                }
            }
        },
    ],
)
def test_odd_policy_documents_are_described_not_crashed_on(rules):
    assert policy_problems(rules)


def test_list_filters_read_another_organisations_model_as_unknown(api_client, outsider, new_high_risk_model):
    for path in ("/api/v1/deployments/", "/api/v1/deployment-checks/", "/api/v1/validations/"):
        response = api_client(outsider).get(f"{path}?model={new_high_risk_model.pk}")
        assert response.status_code == 200 and response.json()["results"] == [], path
