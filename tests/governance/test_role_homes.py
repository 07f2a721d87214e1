"""Home per role (issue 16): what the executive, the model owner, the risk officer, the auditor and the administrator
see first, each chart with its numbers in text beside it, and the compliance overview opening with its figures.

Query bounds at two sizes are in test_dashboard.py.
"""

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.core.registry import panels_for_role
from governance.core.roles import Role
from governance.demo.benchmark import build_compliance
from governance.models import (
    AuditBundle,
    ComplianceRecord,
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
from governance.services import monitoring as monitoring_services
from maturity.models import Assessment, AssessmentStatus
from tests.governance.inventory_factories import AIModelFactory
from tests.maturity.page_fixtures import QuestionnaireFactory

pytestmark = pytest.mark.django_db

EXECUTIVE_PANELS = ["maturity", "inventory", "top_risks", "kpi_breaches", "decisions", "release", "incidents"]


def _kpi(model, name, values, warning, critical):
    kpi = KPIDefinition.objects.create(
        model=model, name=name, warning_threshold=warning, critical_threshold=critical
    )
    start = timezone.now() - timedelta(days=3)
    KPIMeasurement.objects.bulk_create(
        [
            KPIMeasurement(kpi=kpi, measured_at=start + timedelta(hours=i), value=v)
            for i, v in enumerate(values)
        ]
    )
    monitoring_services.refresh_latest_state(KPIDefinition.objects.filter(pk=kpi.pk))
    return kpi


@pytest.fixture
def bank(organisation, make_member, model_owner, executive, risk_officer):
    """Two owners' models with KPIs, risks (one overdue), a finding, reports, evidence and a maturity trend."""
    today = timezone.localdate()
    someone_else = make_member(Role.MODEL_OWNER, username="other-owner")
    fraud = AIModelFactory(
        organisation=organisation,
        owner=model_owner,
        name="Fraud detector",
        lifecycle_stage=LifecycleStage.PRODUCTION,
        risk_tier=RiskTier.CRITICAL,
        next_review_due=today - timedelta(days=3),
    )
    churn = AIModelFactory(
        organisation=organisation,
        owner=someone_else,
        name="Churn model",
        lifecycle_stage=LifecycleStage.VALIDATION,
        risk_tier=RiskTier.HIGH,
    )
    _kpi(fraud, "Recall", [0.9, 0.65], warning=0.8, critical=0.7)
    _kpi(fraud, "Precision", [0.95], warning=0.8, critical=0.7)
    _kpi(churn, "AUC", [0.75], warning=0.8, critical=0.7)
    Risk.objects.create(
        organisation=organisation,
        model=churn,
        title="Unfair retention offers",
        category="fairness",
        likelihood=4,
        impact=4,
        owner=risk_officer,
        due_date=today - timedelta(days=5),
    )
    version = ModelVersion.objects.create(model=fraud, version="2.0.0")
    validation = Validation.objects.create(
        organisation=organisation, model=fraud, version=version, validator=executive, started_on=today
    )
    ValidationFinding.objects.create(
        validation=validation, title="Recall unstable on new merchants", severity="high", owner=model_owner
    )
    Report.objects.create(
        organisation=organisation,
        kind="model_inventory",
        title="Model inventory, Q3",
        status=ReportStatus.SUCCEEDED,
        finished_at=timezone.now(),
        sha256="ab" * 32,
    )
    build_compliance(organisation, [fraud, churn], risk_officer)
    questionnaire = QuestionnaireFactory()
    for days, score in ((200, 2.0), (100, 2.4), (10, 2.75)):
        Assessment.objects.create(
            organisation=organisation,
            questionnaire=questionnaire,
            title=f"Review -{days}d",
            status=AssessmentStatus.APPROVED,
            approved_by=executive,
            approved_at=timezone.now() - timedelta(days=days),
            overall_score=score,
        )
    return {"fraud": fraud, "churn": churn}


def _home(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response, response.content.decode()


def _keys(response) -> list[str]:
    return [p.key for p in response.context["panels"]]


def _panel(response, key: str) -> dict:
    return next(p.context for p in response.context["panels"] if p.key == key)


def _figure(html: str, data_id: str) -> dict:
    """The figure a chart draws, read from its json_script element."""
    match = re.search(rf'<script id="{data_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no chart data {data_id}"
    return json.loads(match.group(1))


def test_the_executive_sees_maturity_tiers_risks_breaches_and_decisions_with_charts(login, executive, bank):
    response, html = _home(login(executive))

    assert _keys(response) == EXECUTIVE_PANELS
    # Maturity now and its trend: the line through the three approved scores, and the same in a sentence.
    assert "2.75" in html and "+0.35" in html
    trend = _figure(html, "maturity-trend-data")
    assert trend["data"][0]["y"] == [2.0, 2.4, 2.75]
    assert "Overall maturity went from 2.00 on" in html and "to 2.75 on" in html
    # Models by tier: the bars and, for screen readers, the sentence and the stage x tier table.
    tiers = _figure(html, "tier-data")
    assert tiers["data"][0]["x"] == [1, 1, 0, 0]
    assert "2 models: Tier 1 — critical 1, Tier 2 — high 1, Tier 3 — medium 0, Tier 4 — low 0." in html
    assert 'class="table table-sm crosstab"' in html
    # KPI status: one critical, one warning, one fine, drawn and said.
    kpis = _figure(html, "kpi-status-data")
    assert kpis["data"][0]["x"] == [1, 1, 1, 0]
    assert "3 KPIs: Critical 1, Warning 1, OK 1, No data 0." in html
    assert [b.model.name for b in _panel(response, "kpi_breaches")["kpis"].breaches] == [
        "Fraud detector",
        "Churn model",
    ]
    assert "Unfair retention offers" in html  # top risks
    # The page loads Plotly and the drawing script, with no inline script.
    assert "vendor/plotly/plotly.min.js" in html and "plumbline/charts.js" in html
    assert not re.search(r"<script(?![^>]*(src=|application/json))", html)


def test_the_administrator_sees_the_executive_home_and_the_administration(login, admin_user_member, bank):
    response, html = _home(login(admin_user_member))

    assert _keys(response) == [*EXECUTIVE_PANELS, "administration"]
    roles = {value: n for value, _, n in _panel(response, "administration")["roles"]}
    assert roles[Role.MODEL_OWNER] == 2 and roles[Role.ADMIN] == 1
    assert "Administration" in html and reverse("governance:webhook-list") in html


def test_the_model_owner_sees_their_models_reviews_and_kpis_only(login, model_owner, bank):
    response, html = _home(login(model_owner))

    assert _keys(response) == ["my_models", "my_reviews", "my_kpis"]
    assert [m.name for m in _panel(response, "my_models")["models"]] == ["Fraud detector"]
    assert "Churn model" not in html  # another owner's model, and its AUC warning
    assert "1 in breach" in html
    assert _panel(response, "my_reviews")["overdue"] == 1 and "overdue" in html
    kpis = _figure(html, "my-kpi-status-data")
    assert kpis["data"][0]["x"] == [1, 0, 1, 0]
    assert "2 KPIs: Critical 1, Warning 0, OK 1, No data 0." in html


def test_a_model_owner_without_models_is_told_what_to_do(login, make_member, bank):
    _response, html = _home(login(make_member(Role.MODEL_OWNER, username="newcomer")))

    assert "You own no model yet" in html and reverse("governance:model-create") in html
    assert "Your models have no KPI yet" in html
    assert 'data-figure="my-kpi-status-data"' not in html


def test_the_risk_officer_sees_coverage_findings_and_what_is_overdue(login, risk_officer, bank):
    response, html = _home(login(risk_officer))

    assert _keys(response) == [
        "compliance_coverage",
        "open_findings",
        "overdue",
        "top_risks",
        "incidents",
        "decisions",
    ]
    coverage = _figure(html, "coverage-data")
    summaries = _panel(response, "compliance_coverage")["summaries"]
    assert len(coverage["data"][0]["y"]) == len(summaries) >= 4
    assert "Coverage per framework: " in html
    assert [f.title for f in _panel(response, "open_findings")["findings"]] == [
        "Recall unstable on new merchants"
    ]
    overdue = _panel(response, "overdue")
    assert [r.title for r in overdue["risks"]] == ["Unfair retention offers"]
    assert [m.name for m in overdue["reviews"]] == ["Fraud detector"]


def test_the_validator_gets_the_risk_officers_home(login, make_member, bank):
    response, _ = _home(login(make_member(Role.VALIDATOR)))
    assert _keys(response)[:3] == ["compliance_coverage", "open_findings", "overdue"]


def test_the_auditor_sees_integrity_reports_and_evidence(login, auditor, organisation, bank):
    AuditBundle.objects.create(organisation=organisation, requested_by=auditor)
    ComplianceRecord.objects.filter(model=bank["fraud"], status="compliant").update(evidence_link="")

    response, html = _home(login(auditor))

    assert _keys(response) == ["audit_integrity", "recent_reports", "evidence", "compliance_coverage"]
    assert "Audit trail integrity" in html and "Not verified yet" in html
    assert "Model inventory, Q3" in html and reverse("governance:report-verify") in html
    evidence = _panel(response, "evidence")
    assert evidence["claimed"] > evidence["evidenced"] > 0
    assert f"{evidence['unevidenced']} without evidence" in html
    assert len(evidence["bundles"]) == 1


def test_each_role_has_an_ordered_set_of_panels():
    for role in Role:
        keys = [panel.key for panel in panels_for_role(role)]
        assert keys and len(keys) == len(set(keys)), role
    assert panels_for_role(None) == []


def test_the_compliance_overview_opens_with_its_figures_and_chart(login, auditor, bank):
    response = login(auditor).get(reverse("governance:compliance-overview"))
    html = response.content.decode()

    figure = _figure(html, "coverage-data")
    summaries = response.context["summaries"]
    names = [s.framework.name for s in summaries]
    assert figure["data"][0]["y"] == names
    assert figure["data"][0]["x"] == [s.coverage.percent or 0 for s in summaries]
    # The text alternative: every framework's coverage in a sentence, and the table below.
    for summary in summaries:
        percent = summary.coverage.percent
        assert (
            f"{summary.framework.name} {'no requirement in scope' if percent is None else f'{percent:g} %'}"
            in html
        )
    assert "Coverage per framework: " in html
    # Figures and chart first; the formula waits in a <details>.
    formula = html.index("Coverage = (compliant")
    assert html.index('id="coverage-chart"') < formula
    assert html.rfind("<details", 0, formula) > html.index('id="coverage-chart"')
    assert "plumbline/charts.js" in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_charts_draw_in_a_browser_under_the_content_security_policy(
    browser_login, live_server, executive, risk_officer, bank
):
    page = browser_login(executive)
    for chart in ("#maturity-trend-chart", "#tier-chart", "#kpi-status-chart"):
        page.wait_for_selector(f"{chart} .main-svg")  # Plotly drew it from the JSON in the page
    # A figure, not an image: Plotly's controls inside it stay reachable (axe: nested-interactive).
    assert page.locator("#tier-chart").get_attribute("role") == "figure"
    assert "2 models: Tier 1" in page.locator("#tier-chart").get_attribute("aria-label")

    page.goto(f"{live_server.url}{reverse('governance:compliance-overview')}")
    page.wait_for_selector("#coverage-chart .main-svg")
    assert not page.locator("details.coverage-formula").evaluate("el => el.open")
