"""The risk register: what could go wrong with a model, how likely and how bad, and what is done about it."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

ONE_TO_FIVE = [MinValueValidator(1), MaxValueValidator(5)]


class RiskCategory(models.TextChoices):
    FAIRNESS = "fairness", "Fairness / bias"
    PRIVACY = "privacy", "Privacy"
    SECURITY = "security", "Security"
    ROBUSTNESS = "robustness", "Robustness"
    EXPLAINABILITY = "explainability", "Explainability"
    OPERATIONAL = "operational", "Operational"
    LEGAL = "legal", "Legal / compliance"
    FINANCIAL = "financial", "Financial"


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    MITIGATING = "mitigating", "Mitigation in progress"
    ACCEPTED = "accepted", "Accepted"
    CLOSED = "closed", "Closed"


class Risk(models.Model):
    """One risk of one model; scores are likelihood times impact (1 to 25), before and after mitigation."""

    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.PROTECT, related_name="risks"
    )
    model = models.ForeignKey("governance.AIModel", on_delete=models.CASCADE, related_name="risks")
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=20, choices=RiskCategory.choices)
    description = models.TextField(blank=True)
    likelihood = models.PositiveSmallIntegerField(validators=ONE_TO_FIVE)
    impact = models.PositiveSmallIntegerField(validators=ONE_TO_FIVE)
    # Stored (not computed on read) so the register and heat map can filter and sort on them in the database.
    inherent_score = models.PositiveSmallIntegerField(editable=False, default=0)
    mitigation = models.TextField(blank=True)
    residual_likelihood = models.PositiveSmallIntegerField(null=True, blank=True, validators=ONE_TO_FIVE)
    residual_impact = models.PositiveSmallIntegerField(null=True, blank=True, validators=ONE_TO_FIVE)
    residual_score = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="owned_risks"
    )
    status = models.CharField(max_length=12, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    due_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-inherent_score", "title", "pk"]
        indexes = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["organisation", "category"]),
            models.Index(fields=["model", "-inherent_score"]),
            models.Index(fields=["organisation", "due_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.model})" if self.model_id else self.title

    def save(self, *args, **kwargs) -> None:
        self.derive_scores()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"inherent_score", "residual_score"}
        super().save(*args, **kwargs)

    def derive_scores(self) -> None:
        """Likelihood x impact, before and after mitigation (no residual score until both are assessed)."""
        self.inherent_score = (self.likelihood or 0) * (self.impact or 0)
        if self.residual_likelihood and self.residual_impact:
            self.residual_score = self.residual_likelihood * self.residual_impact
        else:
            self.residual_score = None
