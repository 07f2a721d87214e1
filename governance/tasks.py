"""Celery tasks of the governance app: thin wrappers over services."""

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.db import OperationalError, connections

from governance.core import jobs
from governance.integrations.mlflow import RegistryError
from governance.reports import services


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError, OperationalError),
    retry_backoff=True,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=3,
)
def render_report(self, report_id: int) -> str | None:
    """Render a report's PDF. Idempotent: a finished report is not rendered again."""
    try:
        report = services.generate_report(report_id)
    except (OSError, OperationalError) as exc:
        if self.request.retries >= self.max_retries:
            services.mark_failed(report_id, f"Rendering failed after {self.max_retries + 1} attempts: {exc}")
        raise
    except Exception as exc:
        # Not transient: retrying would fail the same way, so say what went wrong on the report.
        services.mark_failed(report_id, f"Rendering failed: {type(exc).__name__}: {exc}")
        raise
    return report.status if report else None


# Every minute: its result (the ids it re-enqueued) goes to the log, not to a result row a minute.
@shared_task(acks_late=True, ignore_result=True)
def requeue_stalled_reports() -> list[int]:
    """Beat: give reports whose worker died (or whose message was lost) to a live worker."""
    from governance.services import report_schedules

    # A scheduled report whose email task was lost is emailed now (the email itself is sent once only).
    for report_id in report_schedules.unsent_scheduled_reports():
        email_scheduled_report.delay(report_id)
    return services.requeue_stalled_reports()


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=4,
)
def send_reminder_digests(self, day: str | None = None) -> int:
    """Beat, daily: each person's reminder digest, once per day however often this runs."""
    from datetime import date

    from django.utils import timezone

    from governance.services import reminders

    today = date.fromisoformat(day) if day else timezone.localdate()
    sent = reminders.send_daily_digests(today)
    if reminders.unsent_digest_count(today) and self.request.retries < self.max_retries:
        # Some emails failed (mail server down): retry that day's unsent digests later.
        raise self.retry(kwargs={"day": today.isoformat()}, countdown=300 * (self.request.retries + 1))
    return sent


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def run_report_schedule(schedule_id: int) -> int | None:
    """Beat: request this period's report of a schedule (once per period). Returns the report's id."""
    from governance.models import ReportSchedule
    from governance.services import report_schedules

    schedule = ReportSchedule.objects.filter(pk=schedule_id).first()
    if schedule is None:
        return None
    report = report_schedules.run_report_schedule(schedule)
    return report.pk if report else None


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError, OperationalError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def email_scheduled_report(report_id: int) -> bool:
    """Email a finished scheduled report to its recipients (or its failure to its creator), once."""
    from governance.services import report_schedules

    return report_schedules.email_scheduled_report(report_id)


@shared_task(acks_late=True, ignore_result=True)
def dispatch_pending_jobs() -> int:
    """Beat, every few seconds: send the jobs recorded while the broker was down (the outbox)."""
    return jobs.dispatch_pending_jobs()


@worker_ready.connect
def _dispatch_on_start(**kwargs) -> None:
    # A worker that starts after an outage sends what waited, without waiting for beat.
    try:
        jobs.dispatch_pending_jobs()
    except Exception:  # a worker must start even if the database is not there yet; beat retries
        logging.getLogger(__name__).exception("Could not dispatch pending jobs at start")
    finally:
        # This runs in the worker's main process: pool processes forked from it must not share its connection.
        connections.close_all()


@shared_task(acks_late=True, ignore_result=True)
def checkpoint_audit_trails() -> int:
    """Beat, every AUDIT_CHECKPOINT_MINUTES: a signed checkpoint of each organisation's trail that grew."""
    from governance.core.audit import AuditIntegrityError, write_checkpoint
    from governance.models import Organisation

    logger = logging.getLogger(__name__)
    written = 0
    for organisation in Organisation.objects.all():
        try:
            written += 1 if write_checkpoint(organisation) else 0
        except AuditIntegrityError as error:  # one broken trail must not leave the others unsigned
            logger.error("%s", error)
    logger.info("Signed %s audit checkpoint(s).", written)
    return written


