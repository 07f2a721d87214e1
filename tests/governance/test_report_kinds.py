"""The organisation maturity and compliance reports, and the fuller dossier and assessment reports.

Each PDF is rendered in-process by the same service the Celery task calls and read back with pypdf.
"""

import hashlib
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from governance.models import (
    AuditEvent,
    ComplianceRecord,
    ComplianceStatus,
    EUAIActCategory,
    Framework,
    KPIDefinition,
    KPIMeasurement,
    Report,
    ReportStatus,
    Requirement,
    RiskTier,
)
from governance.reports import services, verify
from governance.services.monitoring import refresh_latest_state
from tests.factories import BusinessUnitFactory
from tests.governance.inventory_factories import AIModelFactory
from tests.maturity.page_fixtures import FACTORS, AssessmentFactory, approved_history, build_questionnaire

pytestmark = pytest.mark.django_db

FACTOR_NAMES = [name for _, name in FACTORS]


def read_pdf(report: Report) -> tuple[str, PdfReader, bytes]:
    """The stored file's text (whitespace collapsed, as table cells wrap), the reader and the bytes."""
    with report.file.open("rb") as handle:
        content = handle.read()
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    return text, reader, content


def unbroken(text: str) -> str:
    """The text without spaces: URLs and hashes may wrap anywhere in a narrow cell."""
    return text.replace(" ", "")


def assert_audit_ready(report: Report, text: str, reader: PdfReader, content: bytes) -> None:
    """What every report must carry: stored page count and hash, footer, classification, sign-off."""
    pages = len(reader.pages)
    assert report.status == ReportStatus.SUCCEEDED, report.error
    assert report.page_count == pages
    assert report.sha256 == hashlib.sha256(content).hexdigest()
    assert verify.stored_file_matches(report)
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert f"Confidential · {report.organisation.name} · Report #{report.pk}" in text
    assert "Contents" in text and "Executive summary" in text
    assert "Sign-off" in text and "Prepared by" in text
    assert f"Report id #{report.pk}" in text


def render(actor, organisation, kind, subject_id=None, parameters=None) -> Report:
    report = services.request_report(
        actor=actor, organisation=organisation, kind=kind, subject_id=subject_id, parameters=parameters
    )
    return services.generate_report(report.pk)


# --- Organisation maturity -----------------------------------------------------------------------------


@pytest.fixture
def maturity_history(organisation):
    questionnaire = build_questionnaire()
    retail = BusinessUnitFactory(organisation=organisation, name="Retail Banking")
    corporate = BusinessUnitFactory(organisation=organisation, name="Corporate Banking")
    BusinessUnitFactory(organisation=organisation, name="Treasury Desk")
    whole = approved_history(organisation, questionnaire, 3)
    retail_history = approved_history(organisation, questionnaire, 2, business_unit=retail)
    corporate_history = approved_history(organisation, questionnaire, 4, business_unit=corporate)
    return {"whole": whole, "retail": retail_history, "corporate": corporate_history}


def test_organisation_maturity_report_compares_units_and_shows_trend(
    organisation, executive, maturity_history
):
    report = render(executive, organisation, "organisation_maturity")

    text, reader, content = read_pdf(report)
    assert_audit_ready(report, text, reader, content)
    assert report.title == "Organisation maturity report"
    assert "Organisation maturity report" in text
    for name in FACTOR_NAMES:
        assert name in text
    for unit in ("Retail Banking", "Corporate Banking", f"{organisation.name} (all units)"):
        assert unit in text
    # approved_history scores the i-th assessment 1 + i % 4: the latest organisation-wide one scores 3.
    assert f"{organisation.name} scores 3.00 out of 5 organisation-wide" in text
    assert "up 1.00 since the previous organisation-wide assessment" in text
    assert "Without an approved assessment: Treasury Desk" in text
    assert "3 of 4 scopes" in text
    assert "Business units compared" in text and "Gaps to targets" in text
    assert "Trend across reassessments" in text and "Roadmap highlights" in text
    assert "Appendix: assessments and approvals" in text
    # Every approved assessment is listed in the appendix.
    for assessment in [
        *maturity_history["whole"],
        *maturity_history["retail"],
        *maturity_history["corporate"],
    ]:
        assert assessment.title in text
    # Charts are vector graphics (inline SVG), never raster images.
    assert all(not page.images for page in reader.pages)


