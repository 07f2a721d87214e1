"""Celery tasks of the maturity app: thin wrappers around services."""

from celery import shared_task


@shared_task(acks_late=True, name="maturity.tasks.run_reassessment")
def run_reassessment(schedule_id: int) -> int | None:
    """Run one scheduled reassessment; idempotent per period. Returns the new assessment's id, if any."""
    from maturity import services
    from maturity.models import ReassessmentSchedule

    schedule = ReassessmentSchedule.objects.filter(pk=schedule_id).first()
    if schedule is None:
        return None
    assessment = services.run_reassessment(schedule)
    return assessment.pk if assessment else None
