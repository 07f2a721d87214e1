"""Organisations, their business units and memberships, as platform administrators keep them in the Django admin.

No page changes these yet: the admin is where they are created and changed, and every save or delete it makes
comes through here, so each one writes an audit event on the organisation's trail in the same transaction (an
organisation's creation is the first event of its own trail). The admin hands over the instance its form filled
in and validated; an update re-reads the row under a lock, sets the editable fields and audits what changed.
Memberships an identity provider manages are also kept by ``governance.services.accounts`` at each sign-in.

The actor is a staff user, usually no member of the organisation, so the check is the Django permission the
admin itself checks, not an organisation role.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.text import slugify

from governance.core.audit import delete_audited, save_audited_new, update_audited
from governance.models import BusinessUnit, Membership, Organisation
from governance.models.actions import GovernanceAction

# What an update may change. A unit or a membership stays in its organisation (and a membership with its user):
# each organisation has its own trail, so a move would be a deletion on one and a creation on the other.
ORGANISATION_FIELDS = ("name", "slug", "classification", "require_two_factor")
BUSINESS_UNIT_FIELDS = ("name", "description")
MEMBERSHIP_FIELDS = ("role", "business_unit")
# Rows listed per kind when a unit in use cannot be deleted.
USES_SHOWN = 10


def _require_admin(actor, action: str, model: type[models.Model]) -> None:
    opts = model._meta
    if not (
        actor.is_active and actor.is_staff and actor.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
    ):
        raise PermissionDenied(f"Only a platform administrator may {action} a {opts.verbose_name}.")


def _fields(instance: models.Model, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in names}


def _full_clean(instance: models.Model) -> None:
    instance.full_clean()


# --- Organisations ---------------------------------------------------------------------------------------


def save_organisation(*, actor, organisation: Organisation) -> Organisation:
    """Create ``organisation`` (not yet saved) or save its editable fields; audited on its own trail.

    Organisations are never deleted: their audit trail protects them.
    """
    if organisation.pk is None:
        _require_admin(actor, "add", Organisation)
        # The slug save() would derive, set first so that validation sees it.
        organisation.slug = organisation.slug or slugify(organisation.name)[:200]
        organisation.full_clean()
        save_audited_new(
            organisation=organisation,
            actor=actor,
            action=GovernanceAction.ORGANISATION_CREATE,
            obj=organisation,
            validate=organisation.full_clean,
        )
        return organisation
    _require_admin(actor, "change", Organisation)
    return update_audited(
        actor=actor,
        obj=organisation,
        action=GovernanceAction.ORGANISATION_UPDATE,
        data=_fields(organisation, ORGANISATION_FIELDS),
        prepare=_full_clean,
        organisation_of=lambda locked: locked,
    )


# --- Business units --------------------------------------------------------------------------------------


def save_business_unit(*, actor, business_unit: BusinessUnit) -> BusinessUnit:
    """Create ``business_unit`` (not yet saved) or save its name and description; audited."""
    if business_unit.pk is None:
        _require_admin(actor, "add", BusinessUnit)
        business_unit.full_clean()
        save_audited_new(
            organisation=business_unit.organisation,
            actor=actor,
            action=GovernanceAction.BUSINESS_UNIT_CREATE,
            obj=business_unit,
            validate=business_unit.full_clean,
        )
        return business_unit
    _require_admin(actor, "change", BusinessUnit)
    return update_audited(
        actor=actor,
        obj=business_unit,
        action=GovernanceAction.BUSINESS_UNIT_UPDATE,
        data=_fields(business_unit, BUSINESS_UNIT_FIELDS),
        prepare=_full_clean,
        select_related=("organisation",),
    )


def business_unit_uses(business_unit: BusinessUnit) -> list[models.Model]:
    """The records besides memberships that name the unit (models, assessments, reassessment schedules, ...),
    up to USES_SHOWN of each kind.

    Deleting the unit would clear or delete them with no audit event of their own, so a unit in use stays; the
    relations are read from the model's metadata, so whatever app points at units later is covered too.
    """
    uses: list[models.Model] = []
    for relation in BusinessUnit._meta.get_fields(include_hidden=True):
        if not (
            relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)
        ):
            continue
        if relation.related_model is Membership:
            continue
        rows = relation.related_model._base_manager.filter(**{relation.field.name: business_unit})
        uses += rows[:USES_SHOWN]
    return uses


def delete_business_unit(*, actor, business_unit: BusinessUnit) -> None:
    """Delete a unit no record uses; its members keep their membership without a unit (each change audited)."""
    _require_admin(actor, "delete", BusinessUnit)
    with transaction.atomic():
        # Held to the end: a record that starts pointing at the unit now waits, then fails on the foreign key.
        locked = (
            BusinessUnit.objects.select_for_update().select_related("organisation").get(pk=business_unit.pk)
        )
        uses = business_unit_uses(locked)
        if uses:
            raise ValidationError(
                f"{locked.name} is still used by {len(uses)} record(s), e.g. {uses[0]._meta.verbose_name} "
                f"“{uses[0]}”: change those first."
            )
        for membership in Membership.objects.filter(business_unit=locked).order_by("pk"):
            update_audited(
                actor=actor,
                obj=membership,
                action=GovernanceAction.MEMBERSHIP_UPDATE,
                data={"business_unit": None},
                organisation_of=lambda _locked: locked.organisation,
            )
        delete_audited(
            organisation=locked.organisation,
            actor=actor,
            action=GovernanceAction.BUSINESS_UNIT_DELETE,
            obj=locked,
        )


# --- Memberships -----------------------------------------------------------------------------------------


def check_membership_unit(organisation_id: int | None, business_unit: BusinessUnit | None) -> None:
    """A membership's unit must be one of its organisation's (access stays organisation-wide either way)."""
    if business_unit is not None and business_unit.organisation_id != organisation_id:
        raise ValidationError({"business_unit": ["Choose a business unit of the membership's organisation."]})


def _validate_membership(membership: Membership) -> None:
    membership.full_clean()
    check_membership_unit(membership.organisation_id, membership.business_unit)


def save_membership(*, actor, membership: Membership) -> Membership:
    """Create ``membership`` (not yet saved) or save its role and unit; audited."""
    if membership.pk is None:
        _require_admin(actor, "add", Membership)
        _validate_membership(membership)
        save_audited_new(
            organisation=membership.organisation,
            actor=actor,
            action=GovernanceAction.MEMBERSHIP_CREATE,
            obj=membership,
            validate=lambda: _validate_membership(membership),
        )
        return membership
    _require_admin(actor, "change", Membership)
    return update_audited(
        actor=actor,
        obj=membership,
        action=GovernanceAction.MEMBERSHIP_UPDATE,
        data=_fields(membership, MEMBERSHIP_FIELDS),
        prepare=_validate_membership,
        select_related=("organisation",),
    )


def delete_membership(*, actor, membership: Membership) -> None:
    """Withdraw a membership; the audit event keeps every value it had."""
    _require_admin(actor, "delete", Membership)
    with transaction.atomic():
        locked = Membership.objects.select_for_update().select_related("organisation").get(pk=membership.pk)
        delete_audited(
            organisation=locked.organisation,
            actor=actor,
            action=GovernanceAction.MEMBERSHIP_DELETE,
            obj=locked,
        )
