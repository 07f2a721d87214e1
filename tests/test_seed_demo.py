"""`make run` loads this demo data: it must load on an empty database, twice without duplicating anything."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from governance.core.audit import verify_chain
from governance.core.roles import Role
from governance.models import AIModel, Membership, Organisation
from maturity.models import Assessment, AssessmentStatus, Questionnaire


@pytest.mark.django_db
def test_seed_demo_loads_a_usable_demo_and_is_idempotent(capsys):
    call_command("seed_demo")
    output = capsys.readouterr().out
    assert "plumbline-demo" in output

    organisation = Organisation.objects.get(name="Acme Bank")
    assert organisation.business_units.count() == 2
    roles = set(Membership.objects.filter(organisation=organisation).values_list("role", flat=True))
    assert roles == set(Role.values)
    for username in ("admin", "cio", "assessor", "owner", "risk", "auditor"):
        # As a sign-in does it: with the request (sign-in throttling needs the client's address).
        request = RequestFactory().post("/accounts/login/")
        assert authenticate(request, username=username, password="plumbline-demo") is not None, username

    assert Questionnaire.objects.get(is_current=True).factors.count() == 5
    approved = Assessment.objects.filter(organisation=organisation, status=AssessmentStatus.APPROVED)
    # Group-wide and per unit, at least two past assessments each so trends show.
    for unit in [None, *organisation.business_units.all()]:
        assert approved.filter(business_unit=unit).count() >= 2
    assert all(a.overall_score is not None for a in approved)
    assert AIModel.objects.filter(organisation=organisation).count() >= 12
    assert verify_chain() == []

    counts = (Assessment.objects.count(), AIModel.objects.count(), Membership.objects.count())
    call_command("seed_demo")
    assert (Assessment.objects.count(), AIModel.objects.count(), Membership.objects.count()) == counts
