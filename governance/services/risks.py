"""The risk register: scoring (pure functions) and audited writes of risks.

A risk's score is likelihood times impact on two 1-5 scales, so 1 to 25. ``score_band`` names the band a
score falls in; the same bands colour the heat map, filter the register and label every risk:

    low       1-4    (e.g. rare and minor, or likely but negligible)
    medium    5-9
    high      10-14  (10 and 12 on a 5x5 grid)
    critical  15-25  (15, 16, 20, 25: e.g. likely and major, or possible and severe)

Every write takes the acting user, checks ``risk.edit`` through ``governance.core.tenancy.require``, validates
before saving anything and records an audit event in the same transaction.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from governance.core.audit import (
    delete_audited,
    save_audited_changes,
    save_audited_new,
    snapshot,
)
from governance.core.tenancy import require
from governance.core.validation import refuse_unknown_fields
from governance.models import AIModel, Membership, Organisation, Risk, RiskStatus

SCALE = range(1, 6)
LOW, MEDIUM, HIGH, CRITICAL = "low", "medium", "high", "critical"
# band -> (lowest score, highest score), inclusive; contiguous and covering 1..25.
BAND_RANGES: dict[str, tuple[int, int]] = {
    LOW: (1, 4),
    MEDIUM: (5, 9),
    HIGH: (10, 14),
    CRITICAL: (15, 25),
}
BAND_CHOICES = [
    (LOW, "Low (1-4)"),
    (MEDIUM, "Medium (5-9)"),
    (HIGH, "High (10-14)"),
    (CRITICAL, "Critical (15-25)"),
]

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
# Statuses whose due date still matters: an accepted or closed risk is never overdue.
ACTIVE_STATUSES = frozenset({RiskStatus.OPEN, RiskStatus.MITIGATING})


def risk_score(likelihood: int, impact: int) -> int:
    """Likelihood times impact, both on the 1-5 scale; anything else raises ValueError."""
    for name, value in (("likelihood", likelihood), ("impact", impact)):
        if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
            raise ValueError(f"{name} must be a whole number from 1 to 5, not {value!r}")
    return likelihood * impact


def score_band(score: int | None) -> str | None:
    """low / medium / high / critical for a score of 1-25 (see the module docstring); None for no score."""
    if score is None:
        return None
    for band, (lowest, highest) in BAND_RANGES.items():
        if lowest <= score <= highest:
            return band
    raise ValueError(f"A risk score is from 1 to 25, not {score!r}")


def _get(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)


def heatmap_counts(risks: Iterable[Any], residual: bool = False) -> list[list[int]]:
    """Risks per cell of the 5x5 grid: ``grid[impact - 1][likelihood - 1]``.

    Items are risks or mappings with ``likelihood``/``impact`` (and ``residual_likelihood``/
    ``residual_impact``); a mapping may carry a count under ``n`` (what a GROUP BY query returns). With
    ``residual`` the residual levels are used and risks without a residual assessment are left out.
    """
    grid = [[0] * 5 for _ in SCALE]
    fields = ("residual_likelihood", "residual_impact") if residual else ("likelihood", "impact")
    for item in risks:
        likelihood, impact = _get(item, fields[0]), _get(item, fields[1])
        if likelihood not in SCALE or impact not in SCALE:
            continue
        count = _get(item, "n") if isinstance(item, Mapping) and "n" in item else 1
        grid[impact - 1][likelihood - 1] += count
    return grid


# --- writes --------------------------------------------------------------------------------------------


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


def create_risk(actor, organisation: Organisation, model: AIModel, **data: Any) -> Risk:
    """Add a risk of ``model`` to the organisation's register."""
    require(actor, organisation, "risk.edit")
    refuse_unknown_fields(data, EDITABLE_FIELDS)
    risk = Risk(organisation=organisation, model=model, **_clean_text(data))
    with transaction.atomic():
        _validate(risk)
        save_audited_new(organisation=organisation, actor=actor, action="risk.create", obj=risk)
    return risk


def update_risk(actor, risk: Risk, **data: Any) -> Risk:
    """Change a risk (its model too); the audit event lists each changed field as [before, after]."""
    require(actor, risk.organisation_id, "risk.edit")
    refuse_unknown_fields(data, (*EDITABLE_FIELDS, "model"))
    with transaction.atomic():
        locked = Risk.objects.select_for_update().select_related("model").get(pk=risk.pk)
        before = snapshot(locked)
        for field, value in _clean_text(data).items():
            setattr(locked, field, value)
        _validate(locked)
        # save() derives the scores; derive them now so the diff shows what will be stored.
        locked.derive_scores()
        save_audited_changes(
            organisation=locked.organisation, actor=actor, action="risk.update", obj=locked, before=before
        )
    return locked


def delete_risk(actor, risk: Risk) -> None:
    """Remove a risk from the register (entered by mistake, or the model was retired); audited."""
    require(actor, risk.organisation_id, "risk.edit")
    with transaction.atomic():
        locked = Risk.objects.select_for_update().get(pk=risk.pk)
        delete_audited(organisation=locked.organisation, actor=actor, action="risk.delete", obj=locked)
