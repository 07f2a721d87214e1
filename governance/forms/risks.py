"""The risk form of the register pages; the service does the real validation."""

from django import forms
from django.contrib.auth import get_user_model

from governance import risk_charts
from governance.core.widgets import DatePicker
from governance.forms.base import ServiceModelForm
from governance.models import Organisation, Risk
from governance.services.risks import EDITABLE_FIELDS


class RiskForm(ServiceModelForm):
    """Shapes the input; the service does the real validation (ranges, residual pair, owner, closing)."""

    class Meta:
        model = Risk
        fields = list(EDITABLE_FIELDS)
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "mitigation": forms.Textarea(attrs={"rows": 3}),
            "due_date": DatePicker(),
        }
        help_texts = {
            "likelihood": "How likely it is to happen, before mitigation.",
            "impact": "How bad it would be, before mitigation.",
            "mitigation": "Controls in place or planned; for an accepted risk, why it is accepted and by whom.",
            "residual_likelihood": "After mitigation (give both residual levels, or neither).",
            "residual_impact": "After mitigation; the residual score may not exceed the inherent score.",
            "due_date": "When the mitigation is due.",
        }

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        # Named levels instead of bare numbers: assessors score more consistently against words.
        for name, labels in (
            ("likelihood", risk_charts.LIKELIHOOD_LABELS),
            ("impact", risk_charts.IMPACT_LABELS),
            ("residual_likelihood", risk_charts.LIKELIHOOD_LABELS),
            ("residual_impact", risk_charts.IMPACT_LABELS),
        ):
            old = self.fields[name]
            required = not name.startswith("residual_")
            blank = [("", "Choose…" if required else "— not assessed —")]
            self.fields[name] = forms.TypedChoiceField(
                choices=blank + [(level, label) for level, label in enumerate(labels, start=1)],
                coerce=int,
                empty_value=None,
                required=required,
                label=old.label,
                help_text=old.help_text,
            )
        self.fields["owner"].queryset = (
            get_user_model().objects.filter(memberships__organisation=organisation).order_by("username")
        )
