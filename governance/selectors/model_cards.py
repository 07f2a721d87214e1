"""Model card reads: the versions of the user's organisations with their cards, the card as sections beside
the version's metrics, and the card as Markdown."""

from typing import Any

from django.db.models import Case, CharField, Exists, OuterRef, QuerySet, Value, When
from django.db.models.functions import Concat
from django.http import Http404

from governance.core.tenancy import get_for_user
from governance.models import ModelCard, ModelVersion, Organisation, VersionStatus
from governance.rules import model_cards as rules

LOOKUP_RESULTS = 20


def with_card_flag(versions: QuerySet[ModelVersion]) -> QuerySet[ModelVersion]:
    """``versions`` with ``has_card``: a table of versions marks the ones with a card in the same query."""
    return versions.annotate(has_card=Exists(ModelCard.objects.filter(version=OuterRef("pk"))))


def _versions() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.select_related(
        "model__organisation", "model__owner", "model__business_unit", "registered_by"
    )


# No row has a wider id; SQLite refuses to compare a foreign key with a wider integer (OverflowError).
MAX_ID = 2**63 - 1


def _in_range(*ids: int) -> None:
    if any(abs(i) > MAX_ID for i in ids):
        raise Http404("No model version matches.")


def version_for_user(user, *, model_id: int, version_id: int) -> ModelVersion:
    """A version of one of the user's models, by its id (404 for another organisation's, or another model's)."""
    _in_range(model_id, version_id)
    return get_for_user(_versions(), user, "model__organisation", model_id=model_id, pk=version_id)


def version_by_label_for_user(user, *, model_id: int, label: str) -> ModelVersion:
    """A version of one of the user's models by its label, as pipelines name it (404 likewise)."""
    _in_range(model_id)
    return get_for_user(_versions(), user, "model__organisation", model_id=model_id, version=label)


def card_of(version: ModelVersion) -> ModelCard | None:
    """The version's card, or None before anyone wrote one."""
    return ModelCard.objects.filter(version=version).select_related("updated_by").first()


def sections(card: ModelCard | None) -> list[dict[str, Any]]:
    """Each section of the card in order: key, heading, help and text ("" when not recorded)."""
    return [
        {
            "key": section.key,
            "heading": section.heading,
            "help": section.help,
            "text": getattr(card, section.key, "") if card is not None else "",
        }
        for section in rules.SECTIONS
    ]


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def version_details(version: ModelVersion) -> list[tuple[str, str]]:
    """The model details a card opens with: who owns the model, what it is, and the version's lineage."""
    model = version.model
    return [
        ("Model", model.name),
        ("Version", version.version),
        ("Status", version.get_status_display()),
        ("Owner", _person(model.owner)),
        ("Business unit", model.business_unit.name if model.business_unit else "—"),
        ("Model type", model.model_type or "—"),
        ("Lifecycle stage", model.get_lifecycle_stage_display()),
        ("EU AI Act category", model.get_eu_ai_act_category_display()),
        ("Registered at", f"{version.registered_at:%Y-%m-%d %H:%M} UTC" if version.registered_at else "—"),
        ("Registered by", _person(version.registered_by) or "—"),
        ("Artifact URI", version.artifact_uri or "—"),
        ("Code commit", version.code_commit or "—"),
        ("Training data reference", version.training_data_ref or "—"),
    ]


def card_markdown(version: ModelVersion, card: ModelCard | None) -> str:
    """The card as a Markdown document (see ``governance.rules.model_cards.render_markdown``)."""
    updated = ""
    if card is not None and card.updated_at:
        by = _person(card.updated_by)
        updated = f"Card last updated {card.updated_at:%Y-%m-%d %H:%M} UTC{f' by {by}' if by else ''}."
    return rules.render_markdown(
        model_name=version.model.name,
        version_label=version.version,
        details=version_details(version),
        texts={field: getattr(card, field, "") for field in rules.FIELDS} if card is not None else {},
        metrics=version.metrics,
        updated=updated,
    )


def markdown_filename(version: ModelVersion) -> str:
    """A file name any system accepts: the model and version, letters, digits, dots and dashes only."""
    stem = f"model-card-{version.model.name}-{version.version}"
    safe = "".join(c if c.isascii() and (c.isalnum() or c in ".-") else "-" for c in stem)
    return "-".join(part for part in safe.split("-") if part)[:150] + ".md"


# --- Report subjects -----------------------------------------------------------------------------------------


def _named(versions: QuerySet[ModelVersion]) -> QuerySet[ModelVersion]:
    # "name" is what the report form's name picker matches and shows: the model's name and the version label.
    return versions.annotate(
        name=Concat("model__name", Value(" "), "version", output_field=CharField())
    ).select_related("model")


def versions_of_organisation(organisation: Organisation) -> QuerySet[ModelVersion]:
    """The organisation's versions, each named "<model> <version>" (the model card report's subjects)."""
    return _named(ModelVersion.objects.filter(model__organisation=organisation))


def versions_named_like(organisation: Organisation, text: str) -> list[tuple[int, str]]:
    """(id, "<model> <version>") of up to LOOKUP_RESULTS of the organisation's versions matching ``text``:
    champions first, then the newest (the report form's suggestions)."""
    text = text.replace("\x00", "").strip()[:100]
    if not text:
        return []
    found = versions_of_organisation(organisation).filter(name__icontains=text)
    champion_first = Case(When(status=VersionStatus.CHAMPION, then=Value(0)), default=Value(1))
    return list(
        found.order_by(champion_first, "model__name", "-registered_at", "-pk").values_list("pk", "name")[
            :LOOKUP_RESULTS
        ]
    )