@shared_task(acks_late=True, ignore_result=True)
def verify_audit_trails() -> int:
    """Beat, every AUDIT_VERIFY_MINUTES: verify every organisation's trail and keep the outcome for its audit page.
    Returns how many trails have problems (each is also logged as an error)."""
    from governance.core.audit import record_verification
    from governance.models import Organisation

    broken = 0
    for organisation in Organisation.objects.all():
        try:
            verification = record_verification(organisation)
        except (
            Exception
        ):  # e.g. an unreadable AUDIT_TIMESTAMP_CA_FILE: the page then shows the status as stale
            logging.getLogger(__name__).exception("Could not verify the audit trail of %s", organisation.slug)
            broken += 1
            continue
        if not verification.intact:
            broken += 1
            logging.getLogger(__name__).error(
                "Audit trail of %s: %s problem(s), first: %s",
                organisation.slug,
                verification.problem_count,
                verification.problems[0],
            )
    return broken


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def build_audit_bundle(bundle_id: int) -> None:
    """Write an evidence bundle of an organisation's trail. Idempotent: a finished bundle is left alone."""
    from governance.services.audit_bundles import build_audit_bundle as build

    build(bundle_id)


@shared_task(acks_late=True, ignore_result=True)
def requeue_stalled_audit_bundles() -> list[int]:
    """Beat, every minute: evidence bundles whose worker or message was lost go to another worker."""
    from governance.services.audit_bundles import requeue_stalled_bundles

    return requeue_stalled_bundles()


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(OperationalError,), max_retries=3)
def deliver_webhook(delivery_id: int) -> str | None:
    """One attempt at a webhook delivery, if still open and due. Idempotent: the attempt is claimed under the
    delivery's row lock; a failed attempt is rescheduled by the service, not retried by Celery."""
    from governance.services import webhooks

    delivery = webhooks.deliver(delivery_id)
    return delivery.status if delivery else None


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError, OperationalError),
    retry_backoff=True,
    max_retries=3,
)
def deliver_webhooks(delivery_ids: list[int]) -> int:
    """The deliveries of one event (one per endpoint): each becomes a task of its own."""
    from governance.services import webhooks

    return webhooks.fan_out(delivery_ids)


@shared_task(acks_late=True, ignore_result=True)
def retry_webhook_deliveries() -> list[int]:
    """Beat, every minute: webhook deliveries whose retry is due, and any whose message was lost."""
    from governance.services import webhooks

    return webhooks.retry_due_deliveries()


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(OperationalError,), max_retries=3)
def check_kpi_freshness() -> dict[str, int]:
    """Beat, every 10 minutes: announce KPIs that went stale or turned degrading, once per episode each."""
    from governance.services.kpi_freshness import check_kpi_freshness as check

    return check()


# --- MLflow registries (governance.services.registry_sync) ---------------------------------------------------


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(OperationalError,), max_retries=3)
def sync_registry(connection_id: int, actor_id: int | None = None) -> str | None:
    """Import one connection's registry. Idempotent: a second run finds everything imported; a registry that
    cannot be read is recorded on the connection (its page shows it), not retried until the next run."""
    from django.contrib.auth import get_user_model

    from governance.models import RegistryConnection
    from governance.services import registry_sync

    connection = RegistryConnection.objects.filter(pk=connection_id).first()
    if connection is None:
        return None
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    summary = registry_sync.registry_sync(connection=connection, actor=actor)
    return str(summary) if summary is not None else None


@shared_task(acks_late=True, ignore_result=True)
def sync_all_registries() -> int:
    """Beat, every REGISTRY_SYNC_MINUTES: a sync task per active connection (one slow registry holds up none)."""
    from governance.models import RegistryConnection

    ids = list(RegistryConnection.objects.filter(active=True).values_list("pk", flat=True))
    for connection_id in ids:
        sync_registry.delay(connection_id)
    return len(ids)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError, OperationalError, RegistryError),
    retry_backoff=30,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=8,
)
def set_registry_alias(model_version_id: int) -> str:
    """Set the champion alias on a version Plumbline approved. Idempotent: done once, then a no-op; while the
    registry is down it retries with backoff (about 2 hours), and the next sync sends it again if still owed."""
    from governance.services import registry_sync

    return registry_sync.registry_alias_set(model_version_id=model_version_id)
