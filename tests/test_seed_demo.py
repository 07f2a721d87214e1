"""`make run` loads this demo data: it must load on an empty database, twice without duplicating anything."""

from datetime import timedelta

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from governance.core.audit import verify_chain
from governance.core.roles import Role
from governance.models import (
    AIModel,
    ApprovalRequest,
    ComplianceRecord,
    Incident,
    IssuedStatement,
    KPIDefinition,
    Membership,
    ModelCard,
    ModelVersion,
    Organisation,
    Risk,
    Validation,
    VersionStatus,
)
from governance.rules.applicability import entries_sha256, statement_changes
from governance.rules.tiering import effective_risk_tier
from governance.services.monitoring import record_measurements
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


@pytest.mark.django_db(transaction=True)
def test_seed_demo_prints_no_email_but_the_running_app_still_notifies(settings, capsys):
    # `make run` uses the console backend: an email sent while seeding would be printed as set-up output.
    # A transactional test, so emails queued for after commit are really sent (or not).
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    call_command("seed_demo")
    output = capsys.readouterr().out
    assert "plumbline-demo" in output
    for marker in ("Subject:", "MIME-Version", "Content-Type:", "To: "):
        assert marker not in output, output

    # Afterwards, a real breach is notified as configured (printed by the console backend).
    kpi = KPIDefinition.objects.get(model__name="Mortgage affordability model", name="AUC")
    owner = get_user_model().objects.get(username="owner")
    record_measurements(actor=owner, kpi=kpi, points=[{"measured_at": timezone.now(), "value": 0.70}])
    output = capsys.readouterr().out
    assert "Subject: [Plumbline] Mortgage affordability model: KPI 'AUC' is critical" in output


@pytest.mark.django_db
def test_seeded_demo_facts_are_consistent():
    call_command("seed_demo", verbosity=0)
    organisation = Organisation.objects.get(name="Acme Bank")
    models = list(AIModel.objects.filter(organisation=organisation))
    now = timezone.now()
    roles = dict(Membership.objects.filter(organisation=organisation).values_list("user_id", "role"))

    for model in models:
        # Deciding about people means processing their data; a high-risk credit model decides about people.
        if model.decisions_about_people != "none":
            assert model.processes_personal_data, model
        if model.eu_ai_act_category == "high_risk":
            assert model.decisions_about_people != "none", model
        assert model.risk_tier == effective_risk_tier(model), model
        assert roles[model.owner_id] == Role.MODEL_OWNER, model
        assert now - timedelta(days=740) < model.created_at < now, model
    for risk in Risk.objects.filter(organisation=organisation).select_related("model"):
        if risk.category == "privacy":
            assert risk.model.processes_personal_data, risk
        if risk.category == "fairness":
            assert risk.model.decisions_about_people != "none", risk
        assert roles[risk.owner_id] in (Role.MODEL_OWNER, Role.RISK_OFFICER), risk
        assert risk.model.created_at <= risk.created_at <= risk.updated_at <= now, risk
    for incident in Incident.objects.filter(organisation=organisation).select_related("model"):
        assert incident.model.created_at < incident.occurred_at <= incident.detected_at <= now, incident
        assert incident.closed_at is None or incident.detected_at < incident.closed_at <= now, incident

    # A history in order, spread over two years: registered → validated → approved → promoted.
    for version in ModelVersion.objects.filter(model__organisation=organisation).select_related("model"):
        assert version.model.created_at < version.registered_at < now, version
    requests = ApprovalRequest.objects.filter(organisation=organisation).select_related("model", "version")
    for request in requests:
        assert request.model.created_at < request.requested_at < now, request
        assert request.decided_at is None or request.requested_at < request.decided_at < now, request
        if request.version is not None:
            assert request.version.registered_at < request.requested_at, request
    for model in models:
        stages = {
            r.requested_stage: r.decided_at
            for r in requests
            if r.model_id == model.pk and r.kind == "stage_change" and r.status == "approved"
        }
        promotions = [
            r.decided_at for r in requests if r.model_id == model.pk and r.version_id and r.decided_at
        ]
        if "production" in stages:
            assert stages["validation"] < stages["production"] <= min(promotions, default=now), model
    for validation in Validation.objects.filter(organisation=organisation).select_related("version"):
        assert validation.version.registered_at.date() < validation.started_on <= validation.completed_on
        assert validation.completed_on == validation.model.last_validated_on, validation
    decided = [r.decided_at for r in requests if r.decided_at]
    months = {(d.year, d.month) for d in decided}
    assert (max(decided) - min(decided)).days > 540 and len(months) >= 12
    assert len({m.created_at.date() for m in models}) == len(models)

    # Records against every framework, for several models each, reviewed within their models' lives.
    records = ComplianceRecord.objects.filter(organisation=organisation).select_related("model")
    per_framework = {}
    for record in records.values("requirement__framework__key", "model_id"):
        per_framework.setdefault(record["requirement__framework__key"], set()).add(record["model_id"])
    assert set(per_framework) == {"eu-ai-act", "nist-ai-rmf", "iso-iec-42001", "sr-11-7"}
    assert all(len(ids) >= 3 for ids in per_framework.values()), per_framework
    assert all(r.model.created_at < r.reviewed_at < now for r in records)

    # Monitoring that reads like real data: one stale feed, one KPI degrading inside its thresholds, one breach.
    kpis = KPIDefinition.objects.filter(model__organisation=organisation)
    assert kpis.filter(stale_after__lt=now).count() == 1
    assert kpis.filter(trend_status="degrading", latest_status="ok").count() == 1
    assert kpis.filter(latest_status="critical").count() == 1
    assert verify_chain() == []
