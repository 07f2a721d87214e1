"""Report forms: request a report, schedule one, verify a PDF. The kinds and their fields come from the registry."""

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.urls import reverse

from governance.core.pickers import NamePickerField
from governance.core.registry import ReportKindSpec, report_kinds
from governance.core.widgets import DatePicker
from governance.forms.base import ServiceForm
from governance.models import Organisation, ScheduleFrequency
from governance.reports.render import PERIOD_PARAMETERS
from governance.reports.services import available_kinds

_SEPARATORS = re.compile(r"[,;]")


class ReportSubjectForm(ServiceForm):
    """What a report is about: its kind and, by kind, the record it covers or its parameters.

    Each registered kind brings its fields: a record picker named by its ``subject_field`` and the fields of its
    parameters. Shared by the request form and the schedule form, so both offer the same kinds and map the
    service's errors back to the same fields. ``kind_groups`` tells the template which fields go with which kinds.
    """

    kind = forms.ChoiceField(label="Report")
    scheduled = False  # the schedule form: each kind's fields say how a run treats them

    def __init__(self, *args, organisation: Organisation | None = None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = available_kinds(user, organisation)
        self._groups: list[tuple[list[str], list[str]]] = []
        subject_kinds: dict[str, list[str]] = {}
        for spec in report_kinds:
            if spec.subject_model is not None:
                if spec.subject_field not in self.fields:
                    queryset = (
                        spec.subject_choices(organisation)
                        if spec.subject_choices
                        else spec.subjects(organisation)
                    )
                    if spec.subject_lookup:
                        self.fields[spec.subject_field] = NamePickerField(
                            queryset,
                            lookup_url=reverse(spec.subject_lookup),
                            required=False,
                            label=spec.subject_label,
                            help_text=f"{spec.subject_help} Type part of its name to choose.".strip(),
                        )
                    else:
                        self.fields[spec.subject_field] = forms.ModelChoiceField(
                            queryset=queryset,
                            required=False,
                            label=spec.subject_label,
                            help_text=spec.subject_help,
                        )
                subject_kinds.setdefault(spec.subject_field, []).append(spec.key)
            if spec.form_fields is not None:
                names = []
                for name, field in spec.form_fields(self.scheduled).items():
                    self.fields.setdefault(name, field)
                    names.append(name)
                self._groups.append(([spec.key], names))
        self._groups = [(kinds, [name]) for name, kinds in subject_kinds.items()] + self._groups

    @property
    def kind_groups(self) -> list[dict[str, Any]]:
        """[{"kinds": "model_dossier", "fields": [bound fields]}]: the template shows each group for its kinds."""
        return [
            {"kinds": " ".join(kinds), "fields": [self[name] for name in names]}
            for kinds, names in self._groups
        ]

    def spec(self) -> ReportKindSpec | None:
        return report_kinds.get(self.cleaned_data.get("kind") or "")

    def subject_id(self) -> int | None:
        spec = self.spec()
        if spec is None or spec.subject_model is None:
            return None
        chosen = self.cleaned_data.get(spec.subject_field)
        return chosen.pk if chosen else None

    def parameters(self) -> dict:
        """The report parameters the form carries for the chosen kind (e.g. a compliance report's framework)."""
        spec = self.spec()
        if spec is None or spec.parameters_from_form is None:
            return {}
        return spec.parameters_from_form(self.cleaned_data)

    def add_service_errors(self, exc: ValidationError, field_map: dict[str, str] | None = None) -> None:
        """Show the service's errors on the fields they concern (its ``subject_id`` is the kind's picker)."""
        spec = self.spec()
        subject_field = spec.subject_field if spec is not None and spec.subject_model is not None else "kind"
        super().add_service_errors(exc, {"subject_id": subject_field, **(field_map or {})})


class ReportRequestForm(ReportSubjectForm):
    period_start = forms.DateField(
        required=False,
        label="Period from",
        help_text="Optional.",
        widget=DatePicker(),
    )
    period_end = forms.DateField(required=False, label="Period to", widget=DatePicker())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        periodic = [spec for spec in report_kinds if spec.covers_period]
        if periodic:
            self._groups.append(([spec.key for spec in periodic], list(PERIOD_PARAMETERS)))
            helps = "; ".join(spec.period_help for spec in periodic if spec.period_help)
            self.fields["period_start"].help_text = f"Optional; {helps}." if helps else "Optional."

    def parameters(self) -> dict:
        """The kind's parameters, and the period of a kind that covers one, if given."""
        parameters = super().parameters()
        spec = self.spec()
        if spec is not None and spec.covers_period:
            for name in PERIOD_PARAMETERS:
                if self.cleaned_data.get(name):
                    parameters[name] = self.cleaned_data[name].isoformat()
        return parameters


class ReportScheduleForm(ReportSubjectForm):
    """What an administrator fills in; the service validates again (the API goes straight to it)."""

    frequency = forms.ChoiceField(
        choices=ScheduleFrequency.choices,
        initial=ScheduleFrequency.MONTHLY,
    )
    recipients = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One email address per line, or separated by commas. They need no Plumbline account.",
    )
    attach_pdf = forms.BooleanField(
        required=False,
        initial=True,
        label="Attach the PDF",
        help_text="Otherwise (and for PDFs too large to attach) the email links to the download page.",
    )
    active = forms.BooleanField(required=False, initial=True, label="Active")

    scheduled = True

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, organisation=organisation, **kwargs)
        # Keep the report's own fields first (kind, then its pickers), as on the request form.
        order = ["kind", *(name for _, names in self._groups for name in names)]
        self.order_fields(order)
        periodic = ", ".join(spec.label.lower() for spec in report_kinds if spec.covers_period)
        if periodic:
            self.fields[
                "frequency"
            ].help_text = f"A report about a period ({periodic}) covers the period just ended."

    @staticmethod
    def initial_for(schedule) -> dict[str, Any]:
        """The form's initial values for an existing schedule."""
        initial = {
            "kind": schedule.kind,
            "frequency": schedule.frequency,
            "recipients": "\n".join(schedule.recipients),
            "attach_pdf": schedule.attach_pdf,
            "active": schedule.active,
        }
        spec = report_kinds.get(schedule.kind)
        if spec is not None and spec.subject_model is not None:
            initial[spec.subject_field] = schedule.subject_id
        # Parameter fields are named as the parameter keys; a key with no field is ignored by the form.
        return {**(schedule.parameters or {}), **initial}

    def clean_recipients(self) -> list[str]:
        """The addresses as a list; a bad one is reported with its line, so a long list is easy to fix."""
        addresses, errors = [], []
        for number, line in enumerate(self.cleaned_data["recipients"].splitlines(), start=1):
            for part in _SEPARATORS.split(line):
                address = part.strip()
                if not address:
                    continue
                try:
                    validate_email(address)
                except ValidationError:
                    errors.append(f"Line {number}: “{address[:100]}” is not a valid email address.")
                else:
                    addresses.append(address)
        if errors:
            raise ValidationError(errors)
        if not addresses:
            raise ValidationError("Give at least one email address.")
        return addresses


class VerifyForm(forms.Form):
    report_id = forms.IntegerField(label="Report ID", required=False, min_value=1)
    file = forms.FileField(label="PDF file", required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("report_id") and not cleaned.get("file"):
            raise ValidationError("Give a report id or upload a PDF.")
        return cleaned


class PublicVerifyForm(forms.Form):
    """A PDF, or the SHA-256 of one (64 hexadecimal digits)."""

    file = forms.FileField(label="PDF file", required=False)
    sha256 = forms.RegexField(
        label="or its SHA-256",
        regex=r"^[0-9a-fA-F]{64}$",
        required=False,
        max_length=64,
        error_messages={"invalid": "A SHA-256 is 64 hexadecimal digits (0-9, a-f)."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "size": 70}),
    )

    def clean_sha256(self) -> str:
        return (self.cleaned_data.get("sha256") or "").lower()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("file") and not cleaned.get("sha256") and not self.errors:
            raise ValidationError("Upload the PDF or paste its SHA-256.")
        return cleaned
