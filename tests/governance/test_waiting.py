""" "Waiting for you" on the home page: per person and role, counted in one query, linking to the work."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.models import AIModel, ApprovalKind, ApprovalRequest, Risk
from governance.selectors.waiting import waiting_for
from maturity import services as maturity_services
from maturity.models import Question
from tests.maturity.page_fixtures import build_questionnaire

pytestmark = pytest.mark.django_db


def labels(organisation, user) -> dict[str, int]:
    return {item.label: item.count for item in waiting_for(organisation, user, timezone.localdate())}


def test_each_role_sees_what_it_may_act_on(organisation, executive, assessor, model_owner, risk_officer):
    today = timezone.localdate()
    model = AIModel.objects.create(
        organisation=organisation, owner=model_owner, name="Credit", purpose="p", next_review_due=today
    )
    ApprovalRequest.objects.create(
        organisation=organisation,
        model=model,
        kind=ApprovalKind.STAGE_CHANGE,
        requested_stage="production",
        requested_by=model_owner,
    )
    Risk.objects.create(
        organisation=organisation,
        model=model,
        title="Drift",
        category="robustness",
        likelihood=2,
        impact=2,
        owner=model_owner,
        due_date=today + datetime.timedelta(days=3),
    )
    build_questionnaire()
    assessment = maturity_services.create_assessment(actor=assessor, organisation=organisation, title="Q4")
    keys = Question.objects.filter(factor__questionnaire=assessment.questionnaire).values_list(
        "key", flat=True
    )
    maturity_services.save_answers(
        actor=assessor, assessment=assessment, answers=[{"question": k, "level": 2} for k in keys]
    )
    maturity_services.submit_assessment(actor=assessor, assessment=assessment)

    assert labels(organisation, executive) == {
        "assessment waiting for your approval": 1,
        "approval request you may decide": 1,
    }
    # The owner requested the approval and owns the model: not theirs to decide; their review and risk are.
    assert labels(organisation, model_owner) == {
        "model review of yours due within 30 days or overdue": 1,
        "risk treatment of yours due soon or overdue": 1,
    }
    # The assessor submitted it: someone else approves it.
    assert labels(organisation, assessor) == {}
    maturity_services.create_assessment(actor=assessor, organisation=organisation, title="Q1")
    assert labels(organisation, assessor) == {"draft assessment to complete and submit": 1}
    assert labels(organisation, risk_officer) == {"approval request you may decide": 1}


def test_home_page_shows_waiting_for_you_with_links(organisation, executive, login, client):
    build_questionnaire()
    login(executive)

    body = client.get(reverse("home")).content.decode()

    assert "Waiting for you" in body and "Nothing is waiting for you." in body
