"""governance.services.organisations on its own: who may call it and what it refuses (the admin's forms are
tested in tests/test_admin.py)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from governance.core.audit import verify_chain
from governance.core.roles import Role
from governance.models import AuditEvent, BusinessUnit, Membership, Organisation
from governance.services import organisations
from tests.factories import BusinessUnitFactory, MembershipFactory, UserFactory
from tests.governance.inventory_factories import AIModelFactory


@pytest.fixture
def platform_admin(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_only_staff_with_the_permission_may_write(organisation, make_member):
    # An organisation's own administrator is no platform administrator.
    member = make_member(Role.ADMIN)
    staff_without_permission = UserFactory(is_staff=True)

    for actor in (member, staff_without_permission):
        with pytest.raises(PermissionDenied):
            organisations.save_organisation(actor=actor, organisation=Organisation(name="Sneaky Corp"))
        with pytest.raises(PermissionDenied):
            organisations.save_business_unit(
                actor=actor, business_unit=BusinessUnit(organisation=organisation, name="Sneaky")
            )
        with pytest.raises(PermissionDenied):
            organisations.delete_membership(actor=actor, membership=Membership.objects.get(user=member))

    assert not Organisation.objects.filter(name="Sneaky Corp").exists()
    assert AuditEvent.objects.count() == 0


def test_an_update_keeps_the_unit_in_its_organisation(platform_admin, organisation, other_organisation):
    unit = BusinessUnitFactory(organisation=organisation, name="Retail")
    unit.organisation = other_organisation
    unit.name = "Retail Banking"

    saved = organisations.save_business_unit(actor=platform_admin, business_unit=unit)

    assert (saved.organisation, saved.name) == (organisation, "Retail Banking")
    event = AuditEvent.objects.get()
    assert (event.organisation, event.changes) == (organisation, {"name": ["Retail", "Retail Banking"]})


def test_a_unit_in_use_is_refused_and_nothing_changes(platform_admin, organisation):
    unit = BusinessUnitFactory(organisation=organisation)
    AIModelFactory(organisation=organisation, business_unit=unit)
    member = MembershipFactory(organisation=organisation, business_unit=unit)

    with pytest.raises(ValidationError, match="still used"):
        organisations.delete_business_unit(actor=platform_admin, business_unit=unit)

    member.refresh_from_db()
    assert member.business_unit == unit
    assert AuditEvent.objects.count() == 0


def test_a_membership_unit_must_be_its_organisations(platform_admin, organisation, other_organisation):
    membership = Membership(
        user=UserFactory(),
        organisation=organisation,
        role=Role.ASSESSOR,
        business_unit=BusinessUnitFactory(organisation=other_organisation),
    )

    with pytest.raises(ValidationError) as refused:
        organisations.save_membership(actor=platform_admin, membership=membership)

    assert "business_unit" in refused.value.message_dict
    assert not Membership.objects.exists()


def test_an_organisation_starts_its_own_trail(platform_admin):
    organisation = organisations.save_organisation(
        actor=platform_admin, organisation=Organisation(name="Contoso Insurance")
    )

    event = AuditEvent.objects.get()
    assert (event.organisation, event.sequence, event.action) == (organisation, 1, "organisation.create")
    assert event.changes["slug"] == [None, "contoso-insurance"]
    assert verify_chain(organisation) == []