def test_organisation_maturity_period_selects_earlier_assessments(organisation, executive, maturity_history):
    second = maturity_history["whole"][1]
    end = timezone.localdate(second.approved_at)
    start = end - timedelta(days=400)

    report = render(
        executive,
        organisation,
        "organisation_maturity",
        parameters={"period_start": start.isoformat(), "period_end": end.isoformat()},
    )

    text, reader, content = read_pdf(report)
    assert_audit_ready(report, text, reader, content)
    assert f"{start.isoformat()} to {end.isoformat()}" in text
    assert f"{organisation.name} scores 2.00 out of 5 organisation-wide" in text
    # The appendix lists the organisation-wide assessments of the period only.
    assert f"{maturity_history['whole'][1].title} Whole organisation" in text
    assert f"{maturity_history['whole'][2].title} Whole organisation" not in text


def test_organisation_maturity_without_assessments_says_so(organisation, executive):
    report = render(executive, organisation, "organisation_maturity")

    text, reader, content = read_pdf(report)
    assert_audit_ready(report, text, reader, content)
    assert "No approved maturity assessment exists" in text


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({"period_start": "2026-13-01"}, "period_start"),
        ({"period_start": "2026-06-01", "period_end": "2026-01-01"}, "period_end"),
        ({"period_end": 20260101}, "period_end"),
    ],
)
def test_organisation_maturity_bad_period_is_a_field_error(organisation, executive, parameters, field):
    with pytest.raises(ValidationError) as exc:
        services.request_report(
            actor=executive, organisation=organisation, kind="organisation_maturity", parameters=parameters
        )

    assert field in exc.value.message_dict
    assert not Report.objects.exists()


def test_only_the_maturity_report_takes_a_period(organisation, executive):
    with pytest.raises(ValidationError) as exc:
        services.request_report(
            actor=executive,
            organisation=organisation,
            kind="model_inventory",
            parameters={"period_start": "2026-01-01"},
        )
    assert exc.value.message_dict == {
        "period_start": ["Only an organisation maturity report covers a period."]
    }


def test_organisation_maturity_refuses_a_subject(organisation, executive):
    with pytest.raises(ValidationError) as exc:
        services.request_report(
            actor=executive, organisation=organisation, kind="organisation_maturity", subject_id=1
        )
    assert "whole organisation" in exc.value.message_dict["subject_id"][0]


# --- Compliance ----------------------------------------------------------------------------------------


@pytest.fixture
def framework(db):
    framework = Framework.objects.create(
        key="test-ai-rules",
        version="2026.1",
        name="Test AI Rules",
        publisher="Test regulator",
        content_hash="0" * 64,
    )
    Requirement.objects.bulk_create(
        [
            Requirement(
                framework=framework,
                ref="TR-1",
                section="General",
                title="Purpose documented",
                description="Every model documents its purpose.",
                position=1,
            ),
            Requirement(
                framework=framework,
                ref="TR-2",
                section="High-risk",
                title="Human oversight designed",
                description="High-risk models have designed oversight.",
                applies_to={"eu_ai_act_category": ["high_risk"]},
                position=2,
            ),
            Requirement(
                framework=framework,
                ref="TR-3",
                section="High-risk",
                title="Logs kept",
                description="High-risk models keep logs.",
                applies_to={"eu_ai_act_category": ["high_risk"]},
                position=3,
            ),
        ]
    )
    return framework


