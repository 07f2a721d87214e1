"""Each role's home page (its queries at two sizes) and the KPI-breach filter of the inventory (page, API, CSV).

What each role's panels show is in test_role_homes.py."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance.core.roles import Role
from governance.demo.benchmark import build_compliance
from governance.models import (
    AIModel,
    ApprovalRequest,
    Incident,
    IncidentStatus,
    KPIDefinition,
    KPIMeasurement,
    LifecycleStage,
    ModelVersion,
    Report,
    ReportStatus,
    Risk,
    RiskTier,
    Validation,
    ValidationFinding,
)
from governance.selectors import dashboard
from governance.services import monitoring as monitoring_services
from maturity.models import Assessment, AssessmentStatus
from tests.factories import UserFactory
from tests.governance.inventory_factories import AIModelFactory
from tests.governance.reminder_factories import IncidentFactory
from tests.maturity.page_fixtures import QuestionnaireFactory

pytestmark = pytest.mark.django_db

# Each role's home (session, user, memberships, "Waiting for you": 4, then its panels' queries), the same
# at any size: no count is read only when a list is full (governance.selectors.counting).
HOME_QUERIES = {
    # Stage x tier (1), top risks with their total (1), breaches (rows, totals: 2), approvals with their total
    # (1), release gates (2), incidents with their counts (1), maturity (latest per scope, trend: 2).
    Role.EXECUTIVE: 14,
    Role.ASSESSOR: 14,
    Role.ADMIN: 15,  # the executive's, and the administration panel (members by role and connections: 1)
    Role.MODEL_OWNER: 9,  # my models (1), my reviews (counts, rows: 2), my KPIs (rows, totals: 2)
    # The inventory count that says whether any promotion is unapproved (1), coverage (3), findings with their
    # counts (1), overdue risks and reviews (2), top risks (1), incidents (1), approvals (1).
    Role.RISK_OFFICER: 14,
    Role.VALIDATOR: 14,
    # Integrity (verification, checkpoint: 2), reports (1), evidence (claims, bundles: 2), coverage (3).
    Role.AUDITOR: 12,
}
LIST_QUERIES = 7  # as tests/governance/test_inventory_pages.py: the breach column adds no query


def _kpi(model, name, *, values, direction="higher", warning=None, critical=None, start=None):
    kpi = KPIDefinition.objects.create(
        model=model, name=name, direction=direction, warning_threshold=warning, critical_threshold=critical
    )
    start = start or timezone.now() - timedelta(days=len(values) + 1)
    KPIMeasurement.objects.bulk_create(
        [
            KPIMeasurement(kpi=kpi, measured_at=start + timedelta(hours=i), value=v)
            for i, v in enumerate(values)
        ]
    )
    monitoring_services.refresh_latest_state(KPIDefinition.objects.filter(pk=kpi.pk))
    kpi.refresh_from_db()
    return kpi


@pytest.fixture
def portfolio(organisation, other_organisation, model_owner, outsider):
    """Models in every KPI situation, plus another organisation's breaching model."""
    today = timezone.localdate()

    def model(name, stage, tier, **extra):
        return AIModelFactory(
            organisation=organisation,
            owner=model_owner,
            name=name,
            lifecycle_stage=stage,
            risk_tier=tier,
            **extra,
        )

    fraud = model("Fraud detector", LifecycleStage.PRODUCTION, RiskTier.CRITICAL)
    _kpi(fraud, "Recall", values=[0.9, 0.65], warning=0.8, critical=0.7)
    churn = model("Churn model", LifecycleStage.VALIDATION, RiskTier.HIGH)
    _kpi(churn, "Latency", values=[120, 250], direction="lower", warning=200, critical=400)
    _kpi(churn, "Drift", values=[0.01], direction="lower", warning=0.1, critical=0.2)
    pricing = model(
        "Pricing", LifecycleStage.DEVELOPMENT, RiskTier.MEDIUM, next_review_due=today + timedelta(days=5)
    )
    # Breached once, fine now: only the latest value counts.
    _kpi(pricing, "MAPE", values=[0.5, 0.05], direction="lower", warning=0.1, critical=0.3)
    scorecard = model(
        "Scorecard", LifecycleStage.PROPOSED, RiskTier.LOW, next_review_due=today - timedelta(days=3)
    )
    KPIDefinition.objects.create(model=scorecard, name="Gini", warning_threshold=0.4)  # no data yet
    model("Legacy", LifecycleStage.RETIRED, RiskTier.LOW, next_review_due=today - timedelta(days=30))
    model("Far away", LifecycleStage.PRODUCTION, RiskTier.LOW, next_review_due=today + timedelta(days=30))
    foreign = AIModelFactory(organisation=other_organisation, owner=outsider, name="Foreign breach")
    _kpi(foreign, "Recall", values=[0.1], warning=0.8, critical=0.7)
    return {"fraud": fraud, "churn": churn, "pricing": pricing, "scorecard": scorecard}


