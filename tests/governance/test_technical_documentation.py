"""EU AI Act Annex IV technical documentation: the facts read from the records ("not recorded" where they are
missing), the free texts with their history, the pages, the compliance overview's panel and the release check."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from governance.core.roles import Role
from governance.models import (
    AuditEvent,
    ComplianceRecord,
    ComplianceStatus,
    LifecycleStage,
    TechnicalDocumentation,
    TechnicalDocumentationRevision,
)
from governance.models.actions import GovernanceAction
from governance.rules import technical_documentation as rules
from governance.selectors import technical_documentation as selectors
from governance.selectors.release import default_rules, readiness
from governance.services import inventory as inventory_services
from governance.services import release as release_services
from governance.services.model_cards import model_card_save
from governance.services.monitoring import create_kpi, record_measurements
from governance.services.release import update_release_policy
from governance.services.risks import create_risk
from governance.services.technical_documentation import technical_documentation_update
from tests.governance.inventory_factories import AIModelFactory

pytestmark = pytest.mark.django_db

OUTLINE = rules.load_outline()
ALL_TEXTS = {key: f"Our {key.replace('_', ' ')}." for key in OUTLINE.text_keys}


def _item(document, key):
    return next(item for section in document.sections for item in section.items if item.key == key)


def _document(model, version=None):
    model.refresh_from_db()
    return selectors.technical_documentation_for(model, version)


@pytest.fixture
def sparse(organisation, model_owner):
    """A high-risk model with nothing but its inventory card's required fields."""
    return AIModelFactory(
        organisation=organisation,
        owner=model_owner,
        name="Mortgage affordability model",
        eu_ai_act_category="high_risk",
        lifecycle_stage=LifecycleStage.DEVELOPMENT,
    )


@pytest.fixture
def full(
    organisation, business_unit, model_owner, risk_officer, make_member, frameworks, permissive_release_policy
):
    """A high-risk model whose records hold every fact of the outline, and every free text written."""
    model = AIModelFactory(
        organisation=organisation,
        owner=model_owner,
        name="Retail credit scorecard",
        business_unit=business_unit,
        eu_ai_act_category="high_risk",
        decisions_about_people="makes",
        model_type="Logistic regression scorecard",
        deployment_environment="AWS eu-west-1, real-time API",
        data_sources="Application form and credit bureau data.",
        lifecycle_stage=LifecycleStage.PROPOSED,
    )
    inventory_services.request_stage_change(actor=model_owner, model=model, stage=LifecycleStage.DEVELOPMENT)
    version = inventory_services.register_version(
        actor=model_owner,
        model=model,
        version="3.2.0",
        artifact_uri="s3://models/scorecard/3.2.0/model.pkl",
        code_commit="ab12cd3",
        training_data_ref="s3://data/scorecard/snapshot-7.parquet",
        metrics={"gini": 0.63},
    )
    model_card_save(
        actor=model_owner,
        version=version,
        fields={
            "training_data": "212,400 booked applications.",
            "evaluation_data": "Out-of-time 2024 sample.",
        },
    )
    validator = make_member(Role.VALIDATOR, username="validator")
    today = timezone.localdate()
    release_services.record_validation(
        actor=validator,
        version=version,
        scope=["performance"],
        started_on=today - timedelta(days=20),
        completed_on=today - timedelta(days=10),
        outcome="approved",
        summary="Discrimination holds out of time.",
    )
    kpi = create_kpi(
        actor=model_owner, model=model, name="AUC", direction="higher", target=0.85, warning_threshold=0.8
    )
    record_measurements(actor=model_owner, kpi=kpi, points=[{"measured_at": timezone.now(), "value": 0.86}])
    create_risk(
        actor=risk_officer,
        organisation=organisation,
        model=model,
        title="Bias against young applicants",
        category="fairness",
        likelihood=3,
        impact=4,
        mitigation="Quarterly approval-rate ratio review.",
        residual_likelihood=2,
        residual_impact=3,
        owner=model_owner,
    )
    request = inventory_services.request_stage_change(
        actor=model_owner, model=model, stage=LifecycleStage.VALIDATION, justification="Ready."
    )
    inventory_services.decide_approval(actor=risk_officer, request=request, approve=True, comment="Fine.")
    requirement = frameworks["eu-ai-act"].requirements.get(ref="Art. 9")
    ComplianceRecord.objects.create(
        organisation=organisation, model=model, requirement=requirement, status=ComplianceStatus.COMPLIANT
    )
    model.refresh_from_db()
    technical_documentation_update(actor=model_owner, model=model, texts=ALL_TEXTS)
    return model


# --- Facts -------------------------------------------------------------------------------------------------


