"""Audit-ready PDF reports: requested on a page or the API, rendered by a Celery worker."""

from django.conf import settings
from django.db import models


class ReportKind(models.TextChoices):
    ASSESSMENT = "assessment", "Maturity assessment"
    ORGANISATION_MATURITY = "organisation_maturity", "Organisation maturity"
    MODEL_INVENTORY = "model_inventory", "Model inventory"
    MODEL_DOSSIER = "model_dossier", "Model dossier"
    COMPLIANCE = "compliance", "Compliance"


class ReportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Report(models.Model):
    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.CASCADE, related_name="reports"
    )
    kind = models.CharField(max_length=30, choices=ReportKind.choices)
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
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    byte_size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    file = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    error = models.TextField(blank=True)

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
