"""The incident form; the service does the real validation."""

from django import forms

from governance.core.widgets import DateTimePicker
from governance.forms.base import ServiceModelForm
from governance.models import Incident
from governance.services.incidents import EDITABLE_FIELDS


class IncidentForm(ServiceModelForm):
    """Shapes the input; the service does the real validation (time line, closing rules, loss)."""

    class Meta:
        model = Incident
        fields = list(EDITABLE_FIELDS)
        widgets = {
            "occurred_at": DateTimePicker(),
            "detected_at": DateTimePicker(),
            "closed_at": DateTimePicker(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "impact": forms.Textarea(attrs={"rows": 3}),
            "root_cause": forms.Textarea(attrs={"rows": 3}),
            "actions_taken": forms.Textarea(attrs={"rows": 3}),
            "financial_loss": forms.NumberInput(attrs={"min": 0, "step": "0.01"}),
        }
        labels = {"financial_loss": "Financial loss", "actions_taken": "Actions taken"}
        help_texts = {
            "occurred_at": "When it started (best estimate).",
            "detected_at": "When it was noticed; not before it occurred.",
            "financial_loss": "Direct loss so far; leave empty if none is known.",
            "currency": "Three-letter ISO 4217 code, e.g. EUR.",
            "root_cause": "Required to close the incident.",
            "actions_taken": "Containment, fixes and follow-ups; required to close the incident.",
            "closed_at": "Only for a closed incident; left empty, closing stamps the current time.",
        }

    def clean(self) -> dict:
        cleaned = super().clean()
        # The inputs show minutes; an untouched time must not lose its stored seconds (a spurious audited change).
        for name in ("occurred_at", "detected_at", "closed_at"):
            stored, given = getattr(self.instance, name, None), cleaned.get(name)
            if stored and given and given == stored.replace(second=0, microsecond=0):
                cleaned[name] = stored
        return cleaned
