"""Forms whose input a service validates: the service's ``ValidationError`` is shown on the fields it names."""

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(
    form: forms.BaseForm, exc: ValidationError, field_map: dict[str, str] | None = None
) -> None:
    """Show a service's ``exc`` on ``form``: each error next to the field it names, the rest above the form.

    ``field_map`` renames the service's keys to the form's field names where they differ. Errors without a
    field, or naming a field the form does not have, become non-field errors. For forms that cannot inherit
    ``ServiceForm`` (formsets, forms of other libraries); the others call their ``add_service_errors``.
    """
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    field_map = field_map or {}
    for key, messages in errors.items():
        field = field_map.get(key, key)
        form.add_error(field if field in form.fields else None, messages)


class ServiceErrorsMixin:
    """``form.add_service_errors(exc)``, for a form class that already has its Django base."""

    def add_service_errors(self, exc: ValidationError, field_map: dict[str, str] | None = None) -> None:
        add_service_errors(self, exc, field_map)


class ServiceForm(ServiceErrorsMixin, forms.Form):
    """A form whose cleaned data a service validates and saves."""


class ServiceModelForm(ServiceErrorsMixin, forms.ModelForm):
    """A model form that only shapes input: the service validates the instance and saves it."""

    def _post_clean(self):
        # Model-level validation happens in the service, which knows the organisation; building the instance
        # here would also change it before the service takes its audit snapshot.
        pass
