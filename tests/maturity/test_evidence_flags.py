"""Self-ratings above what Plumbline's records support: flagged, justified, frozen at submission, shown."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from governance.models import AIModel, LifecycleStage
from maturity import selectors, services
from maturity.models import Question
from tests.factories import UserFactory
from tests.maturity.conftest import answer

INVENTORY = {"signal": "inventory-completeness", "at_least": {"2": 0.5, "3": 0.8, "4": 0.95, "5": 0.99}}


@pytest.fixture
def with_evidence(questionnaire):
    """governance-q1 observes inventory completeness."""
    Question.objects.filter(factor__questionnaire=questionnaire, key="governance-q1").update(
        evidence=INVENTORY
    )
    return questionnaire


def add_models(organisation, complete: int, incomplete: int) -> None:
    owner = UserFactory()
    first = AIModel.objects.filter(organisation=organisation).count()
    for n in range(first, first + complete + incomplete):
        AIModel.objects.create(
            organisation=organisation,
            owner=owner,
            name=f"model {n}",
            purpose="Scores applications.",
            lifecycle_stage=LifecycleStage.PRODUCTION,
            next_review_due=datetime.date(2099, 1, 1) if n < first + complete else None,
        )


def answer_everything(actor, assessment, level=3, **governance_q1):
    keys = Question.objects.filter(factor__questionnaire=assessment.questionnaire).values_list(
        "key", flat=True
    )
    items = [answer(k, level) for k in keys if k != "governance-q1"]
    items.append({**answer("governance-q1", governance_q1.pop("level", level)), **governance_q1})
    services.save_answers(actor=actor, assessment=assessment, answers=items)


@pytest.mark.django_db
def test_a_rating_above_the_evidence_needs_a_justification_to_submit(with_evidence, organisation, assessor):
    add_models(organisation, complete=1, incomplete=3)  # 25 %: supports at most level 1
    assessment = services.create_assessment(actor=assessor, organisation=organisation, title="Q4")
    answer_everything(assessor, assessment, level=3)

    with pytest.raises(ValidationError) as refused:
        services.submit_assessment(actor=assessor, assessment=assessment)

    message = " ".join(refused.value.messages)
    assert "1 answer rates above what Plumbline's records support and needs a short justification" in message
    assert "Governance 1 (How mature is governance-q1?)" in message
    assessment.refresh_from_db()
    assert assessment.status == "draft" and assessment.evidence == {}


@pytest.mark.django_db
def test_submission_freezes_the_figures_so_results_do_not_move_later(with_evidence, organisation, assessor):
    add_models(organisation, complete=1, incomplete=3)
    assessment = services.create_assessment(actor=assessor, organisation=organisation, title="Q4")
    answer_everything(
        assessor, assessment, level=3, evidence_justification="Reviews are tracked in the bank's GRC tool."
    )

    services.submit_assessment(actor=assessor, assessment=assessment)

    assessment.refresh_from_db()
    frozen = assessment.evidence["governance-q1"]
    assert (frozen["meeting"], frozen["total"], frozen["supported_level"]) == (1, 4, 1)
    result = selectors.assessment_result(assessment)
    governance = next(f for f in result.factors if f.key == "governance")
    assert governance.flags == 1
    assert governance.score == pytest.approx(3.0)
    assert governance.evidence_score == pytest.approx((1 + 3) / 2)

    # The estate improves after submission: the submitted figures stay as they were.
    add_models(organisation, complete=20, incomplete=0)
    again = selectors.assessment_result(assessment)
    assert next(f for f in again.factors if f.key == "governance").evidence_score == pytest.approx(2.0)


@pytest.mark.django_db
def test_a_rating_within_the_evidence_is_not_flagged(with_evidence, organisation, assessor):
    add_models(organisation, complete=4, incomplete=0)  # 100 %: supports level 5
    assessment = services.create_assessment(actor=assessor, organisation=organisation, title="Q4")
    answer_everything(assessor, assessment, level=4)

    services.submit_assessment(actor=assessor, assessment=assessment)

    assert selectors.assessment_result(assessment).flags == 0


@pytest.mark.django_db
def test_factor_page_shows_what_was_observed_and_flags_the_rating(
    with_evidence, organisation, assessor, login, client
):
    add_models(organisation, complete=1, incomplete=3)
    assessment = services.create_assessment(actor=assessor, organisation=organisation, title="Q4")
    services.save_answers(actor=assessor, assessment=assessment, answers=[answer("governance-q1", 3)])
    login(assessor)

    body = client.get(reverse("maturity:answer-factor", args=[assessment.pk, "governance"])).content.decode()

    assert "Observed in Plumbline:" in body
    assert "25 % of models in use have a purpose and a review date that is not overdue (1 of 4)" in body
    assert "supports at most level 1" in body
    records = reverse("maturity:assessment-evidence", args=[assessment.pk, "governance-q1"])
    assert records in body
    # The flag is open because the saved rating (3) is above level 1.
    flag_start = body.index('class="evidence-flag"')
    assert "hidden" not in body[flag_start : body.index(">", flag_start)]


@pytest.mark.django_db
def test_the_records_page_lists_what_was_counted_and_links_to_each_model(
    with_evidence, organisation, assessor, login, client
):
    add_models(organisation, complete=1, incomplete=2)
    assessment = services.create_assessment(actor=assessor, organisation=organisation, title="Q4")
    login(assessor)

    response = client.get(reverse("maturity:assessment-evidence", args=[assessment.pk, "governance-q1"]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "The records (3)" in body
    for model in AIModel.objects.filter(organisation=organisation):
        assert reverse("governance:model-detail", args=[model.pk]) in body
    assert body.count('class="badge warning">No<') == 2


@pytest.mark.django_db
def test_another_organisations_assessment_evidence_answers_404(
    with_evidence, organisation, assessor, outsider, login, client
):
    assessment = services.create_assessment(actor=assessor, organisation=organisation, title="Q4")
    login(outsider)

    response = client.get(reverse("maturity:assessment-evidence", args=[assessment.pk, "governance-q1"]))

    assert response.status_code == 404


@pytest.mark.django_db
def test_a_question_without_a_signal_has_no_records_page(
    with_evidence, organisation, assessor, login, client
):
    assessment = services.create_assessment(actor=assessor, organisation=organisation, title="Q4")
    login(assessor)

    response = client.get(reverse("maturity:assessment-evidence", args=[assessment.pk, "strategy-q1"]))

    assert response.status_code == 404


@pytest.mark.django_db
def test_autosave_saves_one_answer_and_reports_the_flag(with_evidence, organisation, assessor, login, client):
    add_models(organisation, complete=1, incomplete=3)
    assessment = services.create_assessment(actor=assessor, organisation=organisation, title="Q4")
    login(assessor)
    url = reverse("maturity:autosave-answer", args=[assessment.pk, "governance-q1"])

    saved = client.post(url, {"governance-q1-level": "4"})
    refused = client.post(url, {"governance-q1-not_applicable": "on"})

    assert saved.status_code == 200
    assert saved.json() == {"saved": 1, "flagged": True, "supported_level": 1}
    assert assessment.answers.get(question__key="governance-q1").level == 4
    assert refused.status_code == 400
    assert "reason is required" in refused.content.decode()
    assert assessment.answers.get(question__key="governance-q1").level == 4


@pytest.mark.django_db
def test_the_assessment_pdf_lists_every_flag_with_the_frozen_figures(
    with_evidence, organisation, assessor, executive
):
    from governance.reports import services as reports
    from tests.governance.test_reports import pdf_text

    add_models(organisation, complete=1, incomplete=3)
    assessment = services.create_assessment(actor=assessor, organisation=organisation, title="Q4 review")
    answer_everything(assessor, assessment, level=3, evidence_justification="Reviews live in the GRC tool.")
    services.submit_assessment(actor=assessor, assessment=assessment)
    services.approve_assessment(
        actor=executive, assessment=assessment, comment="Flag accepted for this cycle."
    )
    add_models(organisation, complete=30, incomplete=0)  # later improvements do not change the report

    report = reports.request_report(
        actor=executive, organisation=organisation, kind="assessment", subject_id=assessment.pk
    )
    report = reports.generate_report(report.pk)

    assert report.status == "succeeded", report.error
    text, _pages = pdf_text(report.file.read())
    assert "Evidence flags" in text
    assert "1 answer is rated above what the records support" in text
    assert "25 % of models in use have a purpose and a review date that is not overdue (1 of 4)" in text
    assert "Reviews live in the GRC tool." in text
    assert "Flag accepted for this cycle." in text
    # Appendix numbers questions as the pages do, not by key.
    assert "Governance 1 How mature is governance-q1?" in text
    assert "On public MLOps maturity models" in text and "Microsoft MLOps maturity model" in text
    # The executive summary: radar, crosswalk position in words, the preparer and the approver by name.
    assert "Maturity by factor (0-5)" in text
    assert "the answers place the organisation at Microsoft level" in text
    assert f"Prepared by Submitted Approved by {assessor.get_full_name() or assessor.username}" in text
    assert executive.get_full_name() or executive.username in text
    assert "governance-q1 How mature" not in text


@pytest.mark.django_db
def test_api_scores_carry_evidence_supported_scores_and_flags(
    with_evidence, organisation, assessor, executive, api_client
):
    add_models(organisation, complete=1, incomplete=3)
    assessment = services.create_assessment(actor=assessor, organisation=organisation, title="Q4")
    answer_everything(assessor, assessment, level=3, evidence_justification="Tracked elsewhere.")
    services.submit_assessment(actor=assessor, assessment=assessment)
    client = api_client(executive)

    scores = client.get(f"/api/v1/assessments/{assessment.pk}/scores/").json()
    approved = client.post(
        f"/api/v1/assessments/{assessment.pk}/approve/", {"comment": "Accepted."}, format="json"
    )

    governance = next(f for f in scores["factors"] if f["key"] == "governance")
    assert (governance["score"], governance["evidence_score"], governance["flags"]) == (3.0, 2.0, 1)
    assert scores["evidence_flags"] == [
        {
            "question_key": "governance-q1",
            "question_text": "How mature is governance-q1?",
            "factor_key": "governance",
            "label": "Governance 1",
            "level": 3,
            "supported_level": 1,
            "statement": "25 % of models in use have a purpose and a review date that is not overdue (1 of 4).",
            "observed_on": assessment.evidence["governance-q1"]["observed_on"],
            "justification": "Tracked elsewhere.",
        }
    ]
    assert approved.status_code == 200 and approved.json()["approval_comment"] == "Accepted."
