"""Date pickers carry ISO 8601 values whatever the locale.

A browser's <input type="date"> accepts only yyyy-mm-dd. Rendered with en-gb's first input format (dd/mm/yyyy)
it showed an empty picker, so saving the model's edit form unchanged cleared its review date.
"""

import datetime
import importlib
import inspect
import re

from django import forms
from django.urls import reverse

from governance.core.widgets import DatePicker, DateTimePicker
from governance.models import AIModel

FORM_MODULES = [
    "governance.forms.accounts",
    "governance.forms.audit",
    "governance.forms.compliance",
    "governance.forms.incidents",
    "governance.forms.inventory",
    "governance.forms.monitoring",
    "governance.forms.reports",
    "governance.forms.risks",
    "governance.selectors.filters",
    "maturity.forms",
]


def _form_classes():
    for name in FORM_MODULES:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == name:
                yield cls


def test_every_date_field_uses_an_iso_picker():
    offenders = []
    for cls in _form_classes():
        for field_name, field in getattr(cls, "base_fields", {}).items():
            widget = field.widget
            if (isinstance(widget, forms.DateTimeInput) and not isinstance(widget, DateTimePicker)) or (
                isinstance(widget, forms.DateInput) and not isinstance(widget, DatePicker)
            ):
                offenders.append(f"{cls.__name__}.{field_name}")
    assert offenders == []


def test_pickers_render_iso_values():
    assert 'value="2027-04-26"' in DatePicker().render("d", datetime.date(2027, 4, 26))
    assert 'value="2027-04-26T09:05"' in DateTimePicker().render(
        "t", datetime.datetime(2027, 4, 26, 9, 5, 30)
    )


def test_saving_the_model_form_unchanged_keeps_its_dates(login, model_owner, ai_model):
    AIModel.objects.filter(pk=ai_model.pk).update(
        next_review_due=datetime.date(2027, 4, 26), last_validated_on=datetime.date(2026, 5, 5)
    )
    client = login(model_owner)
    url = reverse("governance:model-edit", args=[ai_model.pk])
    page = client.get(url)
    html = page.content.decode()
    assert 'name="next_review_due" value="2027-04-26"' in html
    assert 'name="last_validated_on" value="2026-05-05"' in html

    form = page.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None or (isinstance(field.widget, forms.CheckboxInput) and not value):
            continue
        if isinstance(field.widget, forms.DateInput):
            # What the browser posts back is what the page rendered.
            value = re.search(rf'name="{name}" value="([^"]*)"', html).group(1)
        data[name] = value
    assert client.post(url, data).status_code == 302
    ai_model.refresh_from_db()
    assert ai_model.next_review_due == datetime.date(2027, 4, 26)
    assert ai_model.last_validated_on == datetime.date(2026, 5, 5)
