"""The model card form: one text area per section; the service validates and saves."""

from django import forms

from governance.forms.base import ServiceForm
from governance.rules.model_cards import MAX_TEXT, SECTIONS


class ModelCardForm(ServiceForm):
    """Every section of a version's card, as text (Markdown is kept as written)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for section in SECTIONS:
            self.fields[section.key] = forms.CharField(
                label=section.heading,
                help_text=section.help,
                required=False,
                max_length=MAX_TEXT,
                strip=False,  # the service normalises, so the form and the API store the same text
                widget=forms.Textarea(attrs={"rows": 5}),
            )

    def service_data(self) -> dict[str, str]:
        return {section.key: self.cleaned_data[section.key] for section in SECTIONS}