# --- The KPI-breach filter: page, API, CSV export -----------------------------------------------------


def test_inventory_page_filters_and_marks_kpi_breaches(login, auditor, portfolio):
    client = login(auditor)

    def names(**params):
        response = client.get(reverse("governance:model-list"), params)
        assert response.status_code == 200
        return sorted(m.name for m in response.context["page"].object_list)

    assert names(kpi_breach="true") == ["Churn model", "Fraud detector"]
    assert names(kpi_breach="false") == ["Far away", "Legacy", "Pricing", "Scorecard"]
    assert names(kpi_status="critical") == ["Fraud detector"]
    assert names(kpi_status="warning") == ["Churn model"]
    assert names(kpi_breach="true", lifecycle_stage="production") == ["Fraud detector"]
    bad = client.get(reverse("governance:model-list"), {"kpi_status": "purple"})
    assert bad.status_code == 200
    assert "kpi_status" in bad.context["filter"].form.errors

    html = client.get(reverse("governance:model-list")).content.decode()
    assert html.count("KPI critical") == 1 and html.count("KPI warning") == 1
    fraud_row = html[html.index("Fraud detector") : html.index("</tr>", html.index("Fraud detector"))]
    # The failed (red) tone, and the words, so colour is not the only signal.
    assert (
        'class="badge status status-failed text-nowrap" data-status="critical">KPI critical</span>'
        in fraud_row
    )
    assert 'name="kpi_breach"' in html and 'name="kpi_status"' in html


def test_api_filters_kpi_breaches_within_the_users_organisations(api_client, auditor, outsider, portfolio):
    response = api_client(auditor).get("/api/v1/models/", {"kpi_breach": "true"})
    assert response.status_code == 200
    assert sorted(m["name"] for m in response.data["results"]) == ["Churn model", "Fraud detector"]
    response = api_client(auditor).get("/api/v1/models/", {"kpi_status": "warning"})
    assert [m["name"] for m in response.data["results"]] == ["Churn model"]
    response = api_client(outsider).get("/api/v1/models/", {"kpi_breach": "true"})
    assert [m["name"] for m in response.data["results"]] == ["Foreign breach"]
    assert api_client(auditor).get("/api/v1/models/", {"kpi_status": "purple"}).status_code == 400


def test_csv_export_applies_the_kpi_breach_filter(login, auditor, portfolio):
    response = login(auditor).get(reverse("governance:model-export"), {"kpi_status": "critical"})
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert [row["name"] for row in rows] == ["Fraud detector"]
    response = login(auditor).get(reverse("governance:model-export"), {"kpi_breach": "false"})
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert sorted(row["name"] for row in rows) == ["Far away", "Legacy", "Pricing", "Scorecard"]


