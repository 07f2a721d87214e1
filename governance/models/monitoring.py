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


class KPIStatus(models.TextChoices):
    """What ``governance.rules.kpi_status`` makes of a KPI's latest value; stored with the KPI as ``latest_status``."""

    OK = "ok", "OK"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"
    NO_DATA = "no data", "No data"


# The statuses that count as a breach (the partial index below covers exactly these KPIs).
BREACH_STATUSES = (KPIStatus.WARNING, KPIStatus.CRITICAL)


class MeasurementSource(models.TextChoices):
    API = "api", "API"
    PIPELINE = "pipeline", "Pipeline"
    MANUAL = "manual", "Manual"


class KPIDefinition(models.Model):
    """What is measured for a model, the target, and the thresholds that raise a warning or a critical alert.

    ``latest_value``, ``latest_measured_at`` and ``latest_status`` are derived state, kept by the services in
    ``governance.services.monitoring`` under the KPI's row lock whenever a measurement arrives or the thresholds
    change, so pages read a KPI's status instead of finding its newest measurement among thousands.
    """

    model = models.ForeignKey("governance.AIModel", on_delete=models.CASCADE, related_name="kpis")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=KPIKind.choices, default=KPIKind.TECHNICAL)
    unit = models.CharField(max_length=40, blank=True)
    direction = models.CharField(max_length=10, choices=KPIDirection.choices, default=KPIDirection.HIGHER)
    target = models.FloatField(null=True, blank=True)
    warning_threshold = models.FloatField(null=True, blank=True)
    critical_threshold = models.FloatField(null=True, blank=True)
    description = models.TextField(blank=True)
    # The newest measurement (latest measured_at; of equal times, the last stored) and its judged status.
    latest_value = models.FloatField(null=True, blank=True, editable=False)
    latest_measured_at = models.DateTimeField(null=True, blank=True, editable=False)
    latest_status = models.CharField(
        max_length=10, choices=KPIStatus.choices, default=KPIStatus.NO_DATA, editable=False
    )
    # How often a measurement is expected; with none within it after the latest, the KPI is stale (monitoring
    # that silently stopped). ``stale_after`` = latest measurement (or the KPI's creation) + cadence, kept with the
    # latest state so pages and filters compare one column with now.
    expected_cadence_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Hours within which a new measurement is expected; empty: no expectation.",
    )
    stale_after = models.DateTimeField(null=True, blank=True, editable=False)
    # The degradation check over the recent measurements (governance.rules.drift): "ok", "degrading" or "" (not
    # enough data), with the window, baseline and change that led to it.
    trend_status = models.CharField(max_length=10, blank=True, editable=False)
    trend_evidence = models.JSONField(default=dict, blank=True, editable=False)
    trend_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, null=True)

    class Meta:
        ordering = ["model_id", "name"]
        constraints = [models.UniqueConstraint(fields=["model", "name"], name="unique_kpi_name_per_model")]
        indexes = [
            # The dashboard, the inventory's breach filters and the reminders look for breaching KPIs only:
            # few rows, whatever the inventory's size.
            models.Index(
                fields=["model"],
                name="kpi_breaching_idx",
                condition=models.Q(latest_status__in=BREACH_STATUSES),
            ),
            # Stale monitoring: the dashboard, filters and reminders ask for KPIs whose stale_after has passed.
            models.Index(
                fields=["stale_after"], name="kpi_stale_idx", condition=models.Q(stale_after__isnull=False)
            ),
        ]

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
