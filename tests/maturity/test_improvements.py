"""Roadmap items adopted as improvement actions: owner, due date, status, and whether the level moved."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from governance.core.errors import ConflictError
from governance.core.roles import Role
from maturity import selectors, services
from maturity.models import ImprovementAction, ImprovementStatus, Question
from tests.maturity.conftest import answer

pytestmark = pytest.mark.django_db


def approved_assessment(organisation, assessor, executive, level=1, title="Q1 review"):
    assessment = services.create_assessment(actor=assessor, organisation=organisation, title=title)
    keys = Question.objects.filter(factor__questionnaire=assessment.questionnaire).values_list(
        "key", flat=True
    )
    services.save_answers(actor=assessor, assessment=assessment, answers=[answer(k, level) for k in keys])
    services.submit_assessment(actor=assessor, assessment=assessment)
    services.approve_assessment(actor=executive, assessment=assessment)
    return assessment


@pytest.fixture
def approved(questionnaire, organisation, assessor, executive):
    return approved_assessment(organisation, assessor, executive)


def in_a_month() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=30)


def test_adopting_a_roadmap_item_copies_it_and_audits(approved, executive, model_owner):
    item = selectors.assessment_result(approved).roadmap[0]

    action = services.adopt_roadmap_item(
        actor=executive,
        assessment=approved,
        question_key=item.question_key,
        owner=model_owner,
        due_date=in_a_month(),
    )

    assert (action.question_key, action.from_level, action.to_level) == (item.question_key, 1, 2)
    assert action.action == item.recommended_action and action.status == ImprovementStatus.PLANNED
    assert approved.organisation.audit_events.filter(action="improvement.adopt").exists()


def test_adoption_is_refused_for_a_draft_twice_an_outsider_owner_or_a_past_date(
    questionnaire, approved, organisation, assessor, executive, model_owner, outsider
):
    key = selectors.assessment_result(approved).roadmap[0].question_key
    draft = services.create_assessment(actor=assessor, organisation=organisation, title="Draft")
    with pytest.raises(ConflictError):
        services.adopt_roadmap_item(
            actor=executive, assessment=draft, question_key=key, owner=model_owner, due_date=in_a_month()
        )
    with pytest.raises(ValidationError) as refused:
        services.adopt_roadmap_item(
            actor=executive,
            assessment=approved,
            question_key="no-such-question",
            owner=outsider,
            due_date=timezone.localdate() - datetime.timedelta(days=1),
        )
    assert set(refused.value.message_dict) == {"owner", "due_date", "question"}
    services.adopt_roadmap_item(
        actor=executive, assessment=approved, question_key=key, owner=model_owner, due_date=in_a_month()
    )
    with pytest.raises(ConflictError):
        services.adopt_roadmap_item(
            actor=executive, assessment=approved, question_key=key, owner=model_owner, due_date=in_a_month()
        )


def test_only_the_owner_or_an_adopter_moves_an_action_on(approved, executive, model_owner, auditor):
    key = selectors.assessment_result(approved).roadmap[0].question_key
    action = services.adopt_roadmap_item(
        actor=executive, assessment=approved, question_key=key, owner=model_owner, due_date=in_a_month()
    )

    services.update_improvement_action(
        actor=model_owner, improvement=action, status=ImprovementStatus.IN_PROGRESS, note="Started"
    )
    with pytest.raises(PermissionDenied):
        services.update_improvement_action(actor=auditor, improvement=action, status=ImprovementStatus.DONE)

    action.refresh_from_db()
    assert (action.status, action.note) == (ImprovementStatus.IN_PROGRESS, "Started")


def test_the_next_approved_assessment_shows_whether_the_level_moved(
    approved, organisation, assessor, executive, model_owner
):
    key = selectors.assessment_result(approved).roadmap[0].question_key
    services.adopt_roadmap_item(
        actor=executive, assessment=approved, question_key=key, owner=model_owner, due_date=in_a_month()
    )
    assert selectors.improvement_actions(organisation).get().level_now is None

    approved_assessment(organisation, assessor, executive, level=2, title="Q2 review")

    action = selectors.improvement_actions(organisation).get()
    assert action.level_now == 2 and action.reassessed_on is not None


def test_results_page_groups_the_roadmap_by_horizon_and_adopts_an_item(
    approved, executive, model_owner, login, client
):
    login(executive)
    url = reverse("maturity:results", args=[approved.pk])
    body = client.get(url).content.decode()
    key = selectors.assessment_result(approved).roadmap[0].question_key

    assert "Priority is the factor&#x27;s gap to its target" in body
    assert "Within 6 months" in body
    response = client.post(
        reverse("maturity:adopt", args=[approved.pk, key]),
        {f"{key}-owner": model_owner.pk, f"{key}-due_date": in_a_month().isoformat()},
    )
    bad = client.post(reverse("maturity:adopt", args=[approved.pk, key]), {f"{key}-due_date": "soon"})

    assert response.status_code == 302
    assert ImprovementAction.objects.get(question_key=key).owner == model_owner
    assert (
        bad.status_code == 302 or bad.status_code == 400
    )  # adopted already: a conflict message, or form errors
    listing = client.get(reverse("maturity:action-list")).content.decode()
    assert "Not reassessed yet" in listing


def test_adopt_form_errors_are_shown_and_input_kept(approved, executive, login, client):
    login(executive)
    key = selectors.assessment_result(approved).roadmap[0].question_key

    response = client.post(
        reverse("maturity:adopt", args=[approved.pk, key]), {f"{key}-due_date": "2020-13-45"}
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in body and "Enter a valid date." in body
    assert 'value="2020-13-45"' in body


def test_another_organisations_action_answers_404(approved, executive, model_owner, outsider, login, client):
    key = selectors.assessment_result(approved).roadmap[0].question_key
    action = services.adopt_roadmap_item(
        actor=executive, assessment=approved, question_key=key, owner=model_owner, due_date=in_a_month()
    )
    login(outsider)

    response = client.post(
        reverse("maturity:action-update", args=[action.pk]), {f"action-{action.pk}-status": "done"}
    )

    assert response.status_code == 404


def test_an_assessor_may_adopt_but_an_auditor_may_not(approved, make_member, login, client, model_owner):
    auditor = make_member(Role.AUDITOR, username="reader")
    login(auditor)
    key = selectors.assessment_result(approved).roadmap[0].question_key

    response = client.post(
        reverse("maturity:adopt", args=[approved.pk, key]),
        {f"{key}-owner": model_owner.pk, f"{key}-due_date": in_a_month().isoformat()},
    )

    assert response.status_code == 403


def test_the_reassessment_shows_the_open_action_on_its_question(
    approved, organisation, assessor, executive, model_owner, login, client
):
    key = selectors.assessment_result(approved).roadmap[0].question_key
    services.adopt_roadmap_item(
        actor=executive, assessment=approved, question_key=key, owner=model_owner, due_date=in_a_month()
    )
    draft = services.create_assessment(actor=assessor, organisation=organisation, title="Q2 review")
    login(assessor)

    body = client.get(reverse("maturity:answer-factor", args=[draft.pk, key.split("-")[0]])).content.decode()

    assert "Improvement action adopted:" in body and "level 1 → 2, planned" in body


def test_owners_see_their_actions_on_home_and_in_the_reminder_digest(
    approved, executive, model_owner, organisation
):
    from governance.selectors.waiting import waiting_for
    from governance.services.reminders import collect_reminders

    key = selectors.assessment_result(approved).roadmap[0].question_key
    action = services.adopt_roadmap_item(
        actor=executive,
        assessment=approved,
        question_key=key,
        owner=model_owner,
        due_date=timezone.localdate() + datetime.timedelta(days=5),
    )

    waiting = {
        item.label: item.count for item in waiting_for(organisation, model_owner, timezone.localdate())
    }
    reminders = collect_reminders()[model_owner.pk]

    assert waiting["improvement action you own"] == 1
    assert [(r.kind_label, r.due) for r in reminders] == [("Improvement actions you own", action.due_date)]
    services.update_improvement_action(actor=model_owner, improvement=action, status=ImprovementStatus.DONE)
    assert model_owner.pk not in collect_reminders()
