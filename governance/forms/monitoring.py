"""KPI forms: a KPI definition and a manual measurement; the services validate and save."""

from django import forms
from django.core.exceptions import ValidationError

from governance.core.widgets import DateTimePicker
from governance.forms.base import ServiceForm, ServiceModelForm
from governance.models import AIModel, KPIDefinition
from governance.services.monitoring import EDITABLE_FIELDS, BatchValidationError


class MeasurementForm(ServiceForm):
    """One manual measurement of a KPI."""

    measured_at = forms.DateTimeField(label="Measured at", widget=DateTimePicker())
    value = forms.FloatField(label="Value")

    def add_service_errors(self, exc: ValidationError, field_map: dict[str, str] | None = None) -> None:
        if isinstance(exc, BatchValidationError):
            # A batch's readable messages all sit under "points"; its structured errors name each one's field.
            errors: dict[str, list[str]] = {}
            for error in exc.point_errors:
                errors.setdefault(error["field"], []).append(error["message"])
            exc = ValidationError(errors)
        super().add_service_errors(exc, field_map)


class KPIForm(ServiceModelForm):
    """A KPI definition; the ordering of target and thresholds is checked by the service (model ``clean``)."""

    class Meta:
        model = KPIDefinition
        fields = list(EDITABLE_FIELDS)
        labels = {
            "kind": "Business or technical",
            "warning_threshold": "Warning at",
            "critical_threshold": "Critical at",
            "expected_cadence_hours": "Expected every (hours)",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "target": forms.NumberInput(attrs={"step": "any"}),
            "warning_threshold": forms.NumberInput(attrs={"step": "any"}),
            "critical_threshold": forms.NumberInput(attrs={"step": "any"}),
        }
        help_texts = {
            "unit": "E.g. %, ms, EUR; leave empty for a ratio.",
            "direction": "Whether larger values are good (accuracy) or bad (latency, drift).",
            "warning_threshold": "A latest value at or past this raises a warning.",
            "critical_threshold": "A latest value at or past this is critical and notifies the model owner.",
            "expected_cadence_hours": (
                "E.g. 24 for a daily pipeline. With no measurement within this many hours of the latest, the "
                "KPI's monitoring is stale: flagged on the dashboard and reminded to the owner. Empty: no expectation."
            ),
        }

    def __init__(self, *args, model: AIModel, **kwargs):
        super().__init__(*args, **kwargs)
        self.ai_model = model

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        others = KPIDefinition.objects.filter(model=self.ai_model, name__iexact=name)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError("This model already has a KPI with this name.")
        return name

    def service_data(self) -> dict:
        """The cleaned fields, as keyword arguments for create_kpi / update_kpi."""
        return {field: self.cleaned_data[field] for field in EDITABLE_FIELDS}
