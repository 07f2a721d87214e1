"""Approvals held to the release policy: blocked, overridden by an executive with a justification, frozen; the
policy's versions; independent validations and their separation of duties."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from governance.core.errors import ConflictError
from governance.models import ApprovalStatus, AuditEvent, LifecycleStage, ReleasePolicy, Validation
from governance.selectors.release import current_policy, default_rules
from governance.services import inventory as inventory_services
from governance.services import release as services

pytestmark = pytest.mark.django_db
OVERRIDE = "Regulator deadline; gaps tracked in remediation plan RP-12."


def _ask_production(model, owner):
    return inventory_services.request_stage_change(
        actor=owner, model=model, stage=LifecycleStage.PRODUCTION, justification="Ready."
    )


def test_the_scenario_a_new_high_risk_model_cannot_reach_production_without_an_audited_override(
    new_high_risk_model, model_owner, risk_officer, executive
):
    request = _ask_production(new_high_risk_model, model_owner)
    with pytest.raises(ValidationError) as refused:
        inventory_services.decide_approval(actor=risk_officer, request=request, approve=True)
    assert "Risk assessment recorded" in refused.value.message_dict["override_justification"][0]
    with pytest.raises(PermissionDenied, match="Only an executive"):
        inventory_services.decide_approval(
            actor=risk_officer, request=request, approve=True, override_justification=OVERRIDE
        )
    new_high_risk_model.refresh_from_db()
    assert new_high_risk_model.lifecycle_stage != LifecycleStage.PRODUCTION

    decided = inventory_services.decide_approval(
        actor=executive, request=request, approve=True, override_justification=OVERRIDE
    )
    assert (decided.status, decided.overridden, decided.override_justification) == (
        ApprovalStatus.APPROVED,
        True,
        OVERRIDE,
    )
    new_high_risk_model.refresh_from_db()
    assert new_high_risk_model.lifecycle_stage == LifecycleStage.PRODUCTION
    failed = {c["name"] for c in decided.readiness["checks"] if c["status"] == "fail"}
    assert {"risk_assessed", "validation_approved", "kpis_defined"} <= failed
    # The first decision adopted the default policy as version 1, and says so in the trail.
    assert decided.policy_version == 1 == current_policy(new_high_risk_model.organisation).version
    actions = list(AuditEvent.objects.order_by("sequence").values_list("action", "actor_label"))
    assert ("release_policy.update", "system") in actions
    override = AuditEvent.objects.get(action="approval.override")
    assert override.changes["override_justification"] == [None, OVERRIDE]
    assert set(override.changes["failed_checks"][1]) == failed


def test_a_tier_1_model_with_nothing_recorded_is_blocked_even_for_an_executive(
    tier_one_model, model_owner, executive
):
    request = _ask_production(tier_one_model, model_owner)
    with pytest.raises(ConflictError, match="Independent validation approved"):
        inventory_services.decide_approval(
            actor=executive, request=request, approve=True, override_justification=OVERRIDE
        )
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING and request.readiness == {}
    # Rejecting is always possible.
    inventory_services.decide_approval(
        actor=executive, request=request, approve=False, comment="Validate first."
    )


def test_a_prepared_release_passes_without_an_override_and_its_readiness_is_frozen(
    tier_one_model, model_owner, risk_officer, validator, admin_user_member
):
    services.update_release_policy(
        actor=admin_user_member,
        organisation=tier_one_model.organisation,
        rules={
            "profiles": {
                **default_rules()["profiles"],
                "critical": {
                    "validation": [],
                    "production": [{"check": "validation_approved"}, {"check": "lineage_complete"}],
                    "champion": [],
                },
            }
        },
        note="Tier 1 production: validation and lineage only, while the compliance programme starts.",
    )
    version = tier_one_model.versions.get()
    today = timezone.localdate()
    validation = services.record_validation(
        actor=validator,
        version=version,
        scope=["conceptual_soundness", "performance"],
        started_on=today - timedelta(days=20),
        completed_on=today - timedelta(days=2),
        outcome="approved",
    )
    request = _ask_production(tier_one_model, model_owner)
    decided = inventory_services.decide_approval(actor=risk_officer, request=request, approve=True)
    assert not decided.overridden and decided.policy_version == 1
    frozen = decided.readiness
    assert all(c["status"] in ("pass", "not_required") for c in frozen["checks"])
    # Later changes cannot rewrite what the approver saw.
    Validation.objects.filter(pk=validation.pk).delete()
    decided.refresh_from_db()
    assert decided.readiness == frozen


def test_policy_versions_are_new_rows_audited_and_only_admins_write_them(
    organisation, admin_user_member, executive
):
    rules = default_rules()
    first = services.update_release_policy(
        actor=admin_user_member, organisation=organisation, rules=rules, note="Adopt."
    )
    second = services.update_release_policy(
        actor=admin_user_member, organisation=organisation, rules=rules, note="Again."
    )
    assert (first.version, second.version) == (1, 2)
    assert ReleasePolicy.objects.filter(organisation=organisation).count() == 2
    assert AuditEvent.objects.filter(action="release_policy.update").count() == 2
    with pytest.raises(PermissionDenied):
        services.update_release_policy(actor=executive, organisation=organisation, rules=rules, note="Mine.")
    with pytest.raises(ValidationError) as bad:
        services.update_release_policy(
            actor=admin_user_member, organisation=organisation, rules={"profiles": {}}, note="Empty."
        )
    assert "Profile 'critical' is missing." in bad.value.message_dict["rules"]
    with pytest.raises(ValidationError) as no_note:
        services.update_release_policy(
            actor=admin_user_member, organisation=organisation, rules=rules, note=" "
        )
    assert "note" in no_note.value.message_dict


def test_validators_are_independent_of_the_model(new_high_risk_model, model_owner, validator, risk_officer):
    version = new_high_risk_model.versions.get()
    fields = {"scope": ["data"], "started_on": timezone.localdate()}
    with pytest.raises(PermissionDenied):
        services.record_validation(actor=risk_officer, version=version, **fields)  # not a validator
    new_high_risk_model.developers.add(validator)
    with pytest.raises(PermissionDenied, match="owner and developers"):
        services.record_validation(actor=validator, version=version, **fields)
    new_high_risk_model.developers.remove(validator)
    validation = services.record_validation(actor=validator, version=version, **fields)
    assert AuditEvent.objects.filter(action="validation.create").count() == 1
    with pytest.raises(ValidationError) as bad:
        services.update_validation(actor=validator, validation=validation, outcome="approved")
    assert "completed_on" in bad.value.message_dict
    with pytest.raises(ValidationError) as no_scope:
        services.record_validation(
            actor=validator, version=version, scope=[], started_on=timezone.localdate()
        )
    assert "scope" in no_scope.value.message_dict


def test_an_open_high_finding_blocks_production_until_the_validator_closes_it(
    tier_one_model, model_owner, risk_officer, validator, admin_user_member
):
    services.update_release_policy(
        actor=admin_user_member,
        organisation=tier_one_model.organisation,
        rules={
            "profiles": {
                **default_rules()["profiles"],
                "critical": {
                    "validation": [],
                    "production": [{"check": "validation_findings_closed"}],
                    "champion": [],
                },
            }
        },
        note="Findings first.",
    )
    validation = services.record_validation(
        actor=validator,
        version=tier_one_model.versions.get(),
        scope=["data"],
        started_on=timezone.localdate(),
    )
    finding = services.add_finding(
        actor=validator, validation=validation, title="Leakage in a feature", severity="high"
    )
    request = _ask_production(tier_one_model, model_owner)
    with pytest.raises(ConflictError, match="still open"):
        inventory_services.decide_approval(actor=risk_officer, request=request, approve=True)
    with pytest.raises(PermissionDenied):
        services.set_finding_status(actor=model_owner, finding=finding, status="remediated")
    services.set_finding_status(actor=validator, finding=finding, status="remediated")
    assert (
        inventory_services.decide_approval(actor=risk_officer, request=request, approve=True).status
        == "approved"
    )


def test_tier_1_and_2_releases_need_three_different_people(
    new_high_risk_model, model_owner, validator, organisation, executive
):
    from governance.models import Membership

    services.record_validation(
        actor=validator,
        version=new_high_risk_model.versions.get(),
        scope=["data"],
        started_on=timezone.localdate(),
    )
    request = _ask_production(new_high_risk_model, model_owner)
    # The validator becomes an executive: still not the one to approve what they validated.
    Membership.objects.filter(user=validator, organisation=organisation).update(role="executive")
    validator = type(validator).objects.get(pk=validator.pk)  # memberships are cached on the user object
    with pytest.raises(PermissionDenied, match="you validated this version"):
        inventory_services.decide_approval(
            actor=validator, request=request, approve=True, override_justification=OVERRIDE
        )
