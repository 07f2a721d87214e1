"""Statement of Applicability forms: one control's decision, and issuing the statement."""

from django import forms
from django.contrib.auth import get_user_model

from governance.core.widgets import DatePicker
from governance.forms.base import ServiceForm
from governance.models import ImplementationStatus, Organisation
from governance.services import applicability as services
from governance.services import compliance as evidence

APPLICABLE_CHOICES = [
    ("", "Choose…"),
    ("yes", "Applicable: the control is included"),
    ("no", "Not applicable: excluded"),
]


class ControlApplicabilityForm(ServiceForm):
    """The decision on one Annex A control; the service checks what each choice requires."""

    applicable = forms.TypedChoiceField(
        choices=APPLICABLE_CHOICES,
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
        label="Applicability",
    )
    justification = forms.CharField(
        label="Justification",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=services.MAX_JUSTIFICATION,
        # The service says why it is needed (either way), with every other error at once.
        required=False,
        help_text="Why the control is included (the risk or obligation it treats) or excluded.",
    )
    implementation_status = forms.ChoiceField(
        choices=ImplementationStatus.choices,
        label="Implementation status",
        help_text="Only for an applicable control.",
    )
    owner = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        label="Owner",
        help_text="Who answers for the control; required when it applies.",
    )
    evidence_file = forms.FileField(label="Evidence file", required=False)
    clear_evidence_file = forms.BooleanField(label="Remove the stored evidence file", required=False)
    evidence_link = forms.URLField(
        label="Evidence link",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="e.g. the policy or procedure in your document system.",
    )
    next_review_due = forms.DateField(label="Next review due", required=False, widget=DatePicker())

    def __init__(self, *args, organisation: Organisation, has_file: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            get_user_model().objects.filter(memberships__organisation=organisation).order_by("username")
        )
        allowed = sorted(evidence.ALLOWED_EVIDENCE)
        limit_mib = evidence.evidence_max_bytes() / (1024 * 1024)
        self.fields[
            "evidence_file"
        ].help_text = f"{', '.join(f'.{e}' for e in allowed)}; at most {limit_mib:g} MiB."
        self.fields["evidence_file"].widget.attrs["accept"] = ",".join(f".{e}" for e in allowed)
        if not has_file:
            del self.fields["clear_evidence_file"]


class StatementIssueForm(ServiceForm):
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=services.MAX_NOTE,
        help_text="e.g. “Annual review before the surveillance audit”.",
    )
