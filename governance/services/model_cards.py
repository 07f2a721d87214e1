"""Model card writes: a version's card, created on its first save and changed in place afterwards.

Pipelines post it with their owner's token and people edit it on the card page; both come through
``model_card_save``, which records what changed in the audit trail.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from governance.core.audit import diff, record_event, snapshot
from governance.core.roles import Permission
from governance.core.tenancy import require
from governance.core.validation import refuse_unknown_fields
from governance.models import ModelCard, ModelVersion
from governance.models.actions import GovernanceAction
from governance.rules.model_cards import FIELDS, MAX_TEXT


def _clean(fields: dict[str, Any]) -> dict[str, str]:
    """The texts as stored (line endings normalised, surrounding blank space dropped), or every problem."""
    refuse_unknown_fields(fields, FIELDS)
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for name, value in fields.items():
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[name] = ["Send text (a string)."]
        elif "\x00" in value:
            errors[name] = ["Text cannot contain NUL characters."]
        elif len(value) > MAX_TEXT:
            errors[name] = [f"At most {MAX_TEXT:,} characters (this has {len(value):,})."]
        else:
            cleaned[name] = value.replace("\r\n", "\n").strip()
    if errors:
        raise ValidationError(errors)
    return cleaned


def model_card_save(*, actor, version: ModelVersion, fields: dict[str, Any]) -> ModelCard:
    """Set the given sections of ``version``'s card (creating the card on first use); the others keep their
    text. The audit event lists the sections that changed as [before, after]; saving the same texts again
    records nothing."""
    organisation_id = version.model.organisation_id
    require(actor, organisation_id, Permission.MODEL_CARD_EDIT)
    cleaned = _clean(fields)
    with transaction.atomic():
        # The version's row is the lock both a first save and a later one take: two pipelines posting a new
        # card at once then take turns instead of one failing on the one-card-per-version constraint.
        ModelVersion.objects.select_for_update().filter(pk=version.pk).first()
        card = ModelCard.objects.select_for_update().filter(version=version).first()
        created = card is None
        if created:
            card = ModelCard(organisation_id=organisation_id, version=version)
        before = snapshot(card, list(FIELDS)) if not created else dict.fromkeys(FIELDS, "")
        for name, text in cleaned.items():
            setattr(card, name, text)
        changes = diff(before, snapshot(card, list(FIELDS)))
        if not changes and not created:
            return card
        card.updated_by = actor
        card.save()
        label = str(version)
        changes["version"] = [None if created else label, label]
        record_event(
            organisation=version.model.organisation,
            actor=actor,
            action=GovernanceAction.MODEL_CARD_UPDATE,
            obj=card,
            changes=changes,
            object_repr=f"Model card of {label}",
        )
    return card
