"""The compliance record form; the service checks what each status requires and stores the evidence."""

from django import forms

from governance.core.widgets import DatePicker
from governance.forms.base import ServiceForm
from governance.models import ComplianceStatus
from governance.services import compliance as services

STATUS_CHOICES = [c for c in ComplianceStatus.choices if c[0] != ComplianceStatus.NOT_ASSESSED]


class ComplianceRecordForm(ServiceForm):
    """A review of one model against one requirement."""

    status = forms.ChoiceField(choices=STATUS_CHOICES, label="Status")
    not_applicable_reason = forms.CharField(
        label="Why it does not apply",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Required when the status is not applicable.",
    )
    evidence_file = forms.FileField(label="Evidence file", required=False)
    clear_evidence_file = forms.BooleanField(label="Remove the stored evidence file", required=False)
    evidence_link = forms.URLField(
        label="Evidence link",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="e.g. the validation report in your document system.",
    )
    notes = forms.CharField(
        label="Notes",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Required for partial and non-compliant: what is missing and what is planned.",
    )
    next_review_due = forms.DateField(
        label="Next review due",
        required=False,
        widget=DatePicker(),
    )

    def __init__(self, *args, has_file: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = ", ".join(f".{ext}" for ext in sorted(services.ALLOWED_EVIDENCE))
        limit_mib = services.evidence_max_bytes() / (1024 * 1024)
        self.fields["evidence_file"].help_text = f"{allowed}; at most {limit_mib:g} MiB."
        self.fields["evidence_file"].widget.attrs["accept"] = ",".join(
            f".{ext}" for ext in sorted(services.ALLOWED_EVIDENCE)
        )
        if not has_file:
            del self.fields["clear_evidence_file"]
