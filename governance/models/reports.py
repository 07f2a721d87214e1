"""Audit-ready PDF reports: requested on a page or the API, rendered by a Celery worker."""

from django.conf import settings
from django.db import models

from governance.core.registry import report_kind_choices


class ReportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Report(models.Model):
    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.CASCADE, related_name="reports"
    )
    # The kinds come from the registry each app fills at start-up (governance.core.registry.report_kinds).
    kind = models.CharField(max_length=30, choices=report_kind_choices)
    # The assessment or model the report is about; None for organisation-wide kinds.
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    title = models.CharField(max_length=255)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    # Touched every few seconds while a worker renders; a running report whose heartbeat stops lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    byte_size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    # The signed audit checkpoint written when the file was issued (its "report.issued" event is in the chain).
    issued_checkpoint = models.ForeignKey(
        "governance.AuditCheckpoint", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    file = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    error = models.TextField(blank=True)
    # Set when a schedule generated the report; the worker then emails it and stamps emailed_at (once).
    schedule = models.ForeignKey(
        "governance.ReportSchedule", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    emailed_at = models.DateTimeField(null=True, blank=True)
    # The schedule's run that requested it, by period key ("2026-11": the period it ran in, which "run now"
    # answers and GET /api/v1/report-schedules/{id}/runs/{period}/ reads), not the period it reports on.
    schedule_period = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "-requested_at"]),
            models.Index(fields=["organisation", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {ReportStatus.SUCCEEDED, ReportStatus.FAILED}


class ScheduleFrequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly (Mondays)"
    MONTHLY = "monthly", "Monthly (1st)"
    QUARTERLY = "quarterly", "Quarterly"
    YEARLY = "yearly", "Yearly"


class ReportSchedule(models.Model):
    """A report generated on a schedule by Celery beat and emailed to its recipients (e.g. auditors)."""

    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.CASCADE, related_name="report_schedules"
    )
    kind = models.CharField(max_length=30, choices=report_kind_choices)
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    frequency = models.CharField(
        max_length=12, choices=ScheduleFrequency.choices, default=ScheduleFrequency.MONTHLY
    )
    # Addresses, one per entry; they need not be members (external auditors).
    recipients = models.JSONField(default=list)
    attach_pdf = models.BooleanField(
        default=True, help_text="Attach the PDF; otherwise the email links to it."
    )
    active = models.BooleanField(default=True)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Period key of the last run ("2026-W48", "2026-11", "2026-Q4", "2026"): guards against double runs.
    last_run_period = models.CharField(max_length=10, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "kind", "pk"]
        indexes = [models.Index(fields=["organisation", "active"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} report, {self.get_frequency_display().lower()}"
