"""The model inventory: every ML model the organisation runs, its versions and the approvals it went through."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Concat


class LifecycleStage(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    DEVELOPMENT = "development", "Development"
    VALIDATION = "validation", "Validation"
    PRODUCTION = "production", "Production"
    RETIRED = "retired", "Retired"


class EUAIActCategory(models.TextChoices):
    PROHIBITED = "prohibited", "Prohibited practice"
    HIGH_RISK = "high_risk", "High-risk"
    LIMITED = "limited", "Limited risk (transparency)"
    MINIMAL = "minimal", "Minimal risk"


class RiskTier(models.TextChoices):
    CRITICAL = "critical", "Tier 1 — critical"
    HIGH = "high", "Tier 2 — high"
    MEDIUM = "medium", "Tier 3 — medium"
    LOW = "low", "Tier 4 — low"


class DecisionsAboutPeople(models.TextChoices):
    NONE = "none", "No decisions about people"
    SUPPORTS = "supports", "Supports decisions about people"
    MAKES = "makes", "Makes decisions about people"


class AIModel(models.Model):
    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.PROTECT, related_name="ai_models"
    )
    business_unit = models.ForeignKey(
        "governance.BusinessUnit", on_delete=models.SET_NULL, null=True, blank=True, related_name="ai_models"
    )
    name = models.CharField(max_length=200)
    purpose = models.TextField(help_text="What the model is for and which business decision it informs.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_ai_models"
    )
    developers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="developed_ai_models"
    )
    lifecycle_stage = models.CharField(
        max_length=20, choices=LifecycleStage.choices, default=LifecycleStage.PROPOSED
    )
    deployment_environment = models.CharField(
        max_length=120, blank=True, help_text="Where it runs, e.g. 'AWS eu-west-1, real-time API'."
    )
    model_type = models.CharField(max_length=120, blank=True, help_text="e.g. gradient-boosted trees, LLM")
    data_sources = models.TextField(blank=True)
    processes_personal_data = models.BooleanField(default=False)
    decisions_about_people = models.CharField(
        max_length=10, choices=DecisionsAboutPeople.choices, default=DecisionsAboutPeople.NONE
    )
    third_party = models.BooleanField(default=False, help_text="Built or hosted by a vendor.")
    vendor = models.CharField(max_length=200, blank=True)
    eu_ai_act_category = models.CharField(
        max_length=20, choices=EUAIActCategory.choices, default=EUAIActCategory.MINIMAL
    )
    # Materiality (business impact if wrong) and complexity (how hard to understand and validate) drive the
    # derived tier; the stored tier is what filters and reports use.
    materiality = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    complexity = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    risk_tier = models.CharField(max_length=10, choices=RiskTier.choices, default=RiskTier.MEDIUM)
    risk_tier_override = models.CharField(max_length=10, choices=RiskTier.choices, blank=True)
    risk_tier_override_reason = models.TextField(blank=True)
    # Kept in step with a registered model of an MLflow registry (governance.services.registry_sync).
    registry_connection = models.ForeignKey(
        "governance.RegistryConnection",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="models",
    )
    registry_name = models.CharField(max_length=255, blank=True)
    # Set when the registry's champion alias moved to a version Plumbline did not approve; cleared by an approval.
    unapproved_promotion_at = models.DateTimeField(null=True, blank=True)
    unapproved_promotion_detail = models.CharField(max_length=300, blank=True)
    last_validated_on = models.DateField(null=True, blank=True)
    next_review_due = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "AI model"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_ai_model_name"),
        ]
        indexes = [
            models.Index(fields=["organisation", "lifecycle_stage"]),
            models.Index(fields=["organisation", "risk_tier"]),
            models.Index(fields=["organisation", "next_review_due"]),
            models.Index(fields=["organisation", "owner"]),
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def str_sql() -> models.Expression:
        """``str(record)`` in SQL (governance.core.naming)."""
        return models.F("name")


class VersionStatus(models.TextChoices):
    CANDIDATE = "candidate", "Candidate"
    CHAMPION = "champion", "Champion"
    RETIRED = "retired", "Retired"


class ModelVersion(models.Model):
    model = models.ForeignKey(AIModel, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(max_length=64)
    registered_at = models.DateTimeField(auto_now_add=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    artifact_uri = models.CharField(max_length=500, blank=True)
    training_data_ref = models.CharField(max_length=500, blank=True)
    code_commit = models.CharField(max_length=64, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=VersionStatus.choices, default=VersionStatus.CANDIDATE)
    notes = models.TextField(blank=True)
    # Where the version came from in an MLflow registry: its version number there, run, tags and aliases.
    registry_version = models.CharField(max_length=64, blank=True)
    run_id = models.CharField(max_length=64, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    aliases = models.JSONField(default=list, blank=True)
    registry_created_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["model", "-registered_at"]
        constraints = [
            models.UniqueConstraint(fields=["model", "version"], name="unique_model_version"),
        ]
        indexes = [
            models.Index(fields=["model", "status"]),
            # A model's versions in registration order: the newest version, the one after another (Annex IV).
            models.Index(fields=["model", "registered_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.model.name} {self.version}"

    @staticmethod
    def str_sql() -> models.Expression:
        """``str(record)`` in SQL (governance.core.naming)."""
        return Concat(
            models.F("model__name"), models.Value(" "), models.F("version"), output_field=models.CharField()
        )


class ApprovalKind(models.TextChoices):
    STAGE_CHANGE = "stage_change", "Stage change"
    PROMOTE_VERSION = "promote_version", "Promote version to champion"


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ApprovalRequest(models.Model):
    """A request to move a model to validation/production or promote a version; decided by someone else."""

    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.PROTECT, related_name="approval_requests"
    )
    model = models.ForeignKey(AIModel, on_delete=models.CASCADE, related_name="approval_requests")
    kind = models.CharField(max_length=20, choices=ApprovalKind.choices)
    requested_stage = models.CharField(max_length=20, choices=LifecycleStage.choices, blank=True)
    version = models.ForeignKey(
        ModelVersion, on_delete=models.CASCADE, null=True, blank=True, related_name="approval_requests"
    )
    justification = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    # What the release checks found when the request was decided, frozen (governance.rules.release_policy), and
    # the policy version they were read from: a later change of data or policy cannot rewrite it.
    readiness = models.JSONField(default=dict, blank=True)
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    # Approved although overridable checks failed: by an executive, who wrote why.
    overridden = models.BooleanField(default=False)
    override_justification = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [
            models.Index(fields=["organisation", "overridden"]),
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["model", "-requested_at"]),
        ]

    def __str__(self) -> str:
        target = self.requested_stage if self.kind == ApprovalKind.STAGE_CHANGE else f"version {self.version}"
        return f"{self.model.name}: {self.get_kind_display()} → {target} ({self.get_status_display()})"
