"""Celery tasks of the governance app: thin wrappers over services."""

from celery import shared_task
from django.db import OperationalError

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


@shared_task(acks_late=True)
def requeue_stalled_reports() -> list[int]:
    """Beat: give reports whose worker died (or whose message was lost) to a live worker."""
    return services.requeue_stalled_reports()
