"""The organisation overview on the home page and the KPI-breach filter of the inventory (page, API, CSV)."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from governance.core.roles import Role
from governance.models import (
    AIModel,
    ApprovalRequest,
    Incident,
    IncidentStatus,
    KPIDefinition,
    KPIMeasurement,
    LifecycleStage,
    Risk,
    RiskTier,
)
from governance.selectors import dashboard
from governance.services import inventory as inventory_services
from governance.services import monitoring as monitoring_services
from maturity.models import Assessment, AssessmentStatus
from tests.factories import UserFactory
from tests.governance.inventory_factories import AIModelFactory
from tests.governance.reminder_factories import IncidentFactory
from tests.maturity.page_fixtures import QuestionnaireFactory

pytestmark = pytest.mark.django_db

# Session, user and memberships, then the overview: stage x tier (1), breaches (rows, totals: 2), reviews
# (counts, rows: 2), approvals with their total (1), incidents with their counts (1), risks with their total (1),
# maturity (1), release gates (unapproved production deployments, overrides, each with its total: 2), "Waiting for
# you" (every app's counts as scalar subqueries of one statement: 1). The same at any size: no count is read only
# when a list is full (governance.selectors.counting).
DASHBOARD_QUERIES = 15
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
    assert '<span class="badge critical">KPI critical</span>' in fraud_row
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


def _bulk_portfolio(organisation, owner, approver, count):
    """``count`` models with a KPI each (a third critical, a third warning), and the records around them."""
    now = timezone.now()
    today = timezone.localdate()
    models = AIModel.objects.bulk_create(
        [
            AIModel(
                organisation=organisation,
                owner=owner,
                name=f"Bulk model {i:04d}",
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
            )
            for i, m in enumerate(models)
        ]
    )
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


# --- The overview ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [10, 500])
def test_dashboard_query_bound_holds_at_any_size(
    login, organisation, model_owner, executive, count, django_assert_max_num_queries
):
    _bulk_portfolio(organisation, model_owner, executive, count)
    client = login(executive)
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    overview = response.context["overview"]
    assert overview.inventory.total == count
    assert overview.breaching_model_count == len([i for i in range(count) if i % 3 != 2])
    assert overview.approval_count == count
    assert overview.open_incident_count == len([i for i in range(count) if i % 4 != 3])
    assert _maturity_panel(response)["latest"].overall_score == 3.1
    html = response.content.decode()
    assert f"All {overview.breaching_model_count} model" in html


def _maturity_panel(response) -> dict:
    """The context of the panel the maturity app registers on the home page."""
    return next(p.context for p in response.context["panels"] if p.key == "maturity")


def test_dashboard_shows_the_organisation_at_a_glance(
    login, organisation, model_owner, risk_officer, executive, portfolio
):
    today = timezone.localdate()
    inventory_services.request_stage_change(
        actor=model_owner,
        model=portfolio["pricing"],
        stage="validation",
        justification="Back-tested on 2024 data.",
    )
    now = timezone.now()
    Incident.objects.create(
        organisation=organisation,
        model=portfolio["fraud"],
        title="False declines spike",
        severity="high",
        occurred_at=now - timedelta(days=2),
        detected_at=now - timedelta(days=1),
        description="Declines doubled.",
    )
    Incident.objects.create(
        organisation=organisation,
        model=portfolio["fraud"],
        title="Old outage",
        severity="critical",
        occurred_at=now - timedelta(days=200),
        detected_at=now - timedelta(days=200),
        description="Resolved.",
        status="closed",
    )
    Risk.objects.create(
        organisation=organisation,
        model=portfolio["churn"],
        title="Unfair retention offers",
        category="fairness",
        likelihood=4,
        impact=4,
        residual_likelihood=2,
        residual_impact=3,
    )
    Risk.objects.create(
        organisation=organisation,
        model=portfolio["fraud"],
        title="Adversarial probing",
        category="security",
        likelihood=3,
        impact=5,
    )
    Risk.objects.create(
        organisation=organisation,
        model=portfolio["fraud"],
        title="Closed risk",
        category="security",
        likelihood=5,
        impact=5,
        status="closed",
    )
    questionnaire = QuestionnaireFactory()
    for days, score in ((200, 2.0), (10, 2.75)):
        Assessment.objects.create(
            organisation=organisation,
            questionnaire=questionnaire,
            title=f"Review -{days}d",
            status=AssessmentStatus.APPROVED,
            approved_by=executive,
            approved_at=now - timedelta(days=days),
            overall_score=score,
        )

    response = login(risk_officer).get(reverse("home"))

    assert response.status_code == 200
    overview = response.context["overview"]
    html = response.content.decode()
    # Stage x tier, with totals both ways.
    cells = {row.stage: row.counts for row in overview.inventory.rows}
    assert cells["production"] == [1, 0, 0, 1]  # critical, high, medium, low
    assert cells["validation"] == [0, 1, 0, 0]
    assert [n for _, _, n in overview.inventory.tiers] == [1, 1, 1, 3]
    assert overview.inventory.total == 6
    # Breaches: the model, the KPI and its latest value, worst first; the ok and no-data KPIs are absent.
    assert [(b.model.name, b.status, [k.name for k in b.kpis]) for b in overview.breaches] == [
        ("Fraud detector", "critical", ["Recall"]),
        ("Churn model", "warning", ["Latency"]),
    ]
    assert overview.breaching_model_count == 2 and overview.breaching_kpi_count == 2
    breach_section = html[html.index('id="breach-h"') : html.index("</section>", html.index('id="breach-h"'))]
    assert "Recall" in breach_section and "0.65" in breach_section and "critical at 0.7" in breach_section
    assert '<span class="badge critical">Critical</span>' in breach_section
    assert "250" in breach_section and '<span class="badge warning">Warning</span>' in breach_section
    assert "Foreign breach" not in html and "MAPE" not in breach_section and "Drift" not in breach_section
    # Reviews: overdue (not the retired model) and due within 14 days, soonest first.
    assert [m.name for m in overview.reviews] == ["Scorecard", "Pricing"]
    assert (overview.overdue_count, overview.due_soon_count) == (1, 1)
    assert overview.horizon == today + timedelta(days=14)
    # Open approval requests.
    assert [a.model.name for a in overview.approvals] == ["Pricing"] and overview.approval_count == 1
    # Incidents not closed; risks ranked by residual (inherent where not reassessed), closed ones left out.
    assert [i.title for i in overview.incidents] == ["False declines spike"]
    assert overview.open_incident_count == 1
    assert [r.title for r in overview.risks] == ["Adversarial probing", "Unfair retention offers"]
    # Latest maturity score and its change.
    assert _maturity_panel(response)["latest"].overall_score == 2.75
    assert _maturity_panel(response)["change"] == pytest.approx(0.75)
    assert "2.75" in html and "+0.75" in html
    # The sections list stays below the overview.
    assert html.index('id="sections-h"') > html.index('id="maturity-h"')
    assert reverse("governance:audit-log") in html


def test_dashboard_links_to_sections_only_when_installed(login, auditor, portfolio):
    html = login(auditor).get(reverse("home")).content.decode()
    for name in ("governance:incident-list", "governance:risk-heatmap"):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        assert f'href="{url}"' in html
    assert f'href="{reverse("governance:model-list")}?kpi_breach=true"' in html


def test_dashboard_shows_only_the_current_organisation(login, outsider, portfolio):
    response = login(outsider).get(reverse("home"))
    overview = response.context["overview"]
    assert overview.inventory.total == 1
    assert [b.model.name for b in overview.breaches] == ["Foreign breach"]
    html = response.content.decode()
    assert "Fraud detector" not in html and "Churn model" not in html


@pytest.mark.parametrize("role", list(Role))
def test_every_member_sees_the_overview(login, make_member, portfolio, role):
    response = login(make_member(role)).get(reverse("home"))
    assert response.status_code == 200
    assert "Models in KPI breach" in response.content.decode()


def test_user_without_organisation_gets_no_overview(login, db):
    response = login(UserFactory(username="nobody")).get(reverse("home"))
    assert response.status_code == 200
    assert "overview" not in response.context
    assert "not a member of any organisation" in response.content.decode()


def test_empty_organisation_overview_says_so(login, auditor):
    response = login(auditor).get(reverse("home"))
    html = response.content.decode()
    assert "No KPI is at or past its warning or critical threshold." in html
    assert "Nothing waits for a decision." in html
    assert "No organisation-wide maturity assessment approved yet." in html
    assert _maturity_panel(response)["change"] is None


def test_overview_selector_takes_the_date(organisation, portfolio):
    later = timezone.localdate() + timedelta(days=10)
    result = dashboard.overview(organisation, today=later)
    # Ten days on, the pricing review is overdue too.
    assert result.overdue_count == 2


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