@pytest.fixture
def compliance_inventory(organisation, framework, risk_officer):
    credit = AIModelFactory(
        organisation=organisation,
        name="Credit Scorer",
        risk_tier=RiskTier.HIGH,
        eu_ai_act_category=EUAIActCategory.HIGH_RISK,
    )
    churn = AIModelFactory(organisation=organisation, name="Churn Predictor")
    requirements = {r.ref: r for r in framework.requirements.all()}
    today = timezone.localdate()
    ComplianceRecord.objects.create(
        organisation=organisation,
        model=credit,
        requirement=requirements["TR-1"],
        status=ComplianceStatus.COMPLIANT,
        evidence_link="https://docs.example.com/credit-scorer/model-card",
        reviewer=risk_officer,
        reviewed_at=timezone.now(),
        next_review_due=today + timedelta(days=200),
    )
    ComplianceRecord.objects.create(
        organisation=organisation,
        model=credit,
        requirement=requirements["TR-2"],
        status=ComplianceStatus.NON_COMPLIANT,
        notes="No override procedure for declined applications.",
        reviewer=risk_officer,
        reviewed_at=timezone.now(),
        next_review_due=today - timedelta(days=3),
    )
    ComplianceRecord.objects.create(
        organisation=organisation,
        model=churn,
        requirement=requirements["TR-1"],
        status=ComplianceStatus.PARTIAL,
        evidence_sha256="a" * 64,
        evidence_file="evidence/2026/11/churn-purpose.pdf",
    )
    return credit, churn


def test_compliance_report_shows_coverage_status_and_evidence(
    organisation, auditor, framework, compliance_inventory
):
    report = render(auditor, organisation, "compliance", parameters={"framework": framework.key})

    text, reader, content = read_pdf(report)
    assert_audit_ready(report, text, reader, content)
    assert report.title == "Compliance report: Test AI Rules (2026.1)"
    assert report.parameters == {"framework": "test-ai-rules", "framework_version": "2026.1"}
    requested = AuditEvent.objects.get(action="report.requested", object_id=str(report.pk))
    assert requested.changes["parameters"] == [None, report.parameters]
    assert "Compliance report: Test AI Rules (2026.1)" in text
    for ref in ("TR-1", "TR-2", "TR-3"):
        assert ref in text
    assert "Credit Scorer" in text and "Churn Predictor" in text
    # Credit Scorer: TR-1 compliant, TR-2 non-compliant, TR-3 not assessed -> 1/3; Churn: TR-1 partial -> 50%.
    assert "33.3%" in text and "50.0%" in text
    # Overall: (1 + 0.5) / 4 applicable checks.
    assert "coverage is 37.5%" in text
    assert "No override procedure for declined applications." in text
    assert "(overdue)" in text
    assert "Appendix: evidence references" in text
    assert "https://docs.example.com/credit-scorer/model-card" in unbroken(text)
    assert "a" * 64 in unbroken(text)
    # The models x requirements matrix is printed on landscape pages.
    assert any(page.mediabox.width > page.mediabox.height for page in reader.pages)


def test_compliance_report_pins_the_framework_version(organisation, auditor, framework, compliance_inventory):
    report = services.request_report(
        actor=auditor, organisation=organisation, kind="compliance", parameters={"framework": framework.key}
    )
    Framework.objects.filter(pk=framework.pk).update(is_current=False)
    Framework.objects.create(key=framework.key, version="2027.1", name="Test AI Rules", content_hash="1" * 64)

    report = services.generate_report(report.pk)

    text, _, _ = read_pdf(report)
    assert "version 2026.1" in text and "TR-2" in text


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        (None, "Choose the framework the report covers."),
        (
            {"framework": "no-such-framework"},
            "Unknown framework “no-such-framework”. Loaded frameworks: test-ai-rules.",
        ),
    ],
)
def test_compliance_needs_a_known_framework(organisation, auditor, framework, parameters, message):
    with pytest.raises(ValidationError) as exc:
        services.request_report(
            actor=auditor, organisation=organisation, kind="compliance", parameters=parameters
        )

    assert exc.value.message_dict == {"framework": [message]}
    assert not Report.objects.exists()


