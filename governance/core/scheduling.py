"""The one scheduling module: periods, next runs, beat entries, "run now" and what a run became, for every kind
of schedule.

Report schedules (governance) and reassessment schedules (maturity) share it. A schedule model has
``frequency``, ``active``, ``last_run_period``, ``organisation`` and a ``periodic_task`` (django-celery-beat's
database scheduler fires it); a run is idempotent per period: the task locks the schedule row and compares
``last_run_period`` with the period key of the day, so a redelivered message or a "run now" next to beat's own
firing produces one run.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from governance.core.audit import record_event
from governance.core.errors import ConflictError
from governance.core.jobs import enqueue_on_commit
from governance.core.roles import Permission
from governance.core.tenancy import require
from governance.models import AuditEvent

# Beat fires schedules at this time (TIME_ZONE): before the working day, after the nightly pipelines.
RUN_HOUR = 6
WEEKLY, MONTHLY, QUARTERLY, HALF_YEARLY, YEARLY = "weekly", "monthly", "quarterly", "half-yearly", "yearly"
# The months whose 1st starts a period of each monthly-or-longer frequency.
PERIOD_MONTHS: dict[str, tuple[int, ...]] = {
    MONTHLY: tuple(range(1, 13)),
    QUARTERLY: (1, 4, 7, 10),
    HALF_YEARLY: (1, 7),
    YEARLY: (1,),
}
FREQUENCIES = (WEEKLY, *PERIOD_MONTHS)


def period_key(frequency: str, day: date) -> str:
    """The period ``day`` falls in: "2026-W48" (ISO week), "2026-11", "2026-Q4", "2026-H2" or "2026"."""
    if frequency == WEEKLY:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if frequency == MONTHLY:
        return f"{day.year}-{day.month:02d}"
    if frequency == QUARTERLY:
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if frequency == HALF_YEARLY:
        return f"{day.year}-H{(day.month - 1) // 6 + 1}"
    return str(day.year)


def next_run_on(frequency: str, day: date) -> date:
    """The first date after ``day`` on which beat fires a schedule of this frequency."""
    if frequency == WEEKLY:
        return day + timedelta(days=7 - day.weekday())
    months = PERIOD_MONTHS[frequency]
    for year in (day.year, day.year + 1):
        for month in months:
            candidate = date(year, month, 1)
            if candidate > day:
                return candidate
    raise AssertionError("unreachable: every frequency starts a period within a year")


def upcoming_run(frequency: str, now: datetime | None = None) -> date:
    """The next firing from ``now``: before RUN_HOUR, today itself can still be it."""
    now = timezone.localtime(now)
    since = now.date() - timedelta(days=1) if now.hour < RUN_HOUR else now.date()
    return next_run_on(frequency, since)


def previous_period(frequency: str, day: date) -> tuple[date, date]:
    """First and last day of the whole period before the one ``day`` is in: what a run on ``day`` reports on."""
    if frequency == WEEKLY:
        monday = day - timedelta(days=day.weekday())
        return monday - timedelta(days=7), monday - timedelta(days=1)
    months = 12 // len(PERIOD_MONTHS[frequency])
    first_month = (day.month - 1) // months * months + 1
    end = date(day.year, first_month, 1) - timedelta(days=1)
    start_month = end.month - months + 1
    return date(end.year, start_month, 1), end


def crontab_fields(frequency: str) -> dict[str, str]:
    """django-celery-beat crontab fields that fire at RUN_HOUR on the first day of each period."""
    if frequency == WEEKLY:
        return {"day_of_week": "1", "day_of_month": "*", "month_of_year": "*"}
    months = PERIOD_MONTHS[frequency]
    return {
        "day_of_week": "*",
        "day_of_month": "1",
        "month_of_year": "*" if len(months) == 12 else ",".join(str(m) for m in months),
    }


def sync_beat_entry(schedule: models.Model, *, name: str, task: str, description: str = "") -> None:
    """Create or update the beat entry that fires ``schedule`` (``task`` gets ``schedule_id``)."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour=str(RUN_HOUR),
        timezone=str(timezone.get_default_timezone()),
        **crontab_fields(schedule.frequency),
    )
    entry = (
        schedule.periodic_task or PeriodicTask.objects.filter(name=name).first() or PeriodicTask(name=name)
    )
    entry.task = task
    entry.crontab = crontab
    entry.interval = None
    entry.kwargs = json.dumps({"schedule_id": schedule.pk})
    entry.enabled = schedule.active
    if description:
        entry.description = description[:200]
    entry.save()
    if schedule.periodic_task_id != entry.pk:
        schedule.periodic_task = entry
        schedule.save(update_fields=["periodic_task"])


