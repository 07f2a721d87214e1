"""The one scheduling module: periods, next runs, crontabs, beat entries and "run now", for every schedule kind."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from hypothesis import given
from hypothesis import strategies as st

from governance.core import scheduling
from governance.core.errors import ConflictError
from governance.models import AuditEvent
from governance.models.actions import GovernanceAction
from governance.services import report_schedules

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@pytest.mark.parametrize(
    ("frequency", "day", "key", "next_run"),
    [
        ("weekly", date(2026, 11, 23), "2026-W48", date(2026, 11, 30)),
        ("weekly", date(2027, 1, 1), "2026-W53", date(2027, 1, 4)),
        ("monthly", date(2026, 11, 23), "2026-11", date(2026, 12, 1)),
        ("monthly", date(2026, 12, 31), "2026-12", date(2027, 1, 1)),
        ("quarterly", date(2026, 11, 23), "2026-Q4", date(2027, 1, 1)),
        ("quarterly", date(2026, 4, 1), "2026-Q2", date(2026, 7, 1)),
        ("half-yearly", date(2026, 6, 30), "2026-H1", date(2026, 7, 1)),
        ("half-yearly", date(2026, 7, 1), "2026-H2", date(2027, 1, 1)),
        ("yearly", date(2026, 11, 23), "2026", date(2027, 1, 1)),
    ],
)
def test_period_keys_and_next_runs(frequency, day, key, next_run):
    assert scheduling.period_key(frequency, day) == key
    assert scheduling.next_run_on(frequency, day) == next_run


@pytest.mark.parametrize(
    ("frequency", "day", "start", "end"),
    [
        ("weekly", date(2026, 11, 30), date(2026, 11, 23), date(2026, 11, 29)),
        ("monthly", date(2026, 12, 1), date(2026, 11, 1), date(2026, 11, 30)),
        ("monthly", date(2027, 1, 1), date(2026, 12, 1), date(2026, 12, 31)),
        ("quarterly", date(2026, 10, 1), date(2026, 7, 1), date(2026, 9, 30)),
        ("quarterly", date(2027, 1, 1), date(2026, 10, 1), date(2026, 12, 31)),
        ("half-yearly", date(2026, 7, 1), date(2026, 1, 1), date(2026, 6, 30)),
        ("yearly", date(2027, 1, 1), date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_previous_period_is_what_a_run_reports_on(frequency, day, start, end):
    assert scheduling.previous_period(frequency, day) == (start, end)


@given(frequency=st.sampled_from(scheduling.FREQUENCIES), day=days)
def test_the_next_run_opens_the_next_period(frequency, day):
    """Beat fires once per period: on the first day of the period after ``day``'s, and never on ``day`` again."""
    run = scheduling.next_run_on(frequency, day)
    assert run > day
    assert scheduling.period_key(frequency, run) != scheduling.period_key(frequency, day)
    assert scheduling.period_key(frequency, run - timedelta(days=1)) == scheduling.period_key(frequency, day)


@given(frequency=st.sampled_from(scheduling.FREQUENCIES), day=days)
def test_the_previous_period_ends_the_day_before_this_one_starts(frequency, day):
    start, end = scheduling.previous_period(frequency, day)
    assert start <= end < day
    assert scheduling.period_key(frequency, start) == scheduling.period_key(frequency, end)
    assert scheduling.period_key(frequency, end + timedelta(days=1)) == scheduling.period_key(frequency, day)


def test_before_the_run_hour_today_can_still_be_the_next_run():
    tz = timezone.get_default_timezone()
    first = datetime(2026, 12, 1, scheduling.RUN_HOUR - 1, 30, tzinfo=tz)
    assert scheduling.upcoming_run("monthly", first) == date(2026, 12, 1)
    assert scheduling.upcoming_run("monthly", first.replace(hour=scheduling.RUN_HOUR)) == date(2027, 1, 1)


@pytest.mark.parametrize(
    ("frequency", "fields"),
    [
        ("weekly", {"day_of_week": "1", "day_of_month": "*", "month_of_year": "*"}),
        ("monthly", {"day_of_week": "*", "day_of_month": "1", "month_of_year": "*"}),
        ("quarterly", {"day_of_week": "*", "day_of_month": "1", "month_of_year": "1,4,7,10"}),
        ("half-yearly", {"day_of_week": "*", "day_of_month": "1", "month_of_year": "1,7"}),
        ("yearly", {"day_of_week": "*", "day_of_month": "1", "month_of_year": "1"}),
    ],
)
def test_crontabs_fire_on_the_first_day_of_each_period(frequency, fields):
    assert scheduling.crontab_fields(frequency) == fields


def test_the_beat_entry_follows_the_schedule_and_goes_with_it(report_schedule):
    entry = PeriodicTask.objects.get(pk=report_schedule.periodic_task_id)
    assert (entry.task, entry.enabled, entry.crontab.hour) == (
        report_schedules.RUN_TASK,
        True,
        str(scheduling.RUN_HOUR),
    )
    report_schedule.delete()
    assert not PeriodicTask.objects.filter(pk=entry.pk).exists()


def test_run_now_is_refused_once_the_period_ran_and_audited_when_queued(
    report_schedule, admin_user_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        period = report_schedules.request_schedule_run(actor=admin_user_member, schedule=report_schedule)
    assert period == scheduling.period_key("monthly", timezone.localdate()) and len(callbacks) == 1
    event = AuditEvent.objects.get(action=GovernanceAction.REPORT_SCHEDULE_RUN_REQUEST)
    assert event.changes == {"period": [None, period]} and event.actor == admin_user_member
    report_schedule.last_run_period = period
    report_schedule.save(update_fields=["last_run_period"])
    with pytest.raises(ConflictError, match="has already run"):
        report_schedules.request_schedule_run(actor=admin_user_member, schedule=report_schedule)
