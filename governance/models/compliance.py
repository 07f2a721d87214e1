"""Compliance: framework catalogues (loaded from data files) and each model's record against each requirement."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Concat


class Framework(models.Model):
    """One version of a framework catalogue, e.g. EU AI Act (Regulation 2024/1689) v1."""

    key = models.SlugField(max_length=40, help_text="Stable identifier, e.g. 'eu-ai-act'.")
    version = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    publisher = models.CharField(max_length=200, blank=True)
    source_url = models.URLField(blank=True)
    description = models.TextField(blank=True)
    # SHA-256 of the data file's canonical content: reloading the same version with changed content is refused.
    content_hash = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now_add=True)
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="unique_framework_version"),
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(is_current=True), name="one_current_framework_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"


class Requirement(models.Model):
    """A requirement in our own words, cited by article/section/function, and which models it applies to."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="requirements")
    ref = models.CharField(max_length=40, help_text="Citation, e.g. 'Art. 9' or 'GOVERN 1.1' or 'A.6.2.4'.")
    section = models.CharField(max_length=200, blank=True, help_text="Grouping, e.g. 'Govern' or 'Clause 6'.")
    title = models.CharField(max_length=255)
    description = models.TextField()
    # Applicability rules from the data file, e.g. {"eu_ai_act_category": ["high_risk"], "risk_tier": [...]};
    # an empty object means every model.
    applies_to = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["framework", "position"]
        constraints = [models.UniqueConstraint(fields=["framework", "ref"], name="unique_requirement_ref")]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @staticmethod
    def str_sql() -> models.Expression:
        """``str(record)`` in SQL (governance.core.naming)."""
        return Concat(models.F("ref"), models.Value(" "), models.F("title"), output_field=models.CharField())


class ComplianceStatus(models.TextChoices):
    NOT_ASSESSED = "not_assessed", "Not assessed"
    NON_COMPLIANT = "non_compliant", "Non-compliant"
    PARTIAL = "partial", "Partially compliant"
    COMPLIANT = "compliant", "Compliant"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class ComplianceRecord(models.Model):
    """Where one model stands against one requirement, with the evidence that shows it."""

    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.PROTECT, related_name="compliance_records"
    )
    model = models.ForeignKey(
        "governance.AIModel", on_delete=models.CASCADE, related_name="compliance_records"
    )
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="records")
    status = models.CharField(
        max_length=16, choices=ComplianceStatus.choices, default=ComplianceStatus.NOT_ASSESSED
    )
    not_applicable_reason = models.TextField(blank=True)
    evidence_file = models.FileField(upload_to="evidence/%Y/%m/", blank=True, max_length=255)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    evidence_link = models.URLField(blank=True, max_length=500)
    notes = models.TextField(blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    next_review_due = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["model", "requirement__position"]
        constraints = [
            models.UniqueConstraint(fields=["model", "requirement"], name="unique_compliance_record"),
        ]
        indexes = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["organisation", "next_review_due"]),
            models.Index(fields=["requirement", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.model} — {self.requirement.ref}: {self.get_status_display()}"
