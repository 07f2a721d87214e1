"""The report branding form; ``governance.services.branding`` checks the values and the logo and saves them."""

from django import forms

from governance.forms.base import ServiceForm
from governance.models import Organisation
from governance.rules.branding import MAX_CLASSIFICATION, MAX_ROLE_LENGTH, MAX_SIGNOFF_ROLES
from governance.services.branding import LOGO_MAX_BYTES, LOGO_MAX_SIDE


class BrandingForm(ServiceForm):
    """An organisation's report branding: classification line, accent colour, sign-off roles and logo."""

    classification = forms.CharField(
        label="Classification line",
        max_length=MAX_CLASSIFICATION,
        help_text="Printed on the cover and at the foot of every page, e.g. “Confidential — internal use”.",
    )
    accent_colour = forms.CharField(
        label="Accent colour",
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"placeholder": "#1f4e79", "size": 8, "spellcheck": "false"}),
        help_text=(
            "Headings, rules and table headers, as # and six hexadecimal digits; at least 3:1 contrast against "
            "white. Empty: Plumbline's blue."
        ),
    )
    signoff_roles = forms.CharField(
        label="Sign-off roles",
        required=False,
        widget=forms.Textarea(attrs={"rows": MAX_SIGNOFF_ROLES}),
        help_text=(
            f"One role per line, in signing order, at most {MAX_SIGNOFF_ROLES} of up to {MAX_ROLE_LENGTH} "
            "characters each, e.g. “Head of model risk”. Empty: each report's own reviewer and approver rows."
        ),
    )
    logo = forms.FileField(
        label="Logo",
        required=False,
        # A plain file input: the stored logo is shown above it, and removing it is the checkbox below.
        widget=forms.FileInput(attrs={"accept": ".png,.jpg,.jpeg,image/png,image/jpeg"}),
        help_text=(
            f"PNG or JPEG, at most {LOGO_MAX_BYTES // (1024 * 1024)} MiB and {LOGO_MAX_SIDE} x {LOGO_MAX_SIDE} "
            "pixels; shown on every report's cover."
        ),
    )
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)

    def __init__(self, *args, has_logo: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not has_logo:
            del self.fields["remove_logo"]

    @staticmethod
    def initial_for(organisation: Organisation) -> dict[str, str]:
        roles = organisation.report_signoff_roles
        return {
            "classification": organisation.classification,
            "accent_colour": organisation.report_accent_colour,
            "signoff_roles": "\n".join(str(role) for role in roles) if isinstance(roles, list) else "",
        }

    def clean_signoff_roles(self) -> list[str]:
        # Blank lines are spacing, not roles; the service checks the count, lengths and duplicates.
        return [line.strip() for line in self.cleaned_data["signoff_roles"].splitlines() if line.strip()]
