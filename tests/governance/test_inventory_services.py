import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from governance.core.errors import ConflictError
from governance.core.roles import Role
from governance.demo.inventory import seed_inventory_demo
from governance.models import (
    AIModel,
    ApprovalRequest,
    ApprovalStatus,
    AuditEvent,
    LifecycleStage,
    ModelVersion,
    RiskTier,
    VersionStatus,
)
from governance.services import inventory as services
from tests.governance.inventory_factories import AIModelFactory, ModelVersionFactory

# These tests are about who decides; the release checks have their own (tests/governance/release/).
pytestmark = pytest.mark.usefixtures("permissive_release_policy")


@pytest.fixture
def ai_model(organisation, model_owner):
    return services.create_model(
        actor=model_owner,
        organisation=organisation,
        name="Retail credit scorecard",
        purpose="Scores loans.",
        owner=model_owner,
    )


def test_create_model_stores_derived_tier_and_audits(organisation, model_owner):
    model = services.create_model(
        actor=model_owner,
        organisation=organisation,
        name="  Fraud detector ",
        purpose="Flags card fraud.",
        owner=model_owner,
        materiality=5,
        complexity=4,
    )
    assert model.name == "Fraud detector"
    assert model.risk_tier == RiskTier.CRITICAL
    event = AuditEvent.objects.get(action="model.create")
    assert event.object_id == str(model.pk)


def _create(actor, organisation, **card):
    """A model card of the actor's, through the service; ``card`` overrides the defaults."""
    return services.create_model(
        actor=actor, organisation=organisation, **{"name": "X", "purpose": "x", "owner": actor, **card}
    )


def test_create_rejects_duplicate_name_and_foreign_owner(organisation, model_owner, ai_model, outsider):
    with pytest.raises(ValidationError) as exc:
        _create(model_owner, organisation, name="retail CREDIT scorecard", owner=outsider)
    assert set(exc.value.message_dict) == {"name", "owner"}
    assert AIModel.objects.count() == 1


def test_create_cannot_start_in_production(organisation, model_owner):
    with pytest.raises(ValidationError) as exc:
        _create(model_owner, organisation, lifecycle_stage="production")
    assert "lifecycle_stage" in exc.value.message_dict


def test_override_needs_reason(ai_model, model_owner):
    with pytest.raises(ValidationError) as exc:
        services.update_model(actor=model_owner, model=ai_model, risk_tier_override=RiskTier.CRITICAL)
    assert "risk_tier_override_reason" in exc.value.message_dict
    updated = services.update_model(
        actor=model_owner,
        model=ai_model,
        risk_tier_override=RiskTier.CRITICAL,
        risk_tier_override_reason="Capital model.",
    )
    assert updated.risk_tier == RiskTier.CRITICAL


def test_update_audits_field_diffs_and_recomputes_tier(ai_model, risk_officer):
    services.update_model(actor=risk_officer, model=ai_model, materiality=5, complexity=5)
    ai_model.refresh_from_db()
    assert ai_model.risk_tier == RiskTier.CRITICAL
    event = AuditEvent.objects.get(action="model.update")
    assert event.changes["materiality"] == [3, 5]
    assert event.changes["risk_tier"] == [RiskTier.MEDIUM, RiskTier.CRITICAL]
    assert "updated_at" not in event.changes


def test_roles_without_model_edit_are_refused(ai_model, auditor, assessor, outsider):
    for user in (auditor, assessor):
        with pytest.raises(PermissionDenied):
            services.update_model(actor=user, model=ai_model, purpose="changed")
    with pytest.raises(Http404):
        services.update_model(actor=outsider, model=ai_model, purpose="changed")


def test_register_version_in_one_call(ai_model, model_owner):
    version = services.register_version(
        actor=model_owner, model=ai_model, version="1.0.0", metrics={"auc": 0.8}, code_commit="abc123"
    )
    assert version.status == VersionStatus.CANDIDATE
    assert version.registered_by == model_owner
    with pytest.raises(ValidationError) as exc:
        services.register_version(actor=model_owner, model=ai_model, version="1.0.0")
    assert "already registered" in exc.value.message_dict["version"][0]
    with pytest.raises(ValidationError) as exc:
        services.register_version(actor=model_owner, model=ai_model, version="1.1.0", metrics=[0.8])
    assert "metrics" in exc.value.message_dict
    assert ModelVersion.objects.count() == 1


def test_risk_officer_cannot_register_versions(ai_model, risk_officer):
    with pytest.raises(PermissionDenied):
        services.register_version(actor=risk_officer, model=ai_model, version="1.0.0")


def test_non_gated_stage_moves_directly(ai_model, model_owner):
    assert (
        services.request_stage_change(actor=model_owner, model=ai_model, stage=LifecycleStage.DEVELOPMENT)
        is None
    )
    ai_model.refresh_from_db()
    assert ai_model.lifecycle_stage == LifecycleStage.DEVELOPMENT
    assert AuditEvent.objects.filter(action="model.stage_change").count() == 1