def test_compliance_report_of_unloaded_framework_fails_clearly(organisation, auditor, framework):
    report = services.request_report(
        actor=auditor, organisation=organisation, kind="compliance", parameters={"framework": framework.key}
    )
    framework.delete()

    report = services.generate_report(report.pk)

    assert report.status == ReportStatus.FAILED
    assert "Framework “test-ai-rules” version 2026.1 is not loaded." in report.error


# --- Dossier -------------------------------------------------------------------------------------------


def test_dossier_has_risks_compliance_kpis_incidents_and_audit_events(
    organisation, risk_officer, model_owner, framework
):
    from governance.services.incidents import create_incident
    from governance.services.inventory import create_model
    from governance.services.risks import create_risk

    model = create_model(
        actor=model_owner,
        organisation=organisation,
        name="Fraud Detector",
        purpose="Flags card payments for review.",
        owner=model_owner,
        eu_ai_act_category=EUAIActCategory.HIGH_RISK,
    )
    create_risk(
        actor=risk_officer,
        organisation=organisation,
        model=model,
        title="Bias against young applicants",
        category="fairness",
        likelihood=4,
        impact=5,
        residual_likelihood=2,
        residual_impact=3,
        mitigation="Monthly fairness review of declines by age band.",
        status="mitigating",
    )
    now = timezone.now()
    create_incident(
        actor=risk_officer,
        organisation=organisation,
        model=model,
        title="Feature pipeline outage",
        severity="high",
        occurred_at=now - timedelta(days=10),
        detected_at=now - timedelta(days=9),
        description="A schema change stopped feature updates for six hours.",
        financial_loss=Decimal("12500.00"),
        currency="EUR",
        root_cause="Unversioned upstream schema.",
        actions_taken="Schema contracts enforced in CI.",
    )
    ComplianceRecord.objects.create(
        organisation=organisation,
        model=model,
        requirement=framework.requirements.get(ref="TR-1"),
        status=ComplianceStatus.COMPLIANT,
        evidence_link="https://docs.example.com/fraud/purpose",
    )
    kpi = KPIDefinition.objects.create(
        model=model, name="Precision at review", target=0.9, warning_threshold=0.8, critical_threshold=0.7
    )
    KPIMeasurement.objects.bulk_create(
        KPIMeasurement(kpi=kpi, measured_at=now - timedelta(days=day), value=0.85 + day / 1000)
        for day in range(30)
    )
    refresh_latest_state(KPIDefinition.objects.filter(pk=kpi.pk))

    report = render(risk_officer, organisation, "model_dossier", subject_id=model.pk)

    text, reader, content = read_pdf(report)
    assert_audit_ready(report, text, reader, content)
    assert "Model dossier: Fraud Detector" in text
    assert "Bias against young applicants" in text and "Inherent risk" in text and "Residual risk" in text
    assert "Monthly fairness review of declines by age band." in text
    assert "Test AI Rules (2026.1)" in text and "TR-1" in text and "TR-3" in text
    assert "https://docs.example.com/fraud/purpose" in unbroken(text)
    assert "Coverage 33.3%" in text
    assert "Precision at review" in text
    assert "Feature pipeline outage" in text and "12500.00 EUR" in text
    assert "Unversioned upstream schema." in text and "Schema contracts enforced in CI." in text
    assert "Appendix: audit events" in text
    assert "model.create" in text and "risk.create" in text and "incident.create" in text
    assert all(not page.images for page in reader.pages)


# --- Assessment ----------------------------------------------------------------------------------------


