"""An assessor's journey in a real browser: create, answer, submit; an executive approves; the radar renders."""

import datetime

import pytest
from playwright.sync_api import expect

from governance.core.roles import Role
from governance.models import AIModel
from maturity import services
from maturity.models import Answer, Assessment, AssessmentStatus, Question
from tests.maturity.page_fixtures import build_questionnaire

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_assessor_answers_submits_and_sees_radar_after_approval(browser_login, live_server, make_member):
    assessor = make_member(Role.ASSESSOR, username="browser-assessor")
    approver = make_member(Role.EXECUTIVE, username="browser-approver")
    questionnaire = build_questionnaire(questions_per_factor=2)
    page = browser_login(assessor)

    page.goto(f"{live_server.url}/maturity/assessments/")
    page.fill("#id_title", "Browser review")
    page.fill("#id_target_strategy", "4")
    page.click("text=Create assessment")
    page.wait_for_selector("h1:has-text('Browser review')")
    assessment = Assessment.objects.get(title="Browser review")
    assert assessment.targets["strategy"] == 4.0

    page.click("a:has-text('Strategy')")
    page.check("#id_strategy-q1-level_3")
    assert not page.is_visible("#id_strategy-q1-comment")  # comment and evidence stay closed until used
    page.click("#q-strategy-q1 summary")
    page.fill("#id_strategy-q1-comment", "Reviewed quarterly")
    assert not page.is_visible("#id_strategy-q2-not_applicable_reason")  # shown once N/A is chosen
    page.check("#id_strategy-q2-not_applicable")
    page.fill("#id_strategy-q2-not_applicable_reason", "No portfolio yet")
    page.click("button:has-text('Save and continue to Architecture')")
    page.wait_for_selector("h1:has-text('Architecture')")
    assert "2 of 10 questions answered" in page.inner_text(".progress-block")
    assert Answer.objects.get(assessment=assessment, question__key="strategy-q1").level == 3

    # The rest through the service, to keep the test short.
    rest = Question.objects.filter(factor__questionnaire=questionnaire).exclude(factor__key="strategy")
    services.save_answers(
        actor=assessor,
        assessment=assessment,
        answers=[{"question": q.key, "level": 2} for q in rest],
    )

    page.goto(f"{live_server.url}/maturity/assessments/{assessment.pk}/")
    assert "10 of 10 questions answered" in page.inner_text(".progress-block")
    page.click("button:has-text('Submit for approval')")
    page.wait_for_selector("text=Assessment submitted for approval.")
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED

    services.approve_assessment(actor=approver, assessment=assessment)

    page.goto(f"{live_server.url}/maturity/assessments/{assessment.pk}/results/")
    page.wait_for_selector("#radar-chart.js-plotly-plot svg", timeout=15000)
    assert page.locator("#gap-chart.js-plotly-plot svg").count() >= 1
    assert "Roadmap" in page.inner_text("main")


def test_answers_autosave_and_a_rating_above_the_evidence_is_flagged(browser_login, live_server, make_member):
    """Issue 14: answers save as they are chosen; a rating above what the records support is flagged at once,
    and a save that fails keeps the page from being left without a word."""
    assessor = make_member(Role.ASSESSOR, username="browser-autosave")
    organisation = assessor.memberships.get().organisation
    questionnaire = build_questionnaire(questions_per_factor=2)
    Question.objects.filter(factor__questionnaire=questionnaire, key="governance-q1").update(
        evidence={"signal": "inventory-completeness", "at_least": {"2": 0.5, "3": 0.8, "4": 0.95, "5": 0.99}}
    )
    for n in range(4):  # one of four models has its review date: 25 %, which supports at most level 1
        AIModel.objects.create(
            organisation=organisation,
            owner=assessor,
            name=f"model {n}",
            purpose="Scores applications.",
            next_review_due=datetime.date(2099, 1, 1) if n == 0 else None,
        )
    assessment = services.create_assessment(actor=assessor, organisation=organisation, title="Autosave")
    page = browser_login(assessor)
    page.goto(f"{live_server.url}/maturity/assessments/{assessment.pk}/factors/governance/")
    question = page.locator("#q-governance-q1")
    assert "supports at most level 1" in question.inner_text()
    assert question.locator(".evidence-flag").is_hidden()

    page.check("#id_governance-q1-level_3")
    assert question.locator(".evidence-flag").is_visible()
    expect(question.locator("[data-autosave-status]")).to_have_text("Saved")
    page.fill("#id_governance-q1-evidence_justification", "Reviews are tracked in the bank's GRC tool.")
    # Typing shows the banner at once; the save after the pause hides it again.
    expect(page.locator("#unsaved-answers")).to_be_hidden(timeout=10000)
    expect(question.locator("[data-autosave-status]")).to_have_text("Saved")
    saved = Answer.objects.get(assessment=assessment, question__key="governance-q1")
    assert saved.level == 3 and saved.evidence_justification == "Reviews are tracked in the bank's GRC tool."

    # N/A without a reason cannot be saved: the question says why, and leaving the page asks first.
    page.check("#id_governance-q2-not_applicable")
    expect(page.locator("#q-governance-q2 [data-autosave-status]")).to_contain_text("Not saved:")
    assert "does not apply" in page.inner_text("#q-governance-q2 [data-autosave-status]")
    assert page.locator("#unsaved-answers").is_visible()
    asked = []

    def stay(dialog):  # "stay on this page"; the click completes once the dialog is answered
        asked.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", stay)
    page.click("nav[aria-label='Factors'] a:has-text('Architecture')", no_wait_after=True)
    assert asked == ["beforeunload"]
    assert page.locator("h1").inner_text() == "Governance"

    page.fill("#id_governance-q2-not_applicable_reason", "No models of this kind")
    expect(page.locator("#q-governance-q2 [data-autosave-status]")).to_have_text("Saved")
    expect(page.locator("#unsaved-answers")).to_be_hidden()
    # Nothing left unsaved: moving on does not ask (an unhandled dialog would be dismissed and keep us here).
    page.click("nav[aria-label='Factors'] a:has-text('Architecture')")
    page.wait_for_selector("h1:has-text('Architecture')")
    assert Answer.objects.get(assessment=assessment, question__key="governance-q2").not_applicable
