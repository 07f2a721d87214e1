"""Scheduled reassessments run by a real Celery worker process, fired twice the way beat sends them."""

import email
import email.policy
import json
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from governance.core import scheduling
from governance.core.roles import Role
from governance.models import AuditEvent
from maturity import services
from maturity.models import Answer, Assessment, AssessmentStatus, ReassessmentSchedule
from tests.maturity.schedule_helpers import saved_schedule

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Django's file-based backend ends every message with a line of 79 dashes.
MESSAGE_SEPARATOR = "\n" + "-" * 79 + "\n"


def read_mail(folder: Path) -> list[email.message.EmailMessage]:
    """Every message the file-based email backend wrote into ``folder``."""
    found = []
    for path in sorted(folder.glob("*.log")):
        for chunk in path.read_text().split(MESSAGE_SEPARATOR):
            if chunk.strip():
                found.append(email.message_from_string(chunk, policy=email.policy.default))
    return found


def fire_like_beat(periodic_task: PeriodicTask):
    """Send the task by the name and kwargs stored in beat's database, as the beat process does."""
    from config.celery import app

    return app.send_task(periodic_task.task, kwargs=json.loads(periodic_task.kwargs))


@pytest.fixture
def approved(assessment, assessor, executive, answer_all):
    answer_all(assessor, assessment, level=4)
    services.submit_assessment(actor=assessor, assessment=assessment)
    return services.approve_assessment(actor=executive, assessment=assessment)


def test_worker_opens_one_draft_and_mails_each_assessor_once_when_fired_twice(
    celery_worker_process, tmp_path, organisation, admin_user_member, approved, assessor, make_member
):
    second_assessor = make_member(Role.ASSESSOR, username="second-assessor")
    make_member(Role.AUDITOR, username="not-an-assessor")
    schedule = saved_schedule(admin_user_member, organisation, frequency="monthly")
    periodic_task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    mail_dir = tmp_path / "mail"
    celery_worker_process.start(
        extra_env={
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
        }
    )

    first, second = fire_like_beat(periodic_task), fire_like_beat(periodic_task)
    try:
        outcomes = [first.get(timeout=90), second.get(timeout=90)]
    except Exception as exc:  # the worker's log says why; show it with the failure
        raise AssertionError(f"{exc!r}\n{celery_worker_process.logs()[-4000:]}") from exc

    draft = Assessment.objects.get(status=AssessmentStatus.DRAFT)
    # One firing opened the draft; the other found the period already done and did nothing.
    assert sorted(outcomes, key=lambda v: v is not None) == [None, draft.pk]
    assert Assessment.objects.count() == 2
    assert draft.questionnaire_id == approved.questionnaire_id

    answers = list(Answer.objects.filter(assessment=draft).select_related("question"))
    assert len(answers) == approved.answers.count()
    assert all(a.needs_confirmation and a.level == 4 for a in answers)

    schedule = ReassessmentSchedule.objects.get(pk=schedule.pk)
    assert schedule.last_assessment_id == draft.pk
    assert schedule.last_run_period == scheduling.period_key("monthly", timezone.localdate())
    assert AuditEvent.objects.filter(action="schedule.run", object_id=str(schedule.pk)).count() == 1

    messages = read_mail(mail_dir)
    assert sorted(m["To"] for m in messages) == sorted([assessor.email, second_assessor.email])
    link = reverse("maturity:assessment-detail", args=[draft.pk])
    for message in messages:
        assert message["Subject"] == f"Reassessment due: {draft.title}"
        assert link in message.get_content()
