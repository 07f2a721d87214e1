"""What beat reads from its database for a reassessment schedule: a registered task, callable kwargs, the right day."""

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import ModelEntry

from config.celery import app
from maturity.models import Assessment, AssessmentStatus
from tests.maturity.schedule_helpers import saved_schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def beat_entry(questionnaire, organisation, admin_user_member):
    """The schedule entry celery beat's database scheduler builds from the saved schedule's PeriodicTask."""

    def build(frequency: str = "quarterly", business_unit=None):
        schedule = saved_schedule(
            admin_user_member, organisation, frequency=frequency, business_unit=business_unit
        )
        return schedule, ModelEntry(PeriodicTask.objects.get(pk=schedule.periodic_task_id), app=app)

    return build


def test_beat_entry_names_a_task_the_worker_registers(beat_entry):
    schedule, entry = beat_entry()
    # What a worker does at start-up: import every app's tasks module.
    app.loader.import_default_modules()
    assert entry.task in app.tasks
    assert entry.args == [] and entry.kwargs == {"schedule_id": schedule.pk}


def test_firing_the_beat_entry_opens_the_draft_once(beat_entry, business_unit):
    _, entry = beat_entry(frequency="monthly", business_unit=business_unit)
    app.loader.import_default_modules()
    task = app.tasks[entry.task]

    created = task.apply(args=entry.args, kwargs=entry.kwargs).get()
    again = task.apply(args=entry.args, kwargs=entry.kwargs).get()

    draft = Assessment.objects.get(pk=created)
    assert again is None
    assert draft.status == AssessmentStatus.DRAFT and draft.business_unit == business_unit
    assert list(Assessment.objects.values_list("pk", flat=True)) == [draft.pk]


@pytest.mark.parametrize("frequency", ["monthly", "quarterly", "half-yearly", "yearly"])
def test_beat_fires_on_the_day_the_page_shows_as_next_run(beat_entry, frequency):
    schedule, entry = beat_entry(frequency=frequency)
    # The crontab's own arithmetic: from the current minute to the next time it matches.
    start, delta, _ = entry.schedule.remaining_delta(timezone.now())
    fires_at = timezone.localtime(start + delta)
    assert fires_at.date() == schedule.next_run_on
    assert (fires_at.hour, fires_at.minute) == (6, 0)