def test_production_needs_approval_by_someone_else(ai_model, model_owner, risk_officer):
    request = services.request_stage_change(
        actor=model_owner, model=ai_model, stage=LifecycleStage.PRODUCTION, justification="Validated."
    )
    ai_model.refresh_from_db()
    assert ai_model.lifecycle_stage == LifecycleStage.PROPOSED
    assert request.status == ApprovalStatus.PENDING
    with pytest.raises(ConflictError):
        services.request_stage_change(
            actor=model_owner, model=ai_model, stage=LifecycleStage.VALIDATION, justification="Again."
        )
    services.decide_approval(actor=risk_officer, request=request, approve=True, comment="Evidence reviewed.")
    ai_model.refresh_from_db()
    assert ai_model.lifecycle_stage == LifecycleStage.PRODUCTION
    assert AuditEvent.objects.filter(action="approval.approve").count() == 1


def test_gated_stage_needs_justification(ai_model, model_owner):
    with pytest.raises(ValidationError) as exc:
        services.request_stage_change(
            actor=model_owner, model=ai_model, stage=LifecycleStage.VALIDATION, justification=""
        )
    assert "justification" in exc.value.message_dict


def test_requester_cannot_decide_own_request(organisation, make_member, risk_officer, model_owner):
    model = AIModelFactory(organisation=organisation, owner=model_owner)
    request = services.request_stage_change(
        actor=risk_officer, model=model, stage=LifecycleStage.VALIDATION, justification="Ready."
    )
    with pytest.raises(PermissionDenied, match="request you made yourself"):
        services.decide_approval(actor=risk_officer, request=request, approve=True)
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING


def test_owner_cannot_decide_even_with_approve_role(organisation, make_member, model_owner):
    owning_officer = make_member(Role.RISK_OFFICER)
    model = AIModelFactory(organisation=organisation, owner=owning_officer)
    request = services.request_stage_change(
        actor=model_owner, model=model, stage=LifecycleStage.VALIDATION, justification="Ready."
    )
    with pytest.raises(PermissionDenied, match="owner cannot decide"):
        services.decide_approval(actor=owning_officer, request=request, approve=True)


def test_admin_role_cannot_approve(ai_model, model_owner, executive, admin_user_member):
    request = services.request_stage_change(
        actor=model_owner, model=ai_model, stage=LifecycleStage.VALIDATION, justification="Ready."
    )
    with pytest.raises(PermissionDenied):
        services.decide_approval(actor=admin_user_member, request=request, approve=True)
    services.decide_approval(actor=executive, request=request, approve=True, comment="")


def test_reject_needs_comment_and_decisions_are_final(ai_model, model_owner, executive):
    request = services.request_stage_change(
        actor=model_owner, model=ai_model, stage=LifecycleStage.VALIDATION, justification="Ready."
    )
    with pytest.raises(ValidationError):
        services.decide_approval(actor=executive, request=request, approve=False, comment="")
    services.decide_approval(
        actor=executive, request=request, approve=False, comment="Missing test evidence."
    )
    ai_model.refresh_from_db()
    assert ai_model.lifecycle_stage == LifecycleStage.PROPOSED
    with pytest.raises(ConflictError):
        services.decide_approval(actor=executive, request=request, approve=True)


def test_promotion_swaps_champion(ai_model, model_owner, executive):
    old = ModelVersionFactory(model=ai_model, status=VersionStatus.CHAMPION)
    new = services.register_version(actor=model_owner, model=ai_model, version="2.0.0")
    request = services.request_promotion(actor=model_owner, version=new, justification="Better AUC.")
    services.decide_approval(actor=executive, request=request, approve=True, comment="OK")
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, new.status) == (VersionStatus.RETIRED, VersionStatus.CHAMPION)
    with pytest.raises(ConflictError):
        services.request_promotion(actor=model_owner, version=new, justification="Again.")


def test_demo_seed_is_idempotent_and_varied(organisation, make_member):
    users = {role.value: make_member(role) for role in Role}
    seed_inventory_demo(organisation, users)
    count, events = AIModel.objects.count(), AuditEvent.objects.count()
    seed_inventory_demo(organisation, users)
    assert AIModel.objects.count() == count >= 12
    assert AuditEvent.objects.count() == events
    assert {m.lifecycle_stage for m in AIModel.objects.all()} == set(LifecycleStage.values)
    assert len({m.risk_tier for m in AIModel.objects.all()}) == 4
    assert ApprovalRequest.objects.filter(status=ApprovalStatus.PENDING).exists()
    assert ApprovalRequest.objects.filter(status=ApprovalStatus.REJECTED).exists()
    assert ModelVersion.objects.filter(status=VersionStatus.CHAMPION).exists()


def test_developers_must_be_members(organisation, model_owner, outsider):
    with pytest.raises(ValidationError) as exc:
        services.create_model(
            actor=model_owner,
            organisation=organisation,
            name="X",
            purpose="x",
            owner=model_owner,
            developers=[outsider],
        )
    assert "developers" in exc.value.message_dict
    assert not AIModel.objects.exists()