def test_a_sparse_model_shows_not_recorded_where_its_records_hold_nothing(sparse):
    document = _document(sparse)
    assert document.sections[0].spec.title == "General description and intended purpose"
    assert _item(document, "purpose").recorded and _item(document, "owner").recorded
    for key in ("business_unit", "model_type", "version", "artifact_uri", "validations", "kpis", "risks"):
        assert not _item(document, key).recorded, key
    assert not _item(document, "post_market_plan").recorded
    # No incident is stated, not counted as missing.
    assert _item(document, "incidents").recorded
    assert 0 < document.completeness < 50 and document.missing > 20
    assert selectors.completeness_of(sparse) == document.completeness


def test_a_fully_recorded_model_is_100_percent_complete(full):
    document = _document(full)
    missing = [i.key for s in document.sections for i in s.items if not i.recorded]
    assert missing == [] and document.completeness == 100.0
    assert document.version.version == "3.2.0"
    assert _item(document, "card_training_data").value == "212,400 booked applications."
    validations = _item(document, "validations").value
    assert validations.columns[3] == "Outcome" and validations[0][3] == "Approved"
    risk = _item(document, "risks").value[0]
    assert risk[2] == "Quarterly approval-rate ratio review." and risk[3] == "Medium"
    assert [row[2] for row in _item(document, "stage_changes").value] == ["Validation", "Development"]
    assert "EU AI Act" in _item(document, "compliance").value[0][0]
    assert selectors.completeness_of(full) == 100.0


def test_the_document_describes_the_version_asked_for_and_its_lifecycle_until_the_next(full, model_owner):
    newer = inventory_services.register_version(actor=model_owner, model=full, version="3.3.0")
    latest = _document(full)
    assert latest.version == newer and latest.cutoff is None
    assert not _item(latest, "validations").recorded and not _item(latest, "artifact_uri").recorded
    older = _document(full, "3.2.0")
    assert older.version.version == "3.2.0" and older.cutoff == newer.registered_at
    assert [row[0] for row in _item(older, "versions").value] == ["3.2.0"]
    assert older.completeness == 100.0
    assert selectors.completeness_of(full, older.version) == 100.0
    assert selectors.completeness_of(full) == latest.completeness < 100
    with pytest.raises(full.versions.model.DoesNotExist):
        _document(full, "9.9.9")


def test_completeness_for_many_models_takes_one_query(full, sparse, organisation, django_assert_num_queries):
    from governance.models import AIModel

    with django_assert_num_queries(1):
        scored = dict(selectors.completeness_by_model(AIModel.objects.filter(organisation=organisation)))
    assert scored[full] == 100.0 and scored[sparse] == _document(sparse).completeness


# --- Writing the texts ---------------------------------------------------------------------------------------


def test_saving_texts_keeps_each_fields_history_and_records_one_event(sparse, model_owner, risk_officer):
    technical_documentation_update(
        actor=model_owner, model=sparse, texts={"design_choices": "GBM.", "limitations": "Thin files."}
    )
    technical_documentation_update(
        actor=risk_officer,
        model=sparse,
        texts={"design_choices": "GBM, monotone.", "limitations": "Thin files."},
    )
    document = TechnicalDocumentation.objects.get(model=sparse)
    assert document.texts == {"design_choices": "GBM, monotone.", "limitations": "Thin files."}
    history = selectors.text_history(document, "design_choices")
    assert [(r.text, r.edited_by) for r in history] == [
        ("GBM, monotone.", risk_officer),
        ("GBM.", model_owner),
    ]
    events = AuditEvent.objects.filter(action=GovernanceAction.TECHNICAL_DOCUMENTATION_UPDATE).order_by(
        "sequence"
    )
    assert events.count() == 2
    last = events.last()
    assert last.changes["model"] == [None, sparse.name] and last.changes["fields"] == [
        None,
        ["design_choices"],
    ]
    assert last.changes["texts"] == {"design_choices": ["GBM.", "GBM, monotone."]}
    # The same texts again: nothing changes, nothing is recorded.
    technical_documentation_update(actor=risk_officer, model=sparse, texts={"limitations": "Thin files."})
    assert events.count() == 2 and TechnicalDocumentationRevision.objects.count() == 3


@pytest.mark.parametrize(
    ("texts", "field"),
    [
        ({"telepathy": "x"}, "texts"),
        ({"design_choices": "x" * (rules.MAX_TEXT + 1)}, "design_choices"),
        ({"design_choices": 42}, "design_choices"),
    ],
)
def test_unknown_fields_and_overlong_texts_are_refused(sparse, model_owner, texts, field):
    with pytest.raises(ValidationError) as raised:
        technical_documentation_update(actor=model_owner, model=sparse, texts=texts)
    assert field in raised.value.message_dict
    assert not TechnicalDocumentation.objects.exists()


