"""An assessor's journey in a real browser: create, answer, submit; an executive approves; the radar renders."""

import pytest

from governance.core.roles import Role
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
    page.click("button:has-text('Save Strategy')")
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


def test_leaving_a_factor_with_unsaved_answers_asks_first(browser_login, live_server, make_member):
    """Issue 14: choosing answers and then clicking the next factor discarded them without a word."""
    assessor = make_member(Role.ASSESSOR, username="browser-unsaved")
    build_questionnaire(questions_per_factor=2)
    assessment = services.create_assessment(
        actor=assessor, organisation=assessor.memberships.get().organisation, title="Unsaved"
    )
    page = browser_login(assessor)
    page.goto(f"{live_server.url}/maturity/assessments/{assessment.pk}/factors/strategy/")
    assert page.locator("#unsaved-answers").is_hidden()
    page.check("#id_strategy-q1-level_3")
    assert page.locator("#unsaved-answers").is_visible()

    asked = []

    def stay(dialog):  # "stay on this page"; the click completes once the dialog is answered
        asked.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", stay)
    page.click("nav[aria-label='Factors'] a:has-text('Architecture')", no_wait_after=True)
    assert asked == ["beforeunload"]

    assert page.locator("h1").inner_text() == "Strategy" and page.is_checked("#id_strategy-q1-level_3")
    # Saving does not ask (an unhandled dialog would be dismissed, and the page would stay on Strategy).
    page.click("button:has-text('Save Strategy')")
    page.wait_for_selector("h1:has-text('Architecture')")
    assert Answer.objects.get(assessment=assessment, question__key="strategy-q1").level == 3
