"""The audit page's one form: which part of the trail an evidence bundle holds."""

from django import forms

from governance.core.widgets import DatePicker
from governance.forms.base import ServiceForm


class AuditBundleForm(ServiceForm):
    date_from = forms.DateField(
        required=False,
        label="Events from",
        help_text="Leave both dates empty for the whole trail.",
        widget=DatePicker(),
    )
    date_to = forms.DateField(required=False, label="to", widget=DatePicker())
