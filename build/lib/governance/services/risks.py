"""The risk register: audited writes of risks. Scoring and bands are ``governance.rules.risk_scoring``.

Every write takes the acting user, checks ``risk.edit`` through ``governance.core.tenancy.require``, validates
before saving anything and records an audit event in the same transaction.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from governance.core.audit import (
    delete_audited,
    save_audited_new,
    update_audited,
)
from governance.core.roles import Permission
from governance.core.tenancy import require
from governance.core.validation import refuse_unknown_fields
from governance.models import AIModel, Membership, Organisation, Risk, RiskStatus
from governance.models.actions import GovernanceAction

EDITABLE_FIELDS: tuple[str, ...] = (
    "title",
    "category",
    "description",
    "likelihood",
    "impact",
    "mitigation",
    "residual_likelihood",
    "residual_impact",
    "owner",
    "status",
    "due_date",
)
# Statuses in which somebody has decided what to do about the risk, so that decision must be written down.
TREATED_STATUSES = frozenset({RiskStatus.MITIGATING, RiskStatus.ACCEPTED, RiskStatus.CLOSED})


def _add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _validate(risk: Risk) -> None:
    """Field validation plus the register's rules; one ValidationError listing every problem."""
    errors: dict[str, list[str]] = {}
    try:
        risk.full_clean(exclude=["organisation", "model"], validate_unique=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if risk.model_id and risk.model.organisation_id != risk.organisation_id:
        _add(errors, "model", "Choose a model of this organisation.")
    has_likelihood = risk.residual_likelihood is not None
    has_impact = risk.residual_impact is not None
    if has_likelihood != has_impact:
        missing = "residual_impact" if has_likelihood else "residual_likelihood"
        _add(errors, missing, "Give both residual likelihood and residual impact, or neither.")
    scored = not any(f in errors for f in ("likelihood", "impact", "residual_likelihood", "residual_impact"))
    if scored and has_likelihood and has_impact:
        inherent = risk.likelihood * risk.impact
        residual = risk.residual_likelihood * risk.residual_impact
        if residual > inherent:
            _add(
                errors,
                "residual_impact",
                f"The residual score ({risk.residual_likelihood} x {risk.residual_impact} = {residual}) is "
                f"higher than the inherent score ({risk.likelihood} x {risk.impact} = {inherent}); "
                "mitigation cannot make a risk worse. Lower the residual levels or reassess the inherent ones.",
            )
    if risk.status in TREATED_STATUSES and not (risk.mitigation or "").strip():
        message = {
            RiskStatus.MITIGATING: "Describe the mitigation that is in progress.",
            RiskStatus.ACCEPTED: "Explain why the risk is accepted and by whom (the treatment decision).",
            RiskStatus.CLOSED: "Describe the mitigation that closed this risk.",
        }[risk.status]
        _add(errors, "mitigation", message)
    if risk.status == RiskStatus.CLOSED and not has_likelihood and not has_impact:
        _add(errors, "residual_likelihood", "Assess the residual likelihood and impact before closing.")
    if (
        risk.owner_id
        and not errors.get("owner")
        and not Membership.objects.filter(
            organisation_id=risk.organisation_id, user_id=risk.owner_id
        ).exists()
    ):
        _add(errors, "owner", "The owner must be a member of this organisation.")
    if errors:
        raise ValidationError(errors)


def _clean_text(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value.strip() if isinstance(value, str) else value for key, value in data.items()}


def create_risk(*, actor, organisation: Organisation, model: AIModel, **data: Any) -> Risk:
    """Add a risk of ``model`` to the organisation's register."""
    require(actor, organisation, Permission.RISK_EDIT)
    refuse_unknown_fields(data, EDITABLE_FIELDS)
    risk = Risk(organisation=organisation, model=model, **_clean_text(data))
    with transaction.atomic():
        _validate(risk)
        save_audited_new(
            organisation=organisation, actor=actor, action=GovernanceAction.RISK_CREATE, obj=risk
        )
    return risk


def update_risk(*, actor, risk: Risk, **data: Any) -> Risk:
    """Change a risk (its model too); the audit event lists each changed field as [before, after]."""
    require(actor, risk.organisation_id, Permission.RISK_EDIT)
    refuse_unknown_fields(data, (*EDITABLE_FIELDS, "model"))

    def prepare(locked: Risk) -> None:
        _validate(locked)
        # save() derives the scores; derive them now so the diff shows what will be stored.
        locked.derive_scores()

    return update_audited(
        actor=actor,
        obj=risk,
        action=GovernanceAction.RISK_UPDATE,
        data=_clean_text(data),
        prepare=prepare,
        select_related=("model",),
    )


def delete_risk(*, actor, risk: Risk) -> None:
    """Remove a risk from the register (entered by mistake, or the model was retired); audited."""
    require(actor, risk.organisation_id, Permission.RISK_EDIT)
    with transaction.atomic():
        locked = Risk.objects.select_for_update().get(pk=risk.pk)
        delete_audited(
            organisation=locked.organisation, actor=actor, action=GovernanceAction.RISK_DELETE, obj=locked
        )
