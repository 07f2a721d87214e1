"""Incidents: what went wrong with a model, what it cost, why, and what was done."""

from django.conf import settings
from django.db import models


class IncidentSeverity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class IncidentStatus(models.TextChoices):
    OPEN = "open", "Open"
    INVESTIGATING = "investigating", "Investigating"
    MITIGATED = "mitigated", "Mitigated"
    CLOSED = "closed", "Closed"


class Incident(models.Model):
    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.PROTECT, related_name="incidents"
    )
    model = models.ForeignKey("governance.AIModel", on_delete=models.CASCADE, related_name="incidents")
    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=10, choices=IncidentSeverity.choices)
    occurred_at = models.DateTimeField()
    detected_at = models.DateTimeField()
    description = models.TextField()
    impact = models.TextField(blank=True, help_text="Who or what was affected, and how.")
    financial_loss = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="EUR", blank=True)
    root_cause = models.TextField(blank=True)
    actions_taken = models.TextField(blank=True)
    status = models.CharField(max_length=14, choices=IncidentStatus.choices, default=IncidentStatus.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "-occurred_at"]),
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["organisation", "severity"]),
            models.Index(fields=["model", "-occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_severity_display()})"