def test_assessment_report_appendix_has_every_answer_evidence_and_approval(
    organisation, assessor, executive, auditor
):
    from maturity import services as maturity_services

    questionnaire = build_questionnaire(questions_per_factor=8)
    assessment = maturity_services.create_assessment(
        actor=assessor, organisation=organisation, title="Annual MLOps review", questionnaire=questionnaire
    )
    questions = list(questionnaire.factors.order_by("order").values_list("questions__key", flat=True))
    answers = [
        {
            "question": key,
            "level": index % 6,
            "comment": f"Comment on {key}: " + "interviews with the platform team and a walk-through. " * 6,
            "evidence_links": [f"https://wiki.example.com/mlops/{key}", f"DOC-{index:03d} review minutes"],
        }
        for index, key in enumerate(questions)
    ]
    answers[0] = {
        "question": questions[0],
        "not_applicable": True,
        "not_applicable_reason": "No such practice here.",
    }
    maturity_services.save_answers(actor=assessor, assessment=assessment, answers=answers)
    maturity_services.submit_assessment(actor=assessor, assessment=assessment)
    maturity_services.approve_assessment(actor=executive, assessment=assessment)

    report = render(auditor, organisation, "assessment", subject_id=assessment.pk)

    text, reader, content = read_pdf(report)
    assert_audit_ready(report, text, reader, content)
    assert len(questions) == 40
    assert "Appendix A: answers and evidence" in text
    assert "Appendix B: submission and approval history" in text
    # Questions by number and text, as a reader finds them on the answering page; internal keys never.
    for factor_name in FACTOR_NAMES:
        for number in range(1, 9):
            assert f"{factor_name} {number}" in text
            assert f"{factor_name} question {number}?" in text
    assert "strategy-q1" not in text
    assert "https://wiki.example.com/mlops/" + questions[-1] in unbroken(text)
    assert "DOC-039 review minutes" in text
    assert "No such practice here." in text
    assert "Submitted for approval" in text and "Approved" in text and "Answers saved" in text
    assert "Assessment approved by (executive)" in text
    assert executive.get_full_name() in text
    for name in FACTOR_NAMES:
        assert name in text
    assert len(reader.pages) >= 12


# --- Pages and API -------------------------------------------------------------------------------------


def test_report_page_offers_new_kinds_and_frameworks(login, auditor, organisation, framework):
    response = login(auditor).get(reverse("governance:report-list"))

    body = response.content.decode()
    assert 'value="organisation_maturity"' in body and 'value="compliance"' in body
    assert 'value="test-ai-rules"' in body and "Test AI Rules (2026.1)" in body


def test_report_page_requests_compliance_and_maturity(login, auditor, organisation, framework):
    client = login(auditor)

    compliance = client.post(
        reverse("governance:report-list"), {"kind": "compliance", "framework": framework.key}
    )
    maturity = client.post(
        reverse("governance:report-list"),
        {"kind": "organisation_maturity", "period_start": "2026-01-01", "period_end": "2026-06-30"},
    )

    assert compliance.status_code == 302 and maturity.status_code == 302
    reports = {r.kind: r for r in Report.objects.all()}
    assert reports["compliance"].parameters["framework"] == framework.key
    assert reports["organisation_maturity"].parameters == {
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
    }


def test_report_page_errors_sit_next_to_the_fields(login, auditor, organisation, framework):
    client = login(auditor)

    missing = client.post(reverse("governance:report-list"), {"kind": "compliance"})
    backwards = client.post(
        reverse("governance:report-list"),
        {"kind": "organisation_maturity", "period_start": "2026-06-01", "period_end": "2026-01-01"},
    )

    assert missing.status_code == 400
    assert "Choose the framework the report covers." in missing.content.decode()
    assert backwards.status_code == 400
    assert "The period cannot end before it starts." in backwards.content.decode()
    assert not Report.objects.exists()


def test_api_accepts_new_kinds(api_client, auditor, organisation, framework):
    client = api_client(auditor)

    by_parameter = client.post(
        "/api/v1/reports/", {"kind": "compliance", "parameters": {"framework": framework.key}}, format="json"
    )
    by_field = client.post(
        "/api/v1/reports/", {"kind": "compliance", "framework": framework.key}, format="json"
    )
    maturity = client.post("/api/v1/reports/", {"kind": "organisation_maturity"}, format="json")

    assert by_parameter.status_code == 202 and by_field.status_code == 202 and maturity.status_code == 202
    assert by_field.json()["title"] == "Compliance report: Test AI Rules (2026.1)"
    assert by_field.json()["parameters"]["framework_version"] == "2026.1"


