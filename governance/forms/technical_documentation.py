"""The Annex IV technical documentation's free-text fields, one textarea each, as the outline names them."""

from django import forms

from governance.forms.base import ServiceForm
from governance.rules import technical_documentation as rules


class TechnicalDocumentationForm(ServiceForm):
    """Every free-text field of the outline (governance/data/annex_iv/), grouped in the template by section."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for section in rules.load_outline().sections:
            for text in section.texts:
                self.fields[text.key] = forms.CharField(
                    required=False,
                    label=text.label,
                    help_text=text.help,
                    max_length=rules.MAX_TEXT,
                    strip=True,
                    widget=forms.Textarea(attrs={"rows": 6}),
                )
                # Which section the field belongs to, for the form's headings.
                self.fields[text.key].section = section

    def service_data(self) -> dict[str, str]:
        return {"texts": {key: self.cleaned_data.get(key) or "" for key in self.fields}}
