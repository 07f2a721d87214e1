"""`make run` loads this demo data: it must load on an empty database, twice without duplicating anything."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from governance.core.audit import verify_chain
from governance.core.roles import Role
from governance.models import AIModel, IssuedStatement, Membership, ModelCard, Organisation, VersionStatus
from governance.rules.applicability import entries_sha256, statement_changes
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

    # Documents an auditor can be handed: a Statement of Applicability issued twice (every Annex A control
    # decided, four changed in between) and a model card for every champion version.
    first, second = IssuedStatement.objects.filter(organisation=organisation).order_by("number")
    assert len(second.entries) == 38 and all(e["applicable"] is not None for e in second.entries)
    assert second.sha256 == entries_sha256(second.entries) and first.issued_at < second.issued_at
    assert len(statement_changes(first.entries, second.entries)) == 4
    champions = AIModel.objects.filter(organisation=organisation, versions__status=VersionStatus.CHAMPION)
    assert champions.exists()
    assert ModelCard.objects.filter(version__status=VersionStatus.CHAMPION).count() == champions.count()

    counts = (
        Assessment.objects.count(),
        AIModel.objects.count(),
        Membership.objects.count(),
        IssuedStatement.objects.count(),
        ModelCard.objects.count(),
    )
    call_command("seed_demo")
    assert (
        Assessment.objects.count(),
        AIModel.objects.count(),
        Membership.objects.count(),
        IssuedStatement.objects.count(),
        ModelCard.objects.count(),
    ) == counts