def test_api_bad_subjects_are_400_field_errors(
    api_client, auditor, organisation, other_organisation, framework
):
    client = api_client(auditor)
    foreign = AIModelFactory(organisation=other_organisation, name="Secret Foreign Model")
    foreign_assessment = AssessmentFactory(
        organisation=other_organisation, questionnaire=build_questionnaire(), title="Secret Foreign Review"
    )

    unknown = client.post("/api/v1/reports/", {"kind": "compliance", "framework": "nope"}, format="json")
    missing = client.post("/api/v1/reports/", {"kind": "compliance"}, format="json")
    subject = client.post(
        "/api/v1/reports/", {"kind": "organisation_maturity", "subject_id": 5}, format="json"
    )
    period = client.post(
        "/api/v1/reports/",
        {"kind": "organisation_maturity", "parameters": {"period_end": "yesterday"}},
        format="json",
    )
    dossier = client.post(
        "/api/v1/reports/", {"kind": "model_dossier", "subject_id": foreign.pk}, format="json"
    )
    assessment = client.post(
        "/api/v1/reports/", {"kind": "assessment", "subject_id": foreign_assessment.pk}, format="json"
    )

    assert (
        unknown.status_code == 400 and "Unknown framework “nope”" in unknown.json()["errors"]["framework"][0]
    )
    assert missing.status_code == 400 and "framework" in missing.json()["errors"]
    assert subject.status_code == 400 and "subject_id" in subject.json()["errors"]
    assert period.status_code == 400 and "period_end" in period.json()["errors"]
    for response in (dossier, assessment):
        assert response.status_code == 400 and "subject_id" in response.json()["errors"]
        # The refusal names neither the other organisation nor its records.
        body = response.content.decode()
        assert "Secret Foreign" not in body and other_organisation.name not in body
    assert not Report.objects.exists()


def test_api_other_organisation_reads_as_one_that_does_not_exist(
    api_client, outsider, organisation, framework
):
    response = api_client(outsider).post(
        "/api/v1/reports/",
        {"kind": "compliance", "framework": framework.key, "organisation": organisation.pk},
        format="json",
    )
    assert response.status_code == 400 and "does not exist" in response.json()["errors"]["organisation"][0]
    assert not Report.objects.exists()


# --- Charts --------------------------------------------------------------------------------------------


def test_charts_are_well_formed_svg_with_their_values():
    from datetime import date
    from xml.etree import ElementTree

    from governance.reports.charts import heatmap_svg, line_chart_svg, risk_matrix_svg

    line = line_chart_svg(
        "R&D <trend>",
        [("Overall", [(date(2026, 1, 1), 1.5), (date(2026, 4, 1), None), (date(2026, 7, 1), 2.5)])],
        minimum=0,
        maximum=5,
        references=[("target", 3.0)],
    )
    heat = heatmap_svg("Units", ["Retail & Co"], ["Strategy", "Modeling"], [[2.345, None]])
    grid = [[0] * 5 for _ in range(5)]
    grid[4][3] = 7  # impact 5, likelihood 4
    matrix = risk_matrix_svg("Inherent", grid)

    texts = {
        name: [t.text for t in ElementTree.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
        for name, svg in (("line", line), ("heat", heat), ("matrix", matrix))
    }
    assert "R&D <trend>" in texts["line"] and "target (3)" in texts["line"]
    assert "2026-01-01" in texts["line"] and "2026-07-01" in texts["line"]
    assert "2.35" in texts["heat"] and "\u2013" in texts["heat"] and "Retail & Co" in texts["heat"]
    assert "7" in texts["matrix"]
