"""Release governance: the organisation's release policy (versioned), independent validations of model versions
and their findings, and what pipelines asked the deployment gate and deployed."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Cast, Concat

from governance.core.naming import choice_label_sql


class ReleaseTarget(models.TextChoices):
    VALIDATION = "validation", "Enter validation"
    PRODUCTION = "production", "Enter production"
    CHAMPION = "champion", "Promote a version to champion"


class ReleasePolicy(models.Model):
    """One version of an organisation's release policy; a change is a new version, never an edit.

    ``rules``: {"profiles": {profile: {target: [{"check": name, "params": {...}, "overridable": bool}]}}}, where a
    profile is a risk tier ("critical", "high", "medium", "low") or "eu_ai_act_high_risk" (used instead of the
    tier for models in that EU AI Act category). ``governance.rules.release_policy`` validates and reads it.
    """

    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.CASCADE, related_name="release_policies"
    )
    version = models.PositiveIntegerField()
    rules = models.JSONField()
    note = models.TextField(blank=True, help_text="What changed and why.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "-version"]
        verbose_name_plural = "release policies"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "version"], name="unique_release_policy_version"),
        ]

    def __str__(self) -> str:
        return f"Release policy v{self.version}"


class ValidationScope(models.TextChoices):
    CONCEPTUAL_SOUNDNESS = "conceptual_soundness", "Conceptual soundness"
    DATA = "data", "Data"
    PERFORMANCE = "performance", "Performance"
    OUTCOMES_ANALYSIS = "outcomes_analysis", "Outcomes analysis"
    IMPLEMENTATION = "implementation", "Implementation"


class ValidationOutcome(models.TextChoices):
    APPROVED = "approved", "Approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions", "Approved with conditions"
    REJECTED = "rejected", "Rejected"


class Validation(models.Model):
    """An independent validation of one model version (SR 11-7 "effective challenge"): by a validator who is
    neither the model's owner nor one of its developers."""

    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.PROTECT, related_name="validations"
    )
    model = models.ForeignKey("governance.AIModel", on_delete=models.CASCADE, related_name="validations")
    version = models.ForeignKey(
        "governance.ModelVersion", on_delete=models.CASCADE, related_name="validations"
    )
    validator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scope = models.JSONField(default=list, help_text="What was validated: a list of validation scopes.")
    started_on = models.DateField()
    completed_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=30, choices=ValidationOutcome.choices, blank=True)
    summary = models.TextField(blank=True)
    evidence_link = models.URLField(max_length=500, blank=True)
    # The validation report, checked whole like compliance evidence (governance.services.compliance).
    evidence_file = models.FileField(upload_to="validations/%Y/%m/", blank=True, max_length=255)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        indexes = [
            models.Index(fields=["version", "-completed_on"]),
            models.Index(fields=["model", "-started_on"]),
        ]

    def __str__(self) -> str:
        return f"Validation of version #{self.version_id} ({self.get_outcome_display() or 'in progress'})"

    @staticmethod
    def str_sql() -> models.Expression:
        """``str(record)`` in SQL (governance.core.naming)."""
        return Concat(
            models.Value("Validation of version #"),
            Cast("version_id", models.CharField()),
            models.Value(" ("),
            choice_label_sql("outcome", ValidationOutcome, "in progress"),
            models.Value(")"),
            output_field=models.CharField(),
        )


class FindingSeverity(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class FindingStatus(models.TextChoices):
    OPEN = "open", "Open"
    REMEDIATED = "remediated", "Remediated"
    ACCEPTED = "accepted", "Risk accepted"


class ValidationFinding(models.Model):
    validation = models.ForeignKey(Validation, on_delete=models.CASCADE, related_name="findings")
    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=10, choices=FindingSeverity.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=FindingStatus.choices, default=FindingStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["validation", "status", "severity", "id"]
        indexes = [models.Index(fields=["validation", "status"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_severity_display()}, {self.get_status_display()})"


class DeploymentEnvironment(models.TextChoices):
    TEST = "test", "Test"
    STAGING = "staging", "Staging"
    PRODUCTION = "production", "Production"


class DeploymentStrategy(models.TextChoices):
    CANARY = "canary", "Canary"
    FULL = "full", "Full"


class DeploymentStatus(models.TextChoices):
    STARTED = "started", "Started"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    ROLLED_BACK = "rolled_back", "Rolled back"


class DeploymentCheck(models.Model):
    """One question a pipeline asked the deployment gate, and the answer: kept whatever it was."""

    organisation = models.ForeignKey("governance.Organisation", on_delete=models.PROTECT, related_name="+")
    model = models.ForeignKey(
        "governance.AIModel", on_delete=models.CASCADE, related_name="deployment_checks"
    )
    version = models.ForeignKey(
        "governance.ModelVersion", on_delete=models.CASCADE, related_name="deployment_checks"
    )
    environment = models.CharField(max_length=20, choices=DeploymentEnvironment.choices)
    allowed = models.BooleanField()
    policy_version = models.PositiveIntegerField()
    checks = models.JSONField(default=list)
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-asked_at", "-id"]
        indexes = [models.Index(fields=["model", "-asked_at"])]

    def __str__(self) -> str:
        return f"Gate decision #{self.pk}: {'allowed' if self.allowed else 'denied'} ({self.environment})"


class Deployment(models.Model):
    """What a pipeline deployed where, and how it went."""

    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.PROTECT, related_name="deployments"
    )
    model = models.ForeignKey("governance.AIModel", on_delete=models.CASCADE, related_name="deployments")
    version = models.ForeignKey(
        "governance.ModelVersion", on_delete=models.CASCADE, related_name="deployments"
    )
    environment = models.CharField(max_length=20, choices=DeploymentEnvironment.choices)
    strategy = models.CharField(
        max_length=10, choices=DeploymentStrategy.choices, default=DeploymentStrategy.FULL
    )
    status = models.CharField(
        max_length=12, choices=DeploymentStatus.choices, default=DeploymentStatus.STARTED
    )
    pipeline_run_url = models.URLField(max_length=500, blank=True)
    gate_decision = models.ForeignKey(
        DeploymentCheck, on_delete=models.SET_NULL, null=True, blank=True, related_name="deployments"
    )
    # Recorded when the version deployed to production was not the approved champion of a model approved for
    # production: the dashboard's alarm and the inventory's filter read it.
    without_approval = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["model", "environment", "-recorded_at"]),
            models.Index(fields=["organisation", "without_approval", "environment"]),
        ]

    def __str__(self) -> str:
        return f"Deployment #{self.pk} to {self.environment} ({self.get_status_display()})"
