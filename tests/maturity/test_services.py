"""Assessment services: the draft → submitted → approved workflow, validation, separation of duties, audit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from governance.core.audit import verify_chain
from governance.core.errors import ConflictError
from governance.core.roles import Role
from governance.models import AuditEvent
from maturity import selectors, services
from maturity.models import Answer, AssessmentStatus, MaturityTarget
from tests.factories import BusinessUnitFactory
from tests.maturity.conftest import FACTOR_KEYS, answer

pytestmark = pytest.mark.django_db


def actions(organisation) -> list[str]:
    return list(
        AuditEvent.objects.filter(organisation=organisation)
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def test_create_assessment_uses_current_questionnaire_and_default_targets(
    assessment, questionnaire, organisation
):
    assert assessment.status == AssessmentStatus.DRAFT
    assert assessment.questionnaire == questionnaire
    assert assessment.targets == dict.fromkeys(FACTOR_KEYS, 3.0)
    assert not Answer.objects.filter(assessment=assessment).exists()
    assert actions(organisation) == ["assessment.create"]


def test_create_assessment_copies_organisation_targets_and_takes_overrides(
    questionnaire, organisation, assessor, admin_user_member, business_unit
):
    services.set_organisation_targets(
        actor=admin_user_member, organisation=organisation, targets={"strategy": 4.5, "governance": 4}
    )
    assert MaturityTarget.objects.get(organisation=organisation, factor_key="strategy").target_level == 4.5
    created = services.create_assessment(
        actor=assessor,
        organisation=organisation,
        title="Retail review",
        business_unit=business_unit,
        targets={"governance": 2},
    )
    assert created.targets["strategy"] == 4.5
    assert created.targets["governance"] == 2.0
    assert created.targets["modeling"] == 3.0
    assert created.business_unit == business_unit


def test_create_assessment_refuses_bad_input(questionnaire, organisation, other_organisation, assessor):
    foreign_unit = BusinessUnitFactory(organisation=other_organisation)
    with pytest.raises(ValidationError) as exc:
        services.create_assessment(
            actor=assessor,
            organisation=organisation,
            title=" ",
            business_unit=foreign_unit,
            targets={"strategy": 7, "nonsense": 1},
        )
    errors = exc.value.message_dict
    assert set(errors) == {"title", "business_unit", "strategy", "nonsense"}


def test_create_assessment_checks_role_and_membership(questionnaire, organisation, executive, outsider):
    with pytest.raises(PermissionDenied):
        services.create_assessment(actor=executive, organisation=organisation, title="x")
    with pytest.raises(Http404):
        services.create_assessment(actor=outsider, organisation=organisation, title="x")


def test_only_admins_set_organisation_targets(questionnaire, organisation, assessor, admin_user_member):
    with pytest.raises(PermissionDenied):
        services.set_organisation_targets(actor=assessor, organisation=organisation, targets={"strategy": 4})
    with pytest.raises(ValidationError) as exc:
        services.set_organisation_targets(
            actor=admin_user_member, organisation=organisation, targets={"strategy": -1}
        )
    assert "strategy" in exc.value.message_dict


def test_save_answers_upserts_and_scores(assessment, assessor):
    saved = services.save_answers(
        actor=assessor,
        assessment=assessment,
        answers=[
            answer(
                "strategy-q1", 4, comment="Roadmap approved by the board", evidence_links=["https://wiki/x"]
            ),
            answer("strategy-q2", 2),
        ],
    )
    assert saved == 2
    services.save_answers(actor=assessor, assessment=assessment, answers=[answer("strategy-q2", 3)])
    assert Answer.objects.filter(assessment=assessment).count() == 2
    first = Answer.objects.get(assessment=assessment, question__key="strategy-q1")
    assert first.evidence_links == ["https://wiki/x"]
    assert first.answered_by == assessor
    result = selectors.assessment_result(assessment)
    strategy = next(f for f in result.factors if f.key == "strategy")
    assert strategy.score == pytest.approx(3.5)
    assert (result.answered, result.total) == (2, 10)


def test_unchanged_answers_are_not_saved_again(assessment, assessor):
    services.save_answers(actor=assessor, assessment=assessment, answers=[answer("strategy-q1", 4)])
    assert (
        services.save_answers(actor=assessor, assessment=assessment, answers=[answer("strategy-q1", 4)]) == 0
    )
    assert actions(assessment.organisation).count("assessment.answer") == 1


def test_invalid_answers_save_nothing_and_are_keyed_by_question(assessment, assessor):
    with pytest.raises(ValidationError) as exc:
        services.save_answers(
            actor=assessor,
            assessment=assessment,
            answers=[
                answer("strategy-q1", 3),  # valid, but must not be saved either
                answer("strategy-q2", 7),
                answer("modeling-q1", None, not_applicable=True),
                answer("modeling-q2", 2, not_applicable=True, not_applicable_reason="No models yet"),
                answer("no-such-question", 1),
            ],
        )
    errors = exc.value.message_dict
    assert set(errors) == {"strategy-q2", "modeling-q1", "modeling-q2", "no-such-question"}
    assert "between 0 and 5" in errors["strategy-q2"][0]
    assert "reason" in errors["modeling-q1"][0]
    assert not Answer.objects.filter(assessment=assessment).exists()
    assert "assessment.answer" not in actions(assessment.organisation)


def test_na_with_a_reason_is_accepted_and_leaves_the_score_alone(assessment, assessor):
    services.save_answers(
        actor=assessor,
        assessment=assessment,
        answers=[
            answer("modeling-q1", 2),
            answer("modeling-q2", None, not_applicable=True, not_applicable_reason="No GPUs"),
        ],
    )
    modeling = next(f for f in selectors.assessment_result(assessment).factors if f.key == "modeling")
    assert modeling.score == 2.0
    assert modeling.answered == 2


def test_roles_that_may_not_edit_cannot_answer(assessment, make_member):
    for role in (Role.EXECUTIVE, Role.AUDITOR, Role.MODEL_OWNER):
        with pytest.raises(PermissionDenied):
            services.save_answers(
                actor=make_member(role), assessment=assessment, answers=[answer("strategy-q1", 1)]
            )


def test_submit_requires_every_question_answered(assessment, assessor):
    services.save_answers(actor=assessor, assessment=assessment, answers=[answer("strategy-q1", 3)])
    with pytest.raises(ValidationError) as exc:
        services.submit_assessment(actor=assessor, assessment=assessment)
    message = exc.value.message_dict["answers"][0]
    assert message.startswith("9 questions are not answered")
    # Named as the factor page numbers them, with their text (the fixture's text quotes the key).
    assert (
        ": Strategy 2 (How mature is strategy-q2?); Architecture 1 (How mature is architecture-q1?);"
        in message
    )
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT


def test_full_workflow_with_snapshot_and_audit(assessment, assessor, executive, answer_all):
    answer_all(assessor, assessment, level=2)
    services.submit_assessment(actor=assessor, assessment=assessment)
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert assessment.submitted_by == assessor and assessment.submitted_at is not None
    assert assessment.overall_score == pytest.approx(2.0)
    assert assessment.factor_scores == dict.fromkeys(FACTOR_KEYS, 2.0)

    services.approve_assessment(actor=executive, assessment=assessment)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.APPROVED
    assert assessment.approved_by == executive and assessment.approved_at is not None
    assert actions(assessment.organisation) == [
        "assessment.create",
        "assessment.answer",
        "assessment.submit",
        "assessment.approve",
    ]
    assert verify_chain(assessment.organisation) == []


def test_approved_assessments_are_read_only(assessment, assessor, executive, answer_all):
    answer_all(assessor, assessment)
    services.submit_assessment(actor=assessor, assessment=assessment)
    services.approve_assessment(actor=executive, assessment=assessment)
    with pytest.raises(ConflictError, match="approved"):
        services.save_answers(actor=assessor, assessment=assessment, answers=[answer("strategy-q1", 5)])
    with pytest.raises(ConflictError):
        services.update_targets(actor=assessor, assessment=assessment, targets={"strategy": 5})
    with pytest.raises(ConflictError):
        services.submit_assessment(actor=assessor, assessment=assessment)
    with pytest.raises(ConflictError):
        services.return_assessment(actor=executive, assessment=assessment, reason="Redo")
    with pytest.raises(ConflictError):
        services.approve_assessment(actor=executive, assessment=assessment)
    assert Answer.objects.get(assessment=assessment, question__key="strategy-q1").level == 3


def test_submitted_assessment_cannot_be_answered(assessment, assessor, answer_all):
    answer_all(assessor, assessment)
    services.submit_assessment(actor=assessor, assessment=assessment)
    with pytest.raises(ConflictError, match="submitted"):
        services.save_answers(actor=assessor, assessment=assessment, answers=[answer("strategy-q1", 5)])


def test_the_submitter_may_not_approve(assessment, admin_user_member, answer_all):
    answer_all(admin_user_member, assessment)
    services.submit_assessment(actor=admin_user_member, assessment=assessment)
    with pytest.raises(PermissionDenied, match="Separation of duties"):
        services.approve_assessment(actor=admin_user_member, assessment=assessment)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED


def test_assessor_may_not_approve(assessment, assessor, make_member, answer_all):
    answer_all(assessor, assessment)
    other_assessor = make_member(Role.ASSESSOR)
    services.submit_assessment(actor=assessor, assessment=assessment)
    with pytest.raises(PermissionDenied):
        services.approve_assessment(actor=other_assessor, assessment=assessment)


def test_return_needs_a_reason_and_goes_back_to_draft(assessment, assessor, executive, answer_all):
    answer_all(assessor, assessment)
    services.submit_assessment(actor=assessor, assessment=assessment)
    with pytest.raises(ValidationError) as exc:
        services.return_assessment(actor=executive, assessment=assessment, reason="  ")
    assert "reason" in exc.value.message_dict
    services.return_assessment(actor=executive, assessment=assessment, reason="Evidence missing for strategy")
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT
    assert assessment.returned_reason == "Evidence missing for strategy"
    assert (
        services.save_answers(actor=assessor, assessment=assessment, answers=[answer("strategy-q1", 4)]) == 1
    )
    assert actions(assessment.organisation)[-2:] == ["assessment.return", "assessment.answer"]


def test_update_targets_validates_and_audits(assessment, assessor):
    with pytest.raises(ValidationError) as exc:
        services.update_targets(actor=assessor, assessment=assessment, targets={"strategy": 6, "modeling": 4})
    assert set(exc.value.message_dict) == {"strategy"}
    assessment.refresh_from_db()
    assert assessment.targets["modeling"] == 3.0
    services.update_targets(actor=assessor, assessment=assessment, targets={"modeling": 4})
    assessment.refresh_from_db()
    assert assessment.targets["modeling"] == 4.0
    assert actions(assessment.organisation)[-1] == "assessment.targets"


def _approved(assessor, executive, organisation, answer_all, level, unit=None, title="A"):
    created = services.create_assessment(
        actor=assessor, organisation=organisation, title=title, business_unit=unit
    )
    answer_all(assessor, created, level=level)
    services.submit_assessment(actor=assessor, assessment=created)
    return services.approve_assessment(actor=executive, assessment=created)


def test_trend_previous_and_unit_comparison(
    questionnaire, organisation, business_unit, assessor, executive, answer_all, django_assert_max_num_queries
):
    first = _approved(assessor, executive, organisation, answer_all, 1, title="First")
    second = _approved(assessor, executive, organisation, answer_all, 3, title="Second")
    unit = _approved(assessor, executive, organisation, answer_all, 4, unit=business_unit, title="Unit")
    draft = services.create_assessment(actor=assessor, organisation=organisation, title="Draft")

    assert [a.title for a in selectors.trend(organisation)] == ["First", "Second"]
    assert [a.title for a in selectors.trend(organisation, business_unit)] == ["Unit"]
    assert selectors.previous_approved(second) == first
    assert selectors.previous_approved(first) is None
    assert selectors.previous_approved(draft) == second
    assert selectors.previous_approved(unit) is None

    comparison = selectors.unit_comparison(organisation)
    assert comparison["units"] == [f"{organisation.name} (all units)", business_unit.name]
    assert [f["key"] for f in comparison["factors"]] == list(FACTOR_KEYS)
    assert comparison["scores"] == [[3.0] * 5, [4.0] * 5]
    assert comparison["overall"] == [3.0, 4.0]

    with django_assert_max_num_queries(3):
        selectors.assessment_result(second)
