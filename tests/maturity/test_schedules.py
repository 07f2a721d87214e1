"""Scheduled reassessments: schedule setup, idempotent runs, prefilled answers that must be confirmed."""

import datetime
import json

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django_celery_beat.models import PeriodicTask

from governance.core.roles import Role
from maturity import services
from maturity.models import Answer, Assessment, AssessmentStatus
from tests.maturity.conftest import answer
from tests.maturity.schedule_helpers import saved_schedule

pytestmark = pytest.mark.django_db

NOV = datetime.date(2026, 11, 23)


@pytest.fixture
def schedule(questionnaire, organisation, admin_user_member):
    return saved_schedule(admin_user_member, organisation, frequency="monthly")


@pytest.fixture
def approved(assessment, assessor, executive, answer_all):
    answer_all(assessor, assessment, level=4)
    services.submit_assessment(actor=assessor, assessment=assessment)
    return services.approve_assessment(actor=executive, assessment=assessment)


def test_save_schedule_creates_periodic_task_with_crontab(questionnaire, organisation, admin_user_member):
    schedule = saved_schedule(admin_user_member, organisation, frequency="quarterly")
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert task.task == "maturity.tasks.run_reassessment"
    assert json.loads(task.kwargs) == {"schedule_id": schedule.pk}
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_month) == ("0", "6", "1")
    assert task.crontab.month_of_year == "1,4,7,10"
    assert task.enabled
    # Updating keeps one task and switches its crontab.
    saved_schedule(admin_user_member, organisation, frequency="yearly", active=False)
    task.refresh_from_db()
    assert PeriodicTask.objects.filter(name__startswith="maturity-reassessment-").count() == 1
    assert task.crontab.month_of_year == "1" and not task.enabled


@pytest.mark.parametrize("role", [Role.ASSESSOR, Role.EXECUTIVE])
def test_only_admins_manage_schedules(make_member, organisation, role):
    with pytest.raises(PermissionDenied):
        saved_schedule(make_member(role), organisation, frequency="monthly")


def test_bad_frequency_is_a_field_error(organisation, admin_user_member):
    with pytest.raises(ValidationError) as error:
        saved_schedule(admin_user_member, organisation, frequency="daily")
    assert "frequency" in error.value.message_dict


def test_run_twice_in_a_period_creates_one_draft_and_one_email_each(
    schedule, approved, assessor, make_member, django_capture_on_commit_callbacks
):
    second_assessor = make_member(Role.ASSESSOR)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.run_reassessment(schedule, today=NOV)
        again = services.run_reassessment(schedule, today=NOV.replace(day=28))
    assert first is not None and again is None
    drafts = Assessment.objects.filter(status=AssessmentStatus.DRAFT)
    assert list(drafts) == [first]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([assessor.email, second_assessor.email])
    assert f"/assessments/{first.pk}/" in mail.outbox[0].body

    with django_capture_on_commit_callbacks(execute=True):
        next_month = services.run_reassessment(schedule, today=datetime.date(2026, 12, 1))
    assert next_month is not None and next_month != first
    assert len(mail.outbox) == 4


def test_prefilled_answers_are_carried_over_and_must_be_confirmed(schedule, approved, assessor):
    draft = services.run_reassessment(schedule, today=NOV)
    answers = list(Answer.objects.filter(assessment=draft))
    assert answers and all(a.needs_confirmation and a.level == 4 for a in answers)
    assert len(answers) == approved.answers.count()

    with pytest.raises(ValidationError) as error:
        services.submit_assessment(actor=assessor, assessment=draft)
    assert "confirmed" in error.value.message_dict["answers"][0]

    keys = [a.question.key for a in answers]
    services.save_answers(actor=assessor, assessment=draft, answers=[answer(k, 4) for k in keys])
    assert not Answer.objects.filter(assessment=draft, needs_confirmation=True).exists()
    services.submit_assessment(actor=assessor, assessment=draft)
    draft.refresh_from_db()
    assert draft.status == AssessmentStatus.SUBMITTED


def test_task_runs_the_service(schedule, approved):
    from maturity.tasks import run_reassessment

    created = run_reassessment.apply(kwargs={"schedule_id": schedule.pk}).get()
    assert Assessment.objects.get(pk=created).status == AssessmentStatus.DRAFT
    assert run_reassessment.apply(kwargs={"schedule_id": schedule.pk}).get() is None
