"""Picking one record out of thousands: a text field that takes a name (or an id) instead of a drop-down.

A `<select>` of every model of a 10,000-model inventory is half a megabyte per page and useless to scroll. The
picker renders a text input; typing fills its suggestions from a small lookup endpoint (``data-lookup``, wired
up by ``plumbline/pickers.js``), and without JavaScript a typed name works just the same. Links and API clients
keep sending ids.
"""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html


class NamePickerInput(forms.TextInput):
    """A text input with a list of suggestions the browser shows as one types."""

    def __init__(self, lookup_url: str = "", attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"autocomplete": "off", **(attrs or {})})
        self.lookup_url = lookup_url

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        if self.lookup_url:
            widget["attrs"]["data-lookup"] = self.lookup_url
            widget["attrs"]["list"] = f"{widget['attrs'].get('id') or name}-suggestions"
        return context

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        if not self.lookup_url:
            return html
        suggestions = f"{(attrs or {}).get('id') or name}-suggestions"
        return html + format_html('<datalist id="{}"></datalist>', suggestions)


class NamePickerField(forms.ModelChoiceField):
    """One record of ``queryset`` by its exact name (any case) or its id; the name is shown back."""

    def __init__(self, queryset, *, name_field: str = "name", lookup_url: str = "", **kwargs) -> None:
        kwargs.setdefault("widget", NamePickerInput(lookup_url))
        super().__init__(queryset, **kwargs)
        self.name_field = name_field

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if text.isdigit():
            return super().to_python(text)
        # A NUL character no database text holds (PostgreSQL refuses it in a query), or a text longer than any name.
        if len(text) > 255 or "\x00" in text:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        found = self.queryset.filter(**{f"{self.name_field}__iexact": text}).first()
        if found is None:
            raise ValidationError(
                f"No {self.queryset.model._meta.verbose_name} is called “{text}”: pick one of the suggestions.",
                code="invalid_choice",
            )
        return found

    def prepare_value(self, value):
        if hasattr(value, self.name_field):
            return getattr(value, self.name_field)
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            name = self.queryset.filter(pk=int(value)).values_list(self.name_field, flat=True).first()
            return name if name is not None else value
        return value
