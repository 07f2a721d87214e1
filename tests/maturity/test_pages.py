"""The maturity pages as a user meets them: what they show, who may act, and how many queries they cost."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.core.roles import Role
from maturity.models import Answer, Assessment, AssessmentStatus, MaturityTarget
from tests.factories import BusinessUnitFactory
from tests.maturity.page_fixtures import AssessmentFactory, answer_all, approved_history, build_questionnaire

pytestmark = pytest.mark.django_db

# Fixed costs of any page: session, user, memberships, plus the page's own reads. Never grows with data.
PAGE_QUERIES = 10


def figure(html: str, script_id: str) -> dict:
    match = re.search(rf'<script id="{script_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no {script_id} figure in the page"
    return json.loads(match.group(1))


# --- Dashboard ------------------------------------------------------------------------------------


def test_dashboard_shows_trend_of_approved_assessments(
    login, executive, organisation, questionnaire, django_assert_max_num_queries
):
    history = approved_history(organisation, questionnaire, count=3)
    AssessmentFactory(organisation=organisation, questionnaire=questionnaire, title="Draft not in trend")
    client = login(executive)
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(reverse("maturity:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Latest approved scores" in html
    assert history[-1].title in html
    assert "Draft not in trend" not in html
    trend = figure(html, "trend-data")
    overall = next(t for t in trend["data"] if t["name"] == "Overall")
    assert overall["y"] == [1.0, 2.0, 3.0]
    assert {t["name"] for t in trend["data"]} >= {"Overall", "Strategy", "Governance"}
    assert "vendor/plotly/plotly.min.js" in html and "cdn" not in html.lower()


def test_dashboard_without_approved_assessments_says_so(login, auditor, questionnaire):
    response = login(auditor).get(reverse("maturity:dashboard"))
    assert response.status_code == 200
    assert "No approved assessment yet" in response.content.decode()


def test_dashboard_requires_login(client):
    response = client.get(reverse("maturity:dashboard"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- Assessment list and creation -------------------------------------------------------------------


def test_assessment_list_shows_progress_and_prefilled_new_form(
    login, assessor, organisation, assessment, django_assert_max_num_queries
):
    MaturityTarget.objects.create(organisation=organisation, factor_key="strategy", target_level=4.5)
    first_question = assessment.questionnaire.factors.first().questions.first()
    Answer.objects.create(assessment=assessment, question=first_question, level=2)
    client = login(assessor)
    with django_assert_max_num_queries(PAGE_QUERIES + 1):  # + the page count of the paginated list
        response = client.get(reverse("maturity:assessment-list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Q3 maturity review" in html
    assert "1/10 (10%)" in html
    assert "New assessment" in html
    assert 'name="target_strategy"' in html and 'value="4.5"' in html
    assert 'name="target_governance"' in html and 'value="3.0"' in html


@pytest.mark.parametrize("count", [2, 60])
def test_the_assessment_list_pages_its_history_in_the_same_queries(
    count, login, assessor, organisation, questionnaire, django_assert_max_num_queries
):
    from maturity.models import Assessment

    Assessment.objects.bulk_create(
        [
            Assessment(organisation=organisation, questionnaire=questionnaire, title=f"Review {n:03d}")
            for n in range(count)
        ]
    )
    client = login(assessor)
    with django_assert_max_num_queries(PAGE_QUERIES + 1):
        response = client.get(reverse("maturity:assessment-list"))
    html = response.content.decode()
    import re

    assert len(re.findall(r'href="/maturity/assessments/\d+/"', html)) == min(count, 25)
    if count > 25:
        assert "Page 1 of 3" in html and "Review 059" in html and "Review 000" not in html


def test_assessment_list_hides_new_form_from_executive_and_other_orgs(
    login, executive, outsider, assessment, other_organisation, questionnaire
):
    AssessmentFactory(organisation=other_organisation, questionnaire=questionnaire, title="Their review")
    html = login(executive).get(reverse("maturity:assessment-list")).content.decode()
    assert "Q3 maturity review" in html and "Their review" not in html
    assert "New assessment" not in html
    html = login(outsider).get(reverse("maturity:assessment-list")).content.decode()
    assert "Their review" in html and "Q3 maturity review" not in html


def test_assessor_creates_assessment_with_targets(login, assessor, organisation, questionnaire):
    unit = BusinessUnitFactory(organisation=organisation, name="Payments")
    data = {"title": "Autumn review", "business_unit": unit.pk}
    data |= {f"target_{f.key}": "4" for f in questionnaire.factors.all()}
    response = login(assessor).post(reverse("maturity:assessment-list"), data)
    assessment = Assessment.objects.get(title="Autumn review")
    assert response.status_code == 302
    assert response["Location"] == reverse("maturity:assessment-detail", args=[assessment.pk])
    assert assessment.business_unit == unit
    assert assessment.targets["strategy"] == 4.0


def test_new_assessment_with_bad_target_keeps_input(login, assessor, questionnaire):
    data = {"title": "Autumn review"} | {f"target_{f.key}": "3" for f in questionnaire.factors.all()}
    data["target_strategy"] = "9"
    response = login(assessor).post(reverse("maturity:assessment-list"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Autumn review"' in html
    assert "less than or equal to 5" in html
    assert not Assessment.objects.filter(title="Autumn review").exists()


def test_auditor_may_not_create_assessment(login, auditor, questionnaire):
    data = {"title": "Sneaky"} | {f"target_{f.key}": "3" for f in questionnaire.factors.all()}
    response = login(auditor).post(reverse("maturity:assessment-list"), data)
    assert response.status_code == 403
    assert not Assessment.objects.filter(title="Sneaky").exists()


# --- Assessment detail ------------------------------------------------------------------------------


def test_detail_shows_progress_factor_links_and_submit_for_assessor(
    login, assessor, assessment, django_assert_max_num_queries
):
    answer_all(assessment, 3)
    Answer.objects.filter(assessment=assessment, question__factor__key="governance").delete()
    client = login(assessor)
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(reverse("maturity:assessment-detail", args=[assessment.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "8 of 10 questions answered" in html
    assert reverse("maturity:answer-factor", args=[assessment.pk, "governance"]) in html
    # Not offered before every question is answered (issue 14: submitting at 0 % was offered, then refused).
    assert 'disabled aria-describedby="submit-when">Submit for approval</button>' in html
    assert "(8 of 10 so far)" in html
    assert "Approve" not in html.replace("approval", "")

    Answer.objects.filter(assessment=assessment).delete()
    answer_all(assessment, 3)
    html = client.get(reverse("maturity:assessment-detail", args=[assessment.pk])).content.decode()
    assert '<button type="submit" class="primary">Submit for approval</button>' in html


def test_detail_shows_approve_and_return_to_executive_when_submitted(login, executive, assessor, assessment):
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_by = assessor
    assessment.submitted_at = timezone.now()
    assessment.save()
    html = login(executive).get(reverse("maturity:assessment-detail", args=[assessment.pk])).content.decode()
    assert ">Approve</button>" in html
    assert "Return to assessor" in html
    assert "Submit for approval" not in html


def test_detail_of_other_organisation_is_404(login, outsider, assessment):
    response = login(outsider).get(reverse("maturity:assessment-detail", args=[assessment.pk]))
    assert response.status_code == 404


def test_submit_and_approve_through_the_pages(login, assessor, make_member, assessment):
    answer_all(assessment, 2)
    response = login(assessor).post(reverse("maturity:submit", args=[assessment.pk]), follow=True)
    assert "Assessment submitted" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED

    approver = make_member(Role.EXECUTIVE, username="approver")
    response = login(approver).post(reverse("maturity:approve", args=[assessment.pk]), follow=True)
    assert "Assessment approved" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.APPROVED


def test_auditor_may_not_approve(login, auditor, assessor, assessment):
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_by = assessor
    assessment.save()
    response = login(auditor).post(reverse("maturity:approve", args=[assessment.pk]))
    assert response.status_code == 403
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED


def test_return_needs_a_reason_and_reaches_the_assessor(login, executive, assessor, assessment):
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_by = assessor
    assessment.save()
    client = login(executive)
    response = client.post(reverse("maturity:return", args=[assessment.pk]), {"reason": ""})
    assert response.status_code == 400 and "Give a reason" in response.content.decode()
    # A reason the form refuses (a NUL byte) comes back as typed, beside its error.
    response = client.post(
        reverse("maturity:return", args=[assessment.pk]), {"reason": "Evidence\x00 missing"}
    )
    assert response.status_code == 400 and "Null characters are not allowed" in response.content.decode()
    assert "Evidence" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED
    client.post(reverse("maturity:return", args=[assessment.pk]), {"reason": "Evidence missing for MLOps"})
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT
    html = login(assessor).get(reverse("maturity:assessment-detail", args=[assessment.pk])).content.decode()
    assert "Evidence missing for MLOps" in html


# --- Answering a factor -----------------------------------------------------------------------------


def _factor_url(assessment, key="strategy"):
    return reverse("maturity:answer-factor", args=[assessment.pk, key])


def test_factor_page_shows_six_descriptors_per_question(
    login, assessor, assessment, django_assert_max_num_queries
):
    client = login(assessor)
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(_factor_url(assessment))
    assert response.status_code == 200
    html = response.content.decode()
    assert "How mature is strategy-q1?" in html and "How mature is strategy-q2?" in html
    for level in range(6):
        assert f"strategy-q1: level {level}" in html
    assert html.count('type="radio"') == 12
    assert "0 of 10 questions answered" in html
    assert 'name="strategy-q1-not_applicable"' in html


def test_factor_page_saves_answers_and_moves_on(login, assessor, assessment):
    data = {
        "strategy-q1-level": "3",
        "strategy-q1-comment": "Quarterly review",
        "strategy-q1-evidence_links": "https://wiki.example/ml-strategy\n\nhttps://wiki.example/kpis\n",
        "strategy-q2-not_applicable": "on",
        "strategy-q2-not_applicable_reason": "No ML portfolio yet",
    }
    response = login(assessor).post(_factor_url(assessment), data)
    assert response.status_code == 302
    assert response["Location"] == _factor_url(assessment, "architecture")
    first = Answer.objects.get(assessment=assessment, question__key="strategy-q1")
    assert first.level == 3
    assert first.evidence_links == ["https://wiki.example/ml-strategy", "https://wiki.example/kpis"]
    second = Answer.objects.get(assessment=assessment, question__key="strategy-q2")
    assert second.not_applicable and second.not_applicable_reason == "No ML portfolio yet"
    html = login(assessor).get(_factor_url(assessment)).content.decode()
    assert "2 of 10 questions answered" in html
    assert 'value="3" checked' in html


def test_factor_page_validation_error_keeps_input_and_saves_nothing(login, assessor, assessment):
    data = {
        "strategy-q1-level": "4",
        "strategy-q1-comment": "Keep this comment",
        # N/A needs a reason: the service refuses it, and so nothing on the page is saved.
        "strategy-q2-not_applicable": "on",
        "strategy-q2-comment": "Second comment kept",
    }
    response = login(assessor).post(_factor_url(assessment), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert "Keep this comment" in html and "Second comment kept" in html
    assert 'value="4" checked' in html
    # The error sits inside the second question's fieldset, not the first.
    q1 = html.split('id="q-strategy-q1"')[1].split("</fieldset>")[0]
    q2 = html.split('id="q-strategy-q2"')[1].split("</fieldset>")[0]
    assert 'role="alert"' not in q1
    assert 'role="alert"' in q2
    assert not Answer.objects.filter(assessment=assessment).exists()


def test_factor_page_is_read_only_once_submitted(login, assessor, assessment):
    answer_all(assessment, 2)
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_by = assessor
    assessment.save()
    client = login(assessor)
    html = client.get(_factor_url(assessment)).content.decode()
    assert "read-only" in html
    assert 'type="radio"' not in html
    assert "✔ 2 — Repeatable" in html
    response = client.post(_factor_url(assessment), {"strategy-q1-level": "5"})
    assert response.status_code == 302
    assert Answer.objects.get(assessment=assessment, question__key="strategy-q1").level == 2


def test_factor_page_denials(login, auditor, outsider, assessment):
    html = login(auditor).get(_factor_url(assessment)).content.decode()
    assert 'type="radio"' not in html
    assert login(auditor).post(_factor_url(assessment), {"strategy-q1-level": "3"}).status_code == 403
    assert login(outsider).get(_factor_url(assessment)).status_code == 404
    assert login(auditor).get(_factor_url(assessment, "no-such-factor")).status_code == 404


# --- Results ------------------------------------------------------------------------------------------


def _results_dataset(organisation, assessor, questions_per_factor: int, history: int) -> Assessment:
    questionnaire = build_questionnaire(questions_per_factor=questions_per_factor)
    approved_history(organisation, questionnaire, count=history)
    current = AssessmentFactory(
        organisation=organisation,
        questionnaire=questionnaire,
        title="Current review",
        targets={"strategy": 4.0, "architecture": 3.0, "modeling": 4.0, "processes": 3.0, "governance": 5.0},
        created_by=assessor,
    )
    answer_all(current, 3)
    return current


@pytest.mark.parametrize(("questions_per_factor", "history"), [(2, 1), (12, 6)])
def test_results_page_charts_roadmap_and_change_with_constant_queries(
    login, assessor, organisation, questions_per_factor, history, django_assert_max_num_queries
):
    current = _results_dataset(organisation, assessor, questions_per_factor, history)
    client = login(assessor)
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(reverse("maturity:results", args=[current.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    radar = figure(html, "radar-data")
    assert [t["name"] for t in radar["data"]] == ["Target", "Current"]
    assert radar["data"][1]["r"][:5] == [3.0] * 5
    gap = figure(html, "gap-data")
    assert gap["data"][0]["x"] == ["Strategy", "Architecture", "Modeling", "Processes", "Governance"]
    assert gap["data"][0]["y"] == [1.0, 0.0, 1.0, 0.0, 2.0]
    # Governance has the largest gap, so its questions lead the roadmap.
    roadmap = html.split('id="roadmap-heading"')[1]
    assert roadmap.index("Governance question 1?") < roadmap.index("Strategy question 1?")
    assert "Governance q1 descriptor for level 4" in roadmap
    previous_level = 1 + (history - 1) % 4
    assert "change since" in html
    change = 3 - previous_level
    assert f"{'+' if change > 0 else ''}{change:.2f}" in html
    assert f"{questions_per_factor * 5} of {questions_per_factor * 5} questions answered" in html


@pytest.mark.parametrize(("questions_per_factor", "members"), [(2, 1), (12, 8)])
def test_results_page_with_adopt_forms_has_constant_queries(
    login, assessor, organisation, questions_per_factor, members, django_assert_max_num_queries
):
    """An approved assessment offers an adopt form per roadmap item; the owner list is read once, not per form."""
    from tests.factories import MembershipFactory

    current = _results_dataset(organisation, assessor, questions_per_factor, history=1)
    Assessment.objects.filter(pk=current.pk).update(
        status=AssessmentStatus.APPROVED, approved_at=timezone.now()
    )
    for _ in range(members):
        MembershipFactory(organisation=organisation, role=Role.MODEL_OWNER)
    client = login(assessor)
    with django_assert_max_num_queries(PAGE_QUERIES + 1):  # + the actions already adopted
        response = client.get(reverse("maturity:results", args=[current.pk]))
    html = response.content.decode()
    forms = html.count('class="adopt"')
    assert forms == questions_per_factor * 3  # strategy, modeling and governance are below target
    assert html.count(f'<option value="{assessor.pk}">') == forms


def test_results_page_denials(login, outsider, assessment):
    assert login(outsider).get(reverse("maturity:results", args=[assessment.pk])).status_code == 404


def test_results_without_previous_assessment(login, auditor, assessment):
    html = login(auditor).get(reverse("maturity:results", args=[assessment.pk])).content.decode()
    assert "No earlier approved assessment" in html
    assert figure(html, "radar-data")["data"]


# --- Comparison ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("units", [1, 4])
def test_compare_heatmap_of_units_by_factor(
    login, executive, organisation, questionnaire, units, django_assert_max_num_queries
):
    for i in range(units):
        unit = BusinessUnitFactory(organisation=organisation, name=f"Unit {chr(65 + i)}")
        approved_history(organisation, questionnaire, count=2, business_unit=unit)
    client = login(executive)
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(reverse("maturity:compare"))
    assert response.status_code == 200
    html = response.content.decode()
    heatmap = figure(html, "heatmap-data")["data"][0]
    assert heatmap["type"] == "heatmap"
    assert heatmap["y"] == [f"Unit {chr(65 + i)}" for i in range(units)]
    assert heatmap["x"][0] == "Strategy"
    # Latest approved per unit is the second (level 2), not the first (level 1).
    assert heatmap["z"][0] == [2.0] * 5


def test_compare_is_empty_for_other_organisation(login, outsider, organisation, questionnaire):
    unit = BusinessUnitFactory(organisation=organisation, name="Secret unit")
    approved_history(organisation, questionnaire, count=1, business_unit=unit)
    html = login(outsider).get(reverse("maturity:compare")).content.decode()
    assert "Secret unit" not in html
    assert "No business unit has an approved assessment yet" in html


def test_dashboard_trend_of_one_business_unit(login, executive, organisation, questionnaire):
    unit = BusinessUnitFactory(organisation=organisation, name="Payments")
    approved_history(organisation, questionnaire, count=2, business_unit=unit)
    client = login(executive)
    html = client.get(reverse("maturity:dashboard")).content.decode()
    assert "No approved assessment yet" in html
    html = client.get(reverse("maturity:dashboard"), {"unit": unit.pk}).content.decode()
    assert "Q2 review Payments" in html
    assert figure(html, "trend-data")["data"][-1]["y"] == [1.0, 2.0]
    assert client.get(reverse("maturity:dashboard"), {"unit": "nonsense"}).status_code == 200


def test_factor_page_rejects_out_of_range_level_next_to_question(login, assessor, assessment):
    response = login(assessor).post(
        _factor_url(assessment), {"strategy-q2-level": "9", "strategy-q2-comment": "x"}
    )
    assert response.status_code == 400
    q2 = response.content.decode().split('id="q-strategy-q2"')[1].split("</fieldset>")[0]
    assert "Select a valid choice" in q2
    assert not Answer.objects.filter(assessment=assessment).exists()
