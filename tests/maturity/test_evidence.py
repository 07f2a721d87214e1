"""Evidence signals: each counts the right records, in the right scope, in one query per kind of record."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance.models import (
    AIModel,
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    ComplianceRecord,
    ComplianceStatus,
    DecisionsAboutPeople,
    Deployment,
    DeploymentCheck,
    Framework,
    Incident,
    IncidentStatus,
    KPIDefinition,
    LifecycleStage,
    ModelVersion,
    Requirement,
    Risk,
    RiskCategory,
    RiskTier,
    Validation,
    ValidationOutcome,
    VersionStatus,
)
from maturity import evidence
from tests.factories import BusinessUnitFactory, UserFactory

TODAY = datetime.date(2026, 12, 5)


def scope_of(organisation, unit=None) -> evidence.Scope:
    return evidence.Scope(
        organisation_id=organisation.pk, business_unit_id=unit.pk if unit else None, today=TODAY
    )


def make_model(organisation, owner, name, **fields) -> AIModel:
    values = {
        "purpose": "Scores loan applications.",
        "lifecycle_stage": LifecycleStage.PRODUCTION,
        "next_review_due": TODAY + datetime.timedelta(days=90),
    }
    values.update(fields)
    return AIModel.objects.create(organisation=organisation, owner=owner, name=name, **values)


def observe(scope, key) -> evidence.Observation:
    return evidence.observe(scope, [key])[key]


@pytest.fixture
def owner(db):
    return UserFactory()


@pytest.mark.django_db
def test_inventory_completeness_counts_models_in_use_with_purpose_and_a_review_date_not_overdue(
    organisation, owner
):
    make_model(organisation, owner, "complete")
    make_model(organisation, owner, "overdue", next_review_due=TODAY - datetime.timedelta(days=1))
    make_model(organisation, owner, "no date", next_review_due=None)
    make_model(organisation, owner, "no purpose", purpose="")
    make_model(organisation, owner, "retired", lifecycle_stage=LifecycleStage.RETIRED, next_review_due=None)

    seen = observe(scope_of(organisation), "inventory-completeness")

    assert (seen.meeting, seen.total) == (1, 4)
    assert seen.share == 0.25
    assert seen.statement == (
        "25 % of models in use have a purpose and a review date that is not overdue (1 of 4)."
    )


@pytest.mark.django_db
def test_monitoring_coverage_needs_thresholds_and_a_measurement_within_the_cadence(organisation, owner):
    recent = timezone.make_aware(datetime.datetime(2026, 11, 20, 12))
    stale = timezone.make_aware(datetime.datetime(2026, 10, 1, 12))
    monitored = make_model(organisation, owner, "monitored")
    KPIDefinition.objects.create(
        model=monitored, name="AUC", warning_threshold=0.7, latest_measured_at=recent
    )
    stale_model = make_model(organisation, owner, "stale")
    KPIDefinition.objects.create(
        model=stale_model, name="AUC", warning_threshold=0.7, latest_measured_at=stale
    )
    no_threshold = make_model(organisation, owner, "no threshold")
    KPIDefinition.objects.create(model=no_threshold, name="AUC", latest_measured_at=recent)
    make_model(organisation, owner, "no kpi")
    # Not in production: not counted.
    make_model(organisation, owner, "in development", lifecycle_stage=LifecycleStage.DEVELOPMENT)

    seen = observe(scope_of(organisation), "monitoring-coverage")

    assert (seen.meeting, seen.total) == (1, 4)


@pytest.mark.django_db
def test_lineage_and_registry_read_the_champion_version(organisation, owner):
    full = make_model(organisation, owner, "full lineage")
    ModelVersion.objects.create(
        model=full,
        version="2",
        status=VersionStatus.CHAMPION,
        artifact_uri="s3://m/2",
        code_commit="abc",
        training_data_ref="s3://d/2",
    )
    artifact_only = make_model(organisation, owner, "artifact only")
    ModelVersion.objects.create(
        model=artifact_only, version="1", status=VersionStatus.CHAMPION, artifact_uri="s3://a"
    )
    candidate_only = make_model(organisation, owner, "candidate only")
    ModelVersion.objects.create(
        model=candidate_only,
        version="1",
        status=VersionStatus.CANDIDATE,
        artifact_uri="s3://c",
        code_commit="c",
        training_data_ref="d",
    )

    scope = scope_of(organisation)
    registry = observe(scope, "registered-champion")
    lineage = observe(scope, "lineage-completeness")

    assert (registry.meeting, registry.total) == (2, 3)
    assert (lineage.meeting, lineage.total) == (1, 3)


@pytest.mark.django_db
def test_independent_validation_excludes_owners_developers_stale_and_rejected_validations(
    organisation, owner
):
    validator = UserFactory()
    developer = UserFactory()

    def tier1(name):
        return make_model(organisation, owner, name, risk_tier=RiskTier.CRITICAL)

    def validate(
        model, by, completed_on=TODAY - datetime.timedelta(days=30), outcome=ValidationOutcome.APPROVED
    ):
        version = ModelVersion.objects.create(model=model, version="1", status=VersionStatus.CHAMPION)
        Validation.objects.create(
            organisation=organisation,
            model=model,
            version=version,
            validator=by,
            started_on=completed_on,
            completed_on=completed_on,
            outcome=outcome,
        )

    validate(tier1("independent"), validator)
    validate(tier1("by owner"), owner)
    by_developer = tier1("by developer")
    by_developer.developers.add(developer)
    validate(by_developer, developer)
    validate(tier1("stale"), validator, completed_on=TODAY - datetime.timedelta(days=400))
    validate(tier1("rejected"), validator, outcome=ValidationOutcome.REJECTED)
    # Tier 3: not counted.
    make_model(organisation, owner, "tier 3", risk_tier=RiskTier.MEDIUM)

    seen = observe(scope_of(organisation), "independent-validation")

    assert (seen.meeting, seen.total) == (1, 5)


@pytest.mark.django_db
def test_risk_assessment_coverage_refuses_an_open_high_risk_without_mitigation(organisation, owner):
    def risk(model, **fields):
        values = {"title": "Drift", "category": RiskCategory.ROBUSTNESS, "likelihood": 2, "impact": 2}
        values.update(fields)
        return Risk.objects.create(organisation=organisation, model=model, **values)

    assessed = make_model(organisation, owner, "assessed")
    risk(assessed, residual_likelihood=1, residual_impact=2)
    unmitigated = make_model(organisation, owner, "unmitigated high")
    risk(unmitigated, residual_likelihood=1, residual_impact=1)
    risk(unmitigated, likelihood=4, impact=5)
    make_model(organisation, owner, "no risk")

    seen = observe(scope_of(organisation), "risk-assessment-coverage")

    assert (seen.meeting, seen.total) == (1, 3)


@pytest.mark.django_db
def test_fairness_assessment_counts_only_models_deciding_about_people(organisation, owner):
    about_people = make_model(
        organisation, owner, "credit", decisions_about_people=DecisionsAboutPeople.SUPPORTS
    )
    Risk.objects.create(
        organisation=organisation,
        model=about_people,
        title="Bias",
        category=RiskCategory.FAIRNESS,
        likelihood=3,
        impact=3,
    )
    make_model(organisation, owner, "hiring", decisions_about_people=DecisionsAboutPeople.MAKES)
    make_model(organisation, owner, "forecast")

    seen = observe(scope_of(organisation), "fairness-assessment")

    assert (seen.meeting, seen.total) == (1, 2)


@pytest.mark.django_db
def test_deployments_and_releases(organisation, owner):
    asker = UserFactory()
    gated = make_model(organisation, owner, "gated")
    version = ModelVersion.objects.create(model=gated, version="1", status=VersionStatus.CHAMPION)
    check = DeploymentCheck.objects.create(
        organisation=organisation,
        model=gated,
        version=version,
        environment="production",
        allowed=True,
        policy_version=1,
        asked_by=asker,
    )
    Deployment.objects.create(
        organisation=organisation,
        model=gated,
        version=version,
        environment="production",
        gate_decision=check,
        recorded_by=asker,
    )
    ApprovalRequest.objects.create(
        organisation=organisation,
        model=gated,
        kind=ApprovalKind.PROMOTE_VERSION,
        version=version,
        requested_by=asker,
        status=ApprovalStatus.APPROVED,
        decided_by=owner,
    )
    bypassed = make_model(organisation, owner, "bypassed")
    other = ModelVersion.objects.create(model=bypassed, version="1", status=VersionStatus.CHAMPION)
    ApprovalRequest.objects.create(
        organisation=organisation,
        model=bypassed,
        kind=ApprovalKind.PROMOTE_VERSION,
        version=other,
        requested_by=asker,
        status=ApprovalStatus.APPROVED,
        decided_by=owner,
    )
    Deployment.objects.create(
        organisation=organisation,
        model=bypassed,
        version=other,
        environment="production",
        without_approval=True,
        recorded_by=asker,
    )

    scope = scope_of(organisation)
    assert (observe(scope, "gated-deployments").meeting, observe(scope, "gated-deployments").total) == (1, 2)
    assert (observe(scope, "approved-releases").meeting, observe(scope, "approved-releases").total) == (1, 2)


@pytest.mark.django_db
def test_separation_of_duties_incidents_and_compliance(organisation, owner):
    requester = UserFactory()
    model = make_model(organisation, owner, "credit")

    def approval(decided_by, status=ApprovalStatus.APPROVED, **fields):
        return ApprovalRequest.objects.create(
            organisation=organisation,
            model=model,
            kind=ApprovalKind.STAGE_CHANGE,
            requested_stage="production",
            requested_by=requester,
            decided_by=decided_by,
            status=status,
            **fields,
        )

    approval(owner)
    approval(requester)
    approval(owner, overridden=True, override_justification="Urgent fix")
    approval(None, status=ApprovalStatus.PENDING)

    def incident(status, **fields):
        now = timezone.now()
        return Incident.objects.create(
            organisation=organisation,
            model=model,
            title="Outage",
            severity="high",
            occurred_at=now,
            detected_at=now,
            description="Down",
            status=status,
            **fields,
        )

    incident(IncidentStatus.CLOSED, root_cause="Bad deploy", actions_taken="Rolled back")
    incident(IncidentStatus.CLOSED, root_cause="Bad deploy")
    incident(IncidentStatus.OPEN)

    framework = Framework.objects.create(key="t", version="1", name="Test rules", content_hash="0" * 64)
    requirements = [
        Requirement.objects.create(
            framework=framework, ref=f"R{n}", title=f"Rule {n}", description="x", position=n
        )
        for n in range(4)
    ]
    for requirement, status, due in zip(
        requirements,
        [
            ComplianceStatus.COMPLIANT,
            ComplianceStatus.COMPLIANT,
            ComplianceStatus.PARTIAL,
            ComplianceStatus.NOT_APPLICABLE,
        ],
        [None, TODAY - datetime.timedelta(days=1), None, None],
        strict=True,
    ):
        ComplianceRecord.objects.create(
            organisation=organisation,
            model=model,
            requirement=requirement,
            status=status,
            next_review_due=due,
        )

    scope = scope_of(organisation)
    duties = observe(scope, "separation-of-duties")
    incidents = observe(scope, "incident-handling")
    compliance = observe(scope, "compliance-coverage")

    assert (duties.meeting, duties.total) == (1, 3)
    assert (incidents.meeting, incidents.total) == (1, 2)
    # Compliant and reviewed; compliant but overdue; partial. N/A is not counted.
    assert (compliance.meeting, compliance.total) == (1, 3)


@pytest.mark.django_db
def test_a_business_unit_sees_its_own_models_and_another_organisation_is_never_counted(
    organisation, other_organisation, owner
):
    unit = BusinessUnitFactory(organisation=organisation)
    make_model(organisation, owner, "in unit", business_unit=unit)
    make_model(organisation, owner, "elsewhere", next_review_due=None)
    make_model(other_organisation, owner, "foreign")

    whole = observe(scope_of(organisation), "inventory-completeness")
    in_unit = observe(scope_of(organisation, unit), "inventory-completeness")

    assert (whole.meeting, whole.total) == (1, 2)
    assert (in_unit.meeting, in_unit.total) == (1, 1)


@pytest.mark.django_db
def test_nothing_to_observe_says_so_and_has_no_share(organisation):
    seen = observe(scope_of(organisation), "third-party-governance")

    assert seen.total == 0 and seen.share is None
    assert seen.statement == "No third-party models in use in scope, so there is nothing to observe."


@pytest.mark.django_db
@pytest.mark.parametrize("models", [3, 30])
def test_every_signal_costs_one_query_per_kind_of_record_whatever_the_size(organisation, owner, models):
    for n in range(models):
        make_model(organisation, owner, f"model {n}")

    with CaptureQueriesContext(connection) as queries:
        observed = evidence.observe(scope_of(organisation), list(evidence.SIGNALS))

    assert set(observed) == set(evidence.SIGNALS)
    assert len(queries) == len({s.record_kind for s in evidence.SIGNALS.values()})


@pytest.mark.django_db
def test_the_records_behind_a_figure_are_the_ones_it_counted(organisation, owner):
    make_model(organisation, owner, "complete")
    make_model(organisation, owner, "overdue", next_review_due=TODAY - datetime.timedelta(days=1))
    make_model(organisation, owner, "retired", lifecycle_stage=LifecycleStage.RETIRED)

    rows = evidence.as_rows(
        "inventory-completeness", evidence.records(scope_of(organisation), "inventory-completeness")
    )

    # Those short of the criterion come first, each linking to the model's page.
    assert [(row.label, row.meets) for row in rows] == [("overdue", False), ("complete", True)]
    assert rows[0].url.startswith("/models/") or "/models/" in rows[0].url
