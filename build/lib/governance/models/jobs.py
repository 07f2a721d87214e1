"""The transactional outbox: background jobs recorded in the same transaction as the change that needs them.

A report request, a schedule's "run now" or a scheduled run writes its row and its job together; the job is sent
to the broker after commit, and if the broker is down it stays here until ``dispatch_pending_jobs`` (beat, every
few seconds, and each worker as it starts) sends it. So a broker outage never loses a job or fails a request.
"""

from django.db import models


class PendingJob(models.Model):
    task = models.CharField(max_length=200, help_text="The Celery task's registered name.")
    kwargs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["dispatched_at", "created_at"], name="pending_job_queue")]

    def __str__(self) -> str:
        state = "sent" if self.dispatched_at else "waiting"
        return f"{self.task} ({state})"
