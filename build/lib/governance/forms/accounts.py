"""Forms of a person's own account: a new API token, a second-factor code."""

from django import forms
from django.conf import settings

from governance.forms.base import ServiceForm
from governance.models import ApiToken, TokenScope

LIFETIMES = (7, 30, 90, 180, 365)


def lifetime_choices() -> list[tuple[int, str]]:
    days = [d for d in LIFETIMES if d <= settings.API_TOKEN_MAX_DAYS] or [settings.API_TOKEN_MAX_DAYS]
    return [(d, f"{d} days") for d in days]


class ApiTokenForm(ServiceForm):
    name = forms.CharField(
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text="What will use it, e.g. “Jenkins deploy pipeline”.",
    )
    scope = forms.ChoiceField(
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        widget=forms.RadioSelect,
        help_text="Read only: GET requests only. Read and write: also changes, as your role allows.",
    )
    lifetime_days = forms.TypedChoiceField(
        label="Expires after", coerce=int, choices=lifetime_choices, initial=90
    )


class SecondFactorCodeForm(ServiceForm):
    code = forms.CharField(
        label="Code",
        max_length=64,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
        help_text="The 6 digits your authenticator app shows, or one of your recovery codes.",
    )
