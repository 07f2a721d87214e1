"""Writes to the EU AI Act Annex IV technical documentation: its free-text fields, each kept with its history.

The facts of the document are read from the system of record when it is shown
(governance.selectors.technical_documentation); only the texts no other record holds are stored here.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from governance.core.audit import diff, record_event
from governance.core.roles import Permission
from governance.core.tenancy import require
from governance.models import AIModel, TechnicalDocumentation, TechnicalDocumentationRevision
from governance.models.actions import GovernanceAction
from governance.rules import technical_documentation as rules
from governance.selectors.technical_documentation import is_high_risk


def _clean(texts: object) -> dict[str, str]:
    """The texts normalised (line endings, surrounding blanks), or ValidationError per field."""
    outline = rules.load_outline()
    if not isinstance(texts, dict):
        raise ValidationError({"texts": ["Give the texts as a mapping of field keys to text."]})
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    allowed = set(outline.text_keys)
    for key, value in texts.items():
        if not isinstance(key, str) or key not in allowed:
            errors.setdefault("texts", []).append(
                f"Unknown field {str(key)[:60]!r}; the fields are: {', '.join(outline.text_keys)}."
            )
            continue
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[key] = ["Text is required here (a string)."]
            continue
        if "\x00" in value:
            errors[key] = ["The text contains a NUL character."]
            continue
        value = value.replace("\r\n", "\n").strip()
        if len(value) > rules.MAX_TEXT:
            errors[key] = [f"At most {rules.MAX_TEXT:,} characters (this has {len(value):,})."]
            continue
        cleaned[key] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def technical_documentation_update(*, actor, model: AIModel, texts: dict[str, str]) -> TechnicalDocumentation:
    """Save the given free texts of ``model``'s Annex IV documentation (fields not given keep their text).

    Each changed field gets a revision (its history) and the change one audit event naming the fields; saving
    the same texts again changes nothing and records nothing. Only high-risk models have this documentation.
    """
    require(actor, model.organisation_id, Permission.TECHNICAL_DOCUMENTATION_EDIT)
    if not is_high_risk(model):
        raise ValidationError(
            "EU AI Act Annex IV technical documentation applies to high-risk systems only; "
            f"{model.name} is classified {model.get_eu_ai_act_category_display().lower()}."
        )
    cleaned = _clean(texts)
    with transaction.atomic():
        # Lock the model first: the first save creates the document, and two first saves must take turns.
        locked = AIModel.objects.select_for_update().select_related("organisation").get(pk=model.pk)
        if not is_high_risk(locked):
            raise ValidationError("The model is no longer classified high-risk.")
        document = TechnicalDocumentation.objects.select_for_update().filter(model=locked).first()
        before = dict((document.texts if document else None) or {})
        changed = {key: text for key, text in cleaned.items() if (before.get(key) or "") != text}
        if not changed:
            return document or TechnicalDocumentation(organisation=locked.organisation, model=locked)
        if document is None:
            document = TechnicalDocumentation(organisation=locked.organisation, model=locked)
        document.texts = {**before, **changed}
        document.updated_by = actor
        document.save()
        now = timezone.now()
        TechnicalDocumentationRevision.objects.bulk_create(
            TechnicalDocumentationRevision(
                document=document, field=key, text=text, edited_by=actor, edited_at=now
            )
            for key, text in sorted(changed.items())
        )
        record_event(
            organisation=locked.organisation,
            actor=actor,
            action=GovernanceAction.TECHNICAL_DOCUMENTATION_UPDATE,
            obj=document,
            object_repr=f"Annex IV technical documentation of {locked.name}",
            changes={
                "model": [None, locked.name],
                "fields": [None, sorted(changed)],
                "texts": diff({k: before.get(k) for k in changed}, changed),
            },
        )
    return document