def _bulk_portfolio(organisation, owner, approver, count, start=0):
    """``count`` models with a KPI each (a third critical, a third warning), and the records around them: a
    version each with a validation finding, approval requests, incidents, risks (some overdue), issued reports;
    the first call adds two approved maturity assessments."""
    now = timezone.now()
    today = timezone.localdate()
    models = AIModel.objects.bulk_create(
        [
            AIModel(
                organisation=organisation,
                owner=owner,
                name=f"Bulk model {start + i:04d}",
                purpose="Bulk.",
                lifecycle_stage=LifecycleStage.values[i % len(LifecycleStage.values)],
                risk_tier=RiskTier.values[i % len(RiskTier.values)],
                next_review_due=today + timedelta(days=(i % 40) - 20),
            )
            for i in range(count)
        ]
    )
    kpis = KPIDefinition.objects.bulk_create(
        [
            KPIDefinition(model=m, name="AUC", target=0.85, warning_threshold=0.8, critical_threshold=0.7)
            for m in models
        ]
    )
    KPIMeasurement.objects.bulk_create(
        [
            KPIMeasurement(kpi=kpi, measured_at=now - timedelta(hours=h), value=value)
            for i, kpi in enumerate(kpis)
            for h, value in ((2, 0.9), (1, (0.6, 0.75, 0.9)[i % 3]))
        ]
    )
    monitoring_services.refresh_latest_state(KPIDefinition.objects.filter(model__organisation=organisation))
    ApprovalRequest.objects.bulk_create(
        [
            ApprovalRequest(
                organisation=organisation,
                model=m,
                kind="stage_change",
                requested_stage="validation",
                requested_by=owner,
            )
            for m in models
        ]
    )
    Incident.objects.bulk_create(
        [
            Incident(
                organisation=organisation,
                model=m,
                title=f"Incident {i}",
                severity=("critical", "high", "medium", "low")[i % 4],
                occurred_at=now - timedelta(days=i),
                detected_at=now - timedelta(days=i),
                description="Went wrong.",
                status=("open", "investigating", "mitigated", "closed")[i % 4],
            )
            for i, m in enumerate(models)
        ]
    )
    Risk.objects.bulk_create(
        [
            Risk(
                organisation=organisation,
                model=m,
                title=f"Risk {i}",
                category="fairness",
                likelihood=1 + i % 5,
                impact=1 + (i // 5) % 5,
                inherent_score=(1 + i % 5) * (1 + (i // 5) % 5),
                status="open",
                owner=owner,
                due_date=today + timedelta(days=(i % 20) - 10),
            )
            for i, m in enumerate(models)
        ]
    )
    versions = ModelVersion.objects.bulk_create([ModelVersion(model=m, version="1.0.0") for m in models])
    validations = Validation.objects.bulk_create(
        [
            Validation(
                organisation=organisation, model=v.model, version=v, validator=approver, started_on=today
            )
            for v in versions
        ]
    )
    ValidationFinding.objects.bulk_create(
        [
            ValidationFinding(
                validation=validation,
                title=f"Finding {i}",
                severity=("high", "medium", "low")[i % 3],
                owner=owner,
                due_date=today + timedelta(days=(i % 10) - 5),
            )
            for i, validation in enumerate(validations)
        ]
    )
    Report.objects.bulk_create(
        [
            Report(
                organisation=organisation,
                kind="model_inventory",
                title=f"Inventory {start + i}",
                status=ReportStatus.SUCCEEDED,
                finished_at=now - timedelta(hours=i),
                sha256=f"{start + i:064x}",
            )
            for i in range(count)
        ]
    )
    build_compliance(organisation, models, approver)
    if start:
        return models
    questionnaire = QuestionnaireFactory()
    for quarter, score in ((2, 2.5), (1, 3.1)):
        Assessment.objects.create(
            organisation=organisation,
            questionnaire=questionnaire,
            title=f"Review {quarter}",
            status=AssessmentStatus.APPROVED,
            approved_by=approver,
            approved_at=now - timedelta(days=90 * quarter),
            overall_score=score,
        )
    return models


@pytest.mark.parametrize("count", [10, 500])
def test_inventory_list_query_bound_holds_with_kpis(
    login, organisation, model_owner, executive, count, django_assert_max_num_queries
):
    _bulk_portfolio(organisation, model_owner, executive, count)
    client = login(model_owner)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(reverse("governance:model-list"), {"kpi_breach": "true"})
    assert response.status_code == 200
    breaching = len([i for i in range(count) if i % 3 != 2])
    assert response.context["page"].paginator.count == breaching


# --- Each role's home ------------------------------------------------------------------------------------


def _home_queries(client) -> tuple[int, object]:
    client.get(reverse("home"))  # warm: the session and the token's first use are written once
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return len(queries), response


def panel(response, key: str) -> dict:
    """The context of one panel of the home page."""
    return next(p.context for p in response.context["panels"] if p.key == key)


def test_every_roles_home_runs_as_many_queries_at_any_size(
    client, organisation, make_member, model_owner, executive
):
    members = {role: make_member(role) for role in Role if role != Role.MODEL_OWNER}
    members[Role.MODEL_OWNER] = model_owner  # who owns the bulk models: "my models" has rows
    _bulk_portfolio(organisation, model_owner, executive, 10)
    small = {}
    for role, member in members.items():
        client.force_login(member)
        small[role] = _home_queries(client)[0]

    _bulk_portfolio(organisation, model_owner, executive, 300, start=10)
    grown = {}
    for role, member in members.items():
        client.force_login(member)
        grown[role], response = _home_queries(client)
        if role == Role.EXECUTIVE:
            assert panel(response, "inventory")["inventory"].total == 310
            assert panel(response, "decisions")["total"] == 310
            assert panel(response, "maturity")["latest"].overall_score == 3.1
        if role == Role.MODEL_OWNER:
            assert panel(response, "my_models")["total"] == 310
        if role == Role.RISK_OFFICER:
            assert panel(response, "open_findings")["total"] == 310
        if role == Role.AUDITOR:
            assert panel(response, "recent_reports")["total"] == 310

    assert grown == small
    over = {role: n for role, n in grown.items() if n > HOME_QUERIES[role]}
    assert not over, (over, grown)


def test_every_member_sees_a_home(login, make_member, portfolio):
    for role in Role:
        response = login(make_member(role)).get(reverse("home"))
        assert response.status_code == 200
        assert "Waiting for you" in response.content.decode()
        assert response.context["panels"], role


def test_user_without_organisation_gets_no_overview(login, db):
    response = login(UserFactory(username="nobody")).get(reverse("home"))
    assert response.status_code == 200
    assert "panels" not in response.context
    assert "not a member of any organisation" in response.content.decode()


def test_review_summary_takes_the_date(organisation, portfolio):
    later = timezone.localdate() + timedelta(days=10)
    # Ten days on, the pricing review is overdue too.
    assert dashboard.review_summary(organisation, later)[1] == 2


def test_open_incidents_counts_each_severity_in_one_query(
    organisation, other_organisation, model_owner, django_assert_num_queries
):
    model = AIModelFactory(organisation=organisation, owner=model_owner)
    for severity, status in [
        ("critical", IncidentStatus.OPEN),
        ("high", IncidentStatus.INVESTIGATING),
        ("high", IncidentStatus.MITIGATED),
        ("low", IncidentStatus.OPEN),
        ("medium", IncidentStatus.CLOSED),
    ]:
        IncidentFactory(organisation=organisation, model=model, severity=severity, status=status)
    IncidentFactory(organisation=other_organisation, severity="medium")

    with django_assert_num_queries(1):
        rows, counts, total = dashboard.open_incidents(organisation)

    assert [(value, n) for value, _, n in counts] == [("critical", 1), ("high", 2), ("medium", 0), ("low", 1)]
    assert total == 4 and [r.severity for r in rows] == ["critical", "high", "high", "low"]
    Incident.objects.filter(organisation=organisation).update(status=IncidentStatus.CLOSED)
    assert dashboard.open_incidents(organisation) == ([], [(v, label, 0) for v, label, _ in counts], 0)
