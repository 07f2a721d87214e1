"""Hand work to the Celery workers reliably, by task name, through a transactional outbox.

Services never import the task modules above them: they name the task. ``enqueue_on_commit`` records the job
(``PendingJob``) in the caller's transaction, so the job exists exactly when the change that needs it does, and
sends it once the transaction commits. If the broker is down then, the request still succeeds; the job waits in
the table and ``dispatch_pending_jobs`` sends it as soon as the broker answers again (beat runs it every few
seconds, and every worker runs it as it starts). Tasks are idempotent, so the rare job sent twice (a sender
that died between sending and stamping) costs one no-op.
"""

import logging
from datetime import timedelta
from typing import Any

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from governance.models import PendingJob

logger = logging.getLogger(__name__)

# A job younger than this is left to the sender that recorded it (it sends right after its commit).
GRACE = timedelta(seconds=5)
# Sent jobs are kept this long, for support questions ("was the render ever sent?"), then deleted.
KEEP_SENT = timedelta(days=7)
BATCH = 200
# After the broker refused a job, a process leaves new jobs to the dispatcher for this long instead of making
# each request wait for the broker client's own retries (seconds each): the outage costs one slow request.
BROKER_BACKOFF = timedelta(seconds=15)
_broker_refused_at = None


def registered_task(task_name: str):
    """The Celery task of that name; LookupError for a name no installed app's ``tasks`` module defines."""
    if task_name not in current_app.tasks:
        # Outside a worker the apps' tasks modules are discovered lazily, on first use.
        current_app.loader.import_default_modules()
    try:
        return current_app.tasks[task_name]
    except KeyError:
        raise LookupError(f"No Celery task named {task_name!r} is registered.") from None


def enqueue(task_name: str, **kwargs: Any) -> None:
    """Send the task now (from a worker or beat, where a failure is retried by the task itself)."""
    registered_task(task_name).apply_async(kwargs=kwargs)


def enqueue_on_commit(task_name: str, **kwargs: Any) -> PendingJob:
    """Record the job with the caller's change and send it once the transaction commits.

    The name is checked now, before anything commits. A broker that is down at commit time is logged, not
    raised: the job is sent by ``dispatch_pending_jobs`` when the broker is back.
    """
    registered_task(task_name)
    job = PendingJob.objects.create(task=task_name, kwargs=kwargs)
    transaction.on_commit(lambda: _after_commit(job.pk))
    return job


def _after_commit(job_id: int) -> None:
    if _broker_refused_at is not None and timezone.now() - _broker_refused_at < BROKER_BACKOFF:
        logger.info("Job %s left to the dispatcher: the broker refused a job moments ago", job_id)
        return
    dispatch(job_id)


def dispatch(job_id: int) -> bool:
    """Send one recorded job if it is still waiting; True when it went to the broker now."""
    job = PendingJob.objects.filter(pk=job_id, dispatched_at__isnull=True).first()
    return job is not None and _send(job)


def _send(job: PendingJob) -> bool:
    """Hand a waiting job to the broker and stamp it; on a refusal, count the attempt and keep the error."""
    global _broker_refused_at
    try:
        registered_task(job.task).apply_async(kwargs=job.kwargs, retry=False)
    except Exception as exc:  # the broker's connection errors differ by transport; all mean "not sent"
        _broker_refused_at = timezone.now()
        PendingJob.objects.filter(pk=job.pk).update(attempts=F("attempts") + 1, last_error=str(exc)[:500])
        logger.warning("Job %s (%s) not sent, the broker did not take it: %s", job.pk, job.task, exc)
        return False
    _broker_refused_at = None
    PendingJob.objects.filter(pk=job.pk).update(
        dispatched_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
    )
    return True


def dispatch_pending_jobs(now=None) -> int:
    """Send every job still waiting after its grace period (oldest first); returns how many went out.

    Rows are claimed with SKIP LOCKED, so two dispatchers (beat's task and a starting worker) never send the same
    job at once. Stops at the first job the broker refuses: the rest would fail the same way.
    """
    now = now or timezone.now()
    sent = 0
    while True:
        with transaction.atomic():
            jobs = list(
                PendingJob.objects.select_for_update(skip_locked=True)
                .filter(dispatched_at__isnull=True, created_at__lte=now - GRACE)
                .order_by("created_at", "pk")[:BATCH]
            )
            if not jobs:
                break
            for job in jobs:
                if not _send(job):
                    return sent
                sent += 1
    PendingJob.objects.filter(dispatched_at__lt=now - KEEP_SENT).delete()
    return sent


def waiting_jobs() -> int:
    """How many jobs wait for the broker (``/readyz`` and the logs report it)."""
    return PendingJob.objects.filter(dispatched_at__isnull=True).count()