def test_only_high_risk_models_have_annex_iv_documentation(organisation, model_owner):
    minimal = AIModelFactory(organisation=organisation, owner=model_owner, eu_ai_act_category="minimal")
    with pytest.raises(ValidationError, match="high-risk systems only"):
        technical_documentation_update(actor=model_owner, model=minimal, texts={"design_choices": "x"})
    assert selectors.completeness_of(minimal) is None


def test_roles_without_the_permission_and_outsiders_are_refused(sparse, auditor, outsider):
    with pytest.raises(PermissionDenied):
        technical_documentation_update(actor=auditor, model=sparse, texts={"design_choices": "x"})
    with pytest.raises(Http404):
        technical_documentation_update(actor=outsider, model=sparse, texts={"design_choices": "x"})


# --- Pages -------------------------------------------------------------------------------------------------


def test_the_page_shows_every_section_with_not_recorded_markers_and_links(login, auditor, sparse):
    response = login(auditor).get(reverse("governance:technical-documentation", args=[sparse.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for section in OUTLINE.sections:
        assert section.title in page and section.citation in page
    assert "Not recorded" in page and "Record it" in page
    assert reverse("governance:model-edit", args=[sparse.pk]) in page
    assert "Edit the free texts" not in page  # an auditor reads only


def test_the_page_of_a_full_model_and_the_edit_form_save_texts(login, model_owner, full):
    client = login(model_owner)
    url = reverse("governance:technical-documentation", args=[full.pk])
    page = client.get(url).content.decode()
    assert "100 %</span> complete" in page and "s3://models/scorecard/3.2.0/model.pkl" in page
    edit = reverse("governance:technical-documentation-edit", args=[full.pk])
    assert client.get(edit).status_code == 200
    response = client.post(edit, {**ALL_TEXTS, "limitations": "Lower accuracy for thin files."})
    assert response.status_code == 302 and response["Location"] == url
    history = client.get(reverse("governance:technical-documentation-history", args=[full.pk, "limitations"]))
    content = history.content.decode()
    assert content.index("Lower accuracy for thin files.") < content.index("Our limitations.")
    refused = client.post(edit, {"limitations": "x" * (rules.MAX_TEXT + 1)})
    assert refused.status_code == 400


def test_the_version_parameter_picks_the_version_described(login, auditor, full, model_owner):
    inventory_services.register_version(actor=model_owner, model=full, version="3.3.0")
    client = login(auditor)
    url = reverse("governance:technical-documentation", args=[full.pk])
    assert "version <strong>3.3.0</strong>" in client.get(url).content.decode()
    assert "version <strong>3.2.0</strong>" in client.get(url, {"version": "3.2.0"}).content.decode()
    assert client.get(url, {"version": "nope"}).status_code == 404


def test_a_model_that_is_not_high_risk_gets_a_page_saying_why(login, auditor, organisation, model_owner):
    minimal = AIModelFactory(organisation=organisation, owner=model_owner, eu_ai_act_category="limited")
    response = login(auditor).get(reverse("governance:technical-documentation", args=[minimal.pk]))
    assert response.status_code == 200
    assert "applies to high-risk AI systems only" in response.content.decode()


def test_another_organisations_model_answers_404(login, outsider, sparse, auditor):
    client = login(outsider)
    for name, args in (
        ("technical-documentation", [sparse.pk]),
        ("technical-documentation-edit", [sparse.pk]),
        ("technical-documentation-history", [sparse.pk, "design_choices"]),
    ):
        assert client.get(reverse(f"governance:{name}", args=args)).status_code == 404
    assert (
        login(auditor).get(reverse("governance:technical-documentation-edit", args=[sparse.pk])).status_code
        == 403
    )
    unknown = reverse("governance:technical-documentation-history", args=[sparse.pk, "telepathy"])
    assert login(auditor).get(unknown).status_code == 404


def test_the_model_page_links_the_documentation_with_its_completeness(login, auditor, full, sparse):
    client = login(auditor)
    page = client.get(reverse("governance:model-detail", args=[full.pk])).content.decode()
    assert reverse("governance:technical-documentation", args=[full.pk]) in page and "100% complete" in page


def test_the_compliance_overview_panel_counts_complete_documents(login, auditor, full, sparse, frameworks):
    page = login(auditor).get(reverse("governance:compliance-overview")).content.decode()
    assert "EU AI Act Annex IV technical documentation" in page
    panel = page[page.index("annex-iv-h") :]
    assert '<span class="dash-number">2</span> high-risk models' in panel
    assert '<span class="dash-number">1</span> complete' in panel
    assert reverse("governance:technical-documentation", args=[sparse.pk]) in panel


# --- The release check ---------------------------------------------------------------------------------------


def test_the_release_check_reads_the_documents_completeness(full, sparse, organisation, admin_user_member):
    # The full model's fixture relaxed the policy; back to Plumbline's default, which requires the check.
    update_release_policy(
        actor=admin_user_member, organisation=organisation, rules=default_rules(), note="Default again."
    )
    sparse.refresh_from_db()
    outcome = {o.name: o for o in readiness(sparse, "production").outcomes}[
        "technical_documentation_complete"
    ]
    assert outcome.status == "fail" and "% complete (at least 80 % needed)" in outcome.message
    assert outcome.overridable and outcome.fix == "technical_documentation"
    full.refresh_from_db()
    passed = {o.name: o for o in readiness(full, "production").outcomes}["technical_documentation_complete"]
    assert passed.status == "pass" and "100 % complete" in passed.message


def test_the_release_check_passes_a_model_that_is_not_high_risk(organisation, model_owner):
    minimal = AIModelFactory(organisation=organisation, owner=model_owner, risk_tier="critical")
    outcome = {o.name: o for o in readiness(minimal, "production").outcomes}[
        "technical_documentation_complete"
    ]
    assert outcome.status == "pass" and "Not a high-risk system" in outcome.message


# --- The PDF -------------------------------------------------------------------------------------------------


def _render(actor, organisation, model, parameters=None):
    from governance.reports import services as report_services

    report = report_services.request_report(
        actor=actor,
        organisation=organisation,
        kind="technical_documentation",
        subject_id=model.pk,
        parameters=parameters,
    )
    return report_services.generate_report(report.pk)


def test_the_pdf_has_every_annex_iv_section_and_marks_what_is_not_recorded(
    organisation, risk_officer, sparse
):
    from tests.governance.test_report_kinds import assert_audit_ready, read_pdf

    report = _render(risk_officer, organisation, sparse)
    text, reader, content = read_pdf(report)
    assert_audit_ready(report, text, reader, content)
    assert report.title == f"Annex IV technical documentation: {sparse.name}"
    for section in OUTLINE.sections:
        assert section.title in text and section.citation in text
    assert "Not recorded" in text and "complete" in text
    assert "describing no version" in text


def test_the_pdf_of_a_full_model_shows_its_facts_and_the_version_asked_for(
    organisation, risk_officer, full, model_owner
):
    from tests.governance.test_report_kinds import read_pdf, unbroken

    inventory_services.register_version(actor=model_owner, model=full, version="3.3.0")
    pinned = _render(risk_officer, organisation, full, {"version": "3.2.0"})
    text, _, _ = read_pdf(pinned)
    assert pinned.parameters == {"version": "3.2.0"}
    assert "describing version 3.2.0" in text and "100%" in text and "Not recorded" not in text
    assert "s3://models/scorecard/3.2.0/model.pkl" in unbroken(text)
    assert "Our design choices." in text
    latest, _, _ = read_pdf(_render(risk_officer, organisation, full))
    assert "describing version 3.3.0" in latest and "Not recorded" in latest


def test_the_pdf_request_refuses_a_bad_version_and_a_model_that_is_not_high_risk(
    organisation, risk_officer, full, model_owner
):
    from governance.models import ReportStatus
    from governance.reports import services as report_services

    with pytest.raises(ValidationError) as raised:
        report_services.request_report(
            actor=risk_officer,
            organisation=organisation,
            kind="technical_documentation",
            subject_id=full.pk,
            parameters={"version": "x" * 65},
        )
    assert "version" in raised.value.message_dict
    failed = _render(risk_officer, organisation, full, {"version": "9.9.9"})
    assert failed.status == ReportStatus.FAILED and "no version" in failed.error
    minimal = AIModelFactory(organisation=organisation, owner=model_owner, eu_ai_act_category="minimal")
    assert _render(risk_officer, organisation, minimal).status == ReportStatus.FAILED


# --- The demo ------------------------------------------------------------------------------------------------


def test_the_demo_has_one_complete_and_one_incomplete_annex_iv_document(login):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from governance.models import AIModel

    call_command("seed_demo", verbosity=0)
    models = AIModel.objects.select_related("owner", "business_unit", "technical_documentation")
    complete = selectors.technical_documentation_for(models.get(name="Retail credit scorecard"))
    missing = [i.label for s in complete.sections for i in s.items if not i.recorded]
    assert complete.completeness == 100.0, missing
    incomplete = selectors.technical_documentation_for(models.get(name="Mortgage affordability model"))
    assert 0 < incomplete.completeness < 100 and incomplete.record is not None
    client = login(get_user_model().objects.get(username="auditor"))
    page = client.get(reverse("governance:compliance-overview")).content.decode()
    assert "Mortgage affordability model" in page[page.index("annex-iv-h") :]
