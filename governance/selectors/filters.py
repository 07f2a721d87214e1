"""What the list filters share: the organisations a filter's choices come from, and date ranges."""

import django_filters
from django import forms
from django.urls import reverse_lazy

from governance.core.pickers import NamePickerField
from governance.core.tenancy import organisation_ids_of
from governance.core.widgets import DatePicker
from governance.models import Organisation


def date_range(field_name: str, label_from: str, label_to: str) -> tuple[django_filters.DateFilter, ...]:
    """A from/to pair of date filters on a datetime field (inclusive on both days), with date pickers."""
    return tuple(
        django_filters.DateFilter(
            field_name=field_name,
            lookup_expr=lookup,
            label=label,
            widget=DatePicker(),
        )
        for lookup, label in (("date__gte", label_from), ("date__lte", label_to))
    )


# A yes/no filter reads "Any, Yes, No", not Django's "Unknown, Yes, No"; it sends true/false, as the API takes.
YES_NO_ANY_CHOICES = [("", "Any"), ("true", "Yes"), ("false", "No")]


class OrganisationFilterSet(django_filters.FilterSet):
    """A filter whose choices (models, units, owners) are those of the page's organisation, or, in the API, of
    every organisation of the user (token requests have no current organisation): ``self.organisation_ids``."""

    def __init__(self, *args, organisation: Organisation | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for filter_ in self.filters.values():
            if isinstance(filter_, django_filters.BooleanFilter):
                filter_.extra.setdefault("widget", forms.Select(choices=YES_NO_ANY_CHOICES))
        if organisation is not None:
            self.organisation_ids = [organisation.pk]
        elif self.request is not None:
            self.organisation_ids = organisation_ids_of(self.request.user)
        else:
            self.organisation_ids = []


class NamePickerFilter(django_filters.ModelChoiceFilter):
    """A record filter that takes a name (with suggestions as one types) or an id, never a drop-down of every
    record (governance.core.pickers)."""

    field_class = NamePickerField


MODEL_LOOKUP = reverse_lazy("governance:model-lookup")