def delete_beat_entry(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    """Remove a deleted schedule's django-celery-beat entry (a ``post_delete`` handler).

    Connected for every model with a ``periodic_task``, so the entry goes however the schedule goes: the
    app's delete page, the Django admin, or a cascade from its organisation or business unit. Without it
    beat would keep firing a task for a schedule that no longer exists.
    """
    if instance.periodic_task_id is None:
        return
    from django_celery_beat.models import PeriodicTask

    PeriodicTask.objects.filter(pk=instance.periodic_task_id).delete()


def request_run_now(
    *,
    actor,
    schedule: models.Model,
    permission: Permission,
    task: str,
    action: StrEnum,
    already_ran: Callable[[Any, str], str],
    check: Callable[[Any], None] | None = None,
    select_related: tuple[str, ...] = (),
) -> str:
    """Queue this period's run of ``schedule`` now instead of waiting for beat; returns the period key.

    It goes through the same idempotent task beat fires, so it runs this period only if it has not run.
    ``already_ran(locked, period)`` words the refusal when it has; ``check(locked)`` may refuse for reasons of
    its own (raising ConflictError).
    """
    require(actor, schedule.organisation_id, permission)
    with transaction.atomic():
        locked = (
            type(schedule)
            .objects.select_for_update(of=("self",))
            .select_related("organisation", *select_related)
            .get(pk=schedule.pk)
        )
        if not locked.active:
            raise ConflictError("This schedule is paused: activate it before running it.")
        period = period_key(locked.frequency, timezone.localdate())
        if locked.last_run_period == period:
            raise ConflictError(already_ran(locked, period))
        if check is not None:
            check(locked)
        record_event(
            organisation=locked.organisation,
            actor=actor,
            action=action,
            obj=locked,
            changes={"period": [None, period]},
        )
        enqueue_on_commit(task, schedule_id=locked.pk)
    return period


# ---- polling a run: what a "run now" (or beat) produced -------------------------------------------------------


class RunStatus(models.TextChoices):
    """A run as a pipeline polls it: still to come, finished with what it produced, or not going to produce it."""

    QUEUED = "queued", "Queued"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


@dataclass(frozen=True)
class RunOutcome:
    """What became of one run of a schedule (one period); ``record`` is what it produced, if it still exists."""

    period: str
    status: RunStatus
    detail: str
    record: models.Model | None = None


def run_requested(schedule: models.Model, period: str, action: StrEnum) -> bool:
    """Whether someone asked for ``schedule``'s run of ``period`` now: ``request_run_now`` audits each request
    (``action``, with the period), so the trail is where a request that has not run yet is known."""
    return AuditEvent.objects.filter(
        object_type=schedule._meta.label_lower,
        object_id=str(schedule.pk),
        action=str(action),
        changes__period__1=period,
    ).exists()


def requested_run_outcome(schedule: models.Model, period: str, today: date | None = None) -> RunOutcome:
    """A requested run that has produced nothing yet: queued while it can still run, failed once it cannot.

    The task runs only an active schedule, and only for the period of the day it runs in: paused, or with the
    period over, the requested run will not happen (the schedule's next run is the next period's).
    """
    today = today or timezone.localdate()
    if not schedule.active:
        return RunOutcome(
            period, RunStatus.FAILED, "The schedule was paused before this run: it did not run."
        )
    if period_key(schedule.frequency, today) != period:
        return RunOutcome(
            period, RunStatus.FAILED, f"The period {period} ended before the run started: it did not run."
        )
    return RunOutcome(period, RunStatus.QUEUED, "The run is queued: a worker starts it shortly.")
