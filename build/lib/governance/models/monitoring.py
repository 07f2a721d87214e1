"""KPIs of AI models and their measurements over time."""

import itertools

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class KPIKind(models.TextChoices):
    BUSINESS = "business", "Business"
    TECHNICAL = "technical", "Technical"


class KPIDirection(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class MeasurementSource(models.TextChoices):
    API = "api", "API"
    PIPELINE = "pipeline", "Pipeline"
    MANUAL = "manual", "Manual"


class KPIDefinition(models.Model):
    """What is measured for a model, the target, and the thresholds that raise a warning or a critical alert."""

    model = models.ForeignKey("governance.AIModel", on_delete=models.CASCADE, related_name="kpis")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=KPIKind.choices, default=KPIKind.TECHNICAL)
    unit = models.CharField(max_length=40, blank=True)
    direction = models.CharField(max_length=10, choices=KPIDirection.choices, default=KPIDirection.HIGHER)
    target = models.FloatField(null=True, blank=True)
    warning_threshold = models.FloatField(null=True, blank=True)
    critical_threshold = models.FloatField(null=True, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["model_id", "name"]
        constraints = [models.UniqueConstraint(fields=["model", "name"], name="unique_kpi_name_per_model")]

    def __str__(self) -> str:
        return f"{self.name} ({self.model})" if self.model_id else self.name

    def clean(self) -> None:
        """Thresholds must get worse in the KPI's bad direction: target, then warning, then critical."""
        higher = self.direction == KPIDirection.HIGHER
        values = [
            ("target", self.target),
            ("warning_threshold", self.warning_threshold),
            ("critical_threshold", self.critical_threshold),
        ]
        present = [(field, value) for field, value in values if value is not None]
        for (better_field, better), (worse_field, worse) in itertools.pairwise(present):
            ordered = worse <= better if higher else worse >= better
            if not ordered:
                relation = "at or below" if higher else "at or above"
                raise ValidationError(
                    {
                        worse_field: [
                            f"Must be {relation} the {better_field.replace('_', ' ')} "
                            f"({better:g}) because {self.get_direction_display().lower()}."
                        ]
                    }
                )


class KPIMeasurement(models.Model):
    kpi = models.ForeignKey(KPIDefinition, on_delete=models.CASCADE, related_name="measurements")
    measured_at = models.DateTimeField()
    value = models.FloatField()
    source = models.CharField(
        max_length=20, choices=MeasurementSource.choices, default=MeasurementSource.MANUAL
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-measured_at", "-pk"]
        indexes = [models.Index(fields=["kpi", "-measured_at"], name="kpi_measured_at_idx")]

    def __str__(self) -> str:
        return f"{self.kpi.name} = {self.value:g} at {self.measured_at:%Y-%m-%d %H:%M}"
