"""The webhook endpoint form: what an administrator types; the service validates it again (URL rules, events)."""

from django import forms

from governance.forms.base import ServiceForm
from governance.models import WebhookEndpoint
from governance.services.webhooks import EVENTS, MAX_SECRET_LENGTH, MIN_SECRET_LENGTH


class WebhookEndpointForm(ServiceForm):
    name = forms.CharField(
        max_length=120, help_text="What receives the events, e.g. “Ops alerts (PagerDuty)”."
    )
    # A CharField: the service judges the URL (https only, no credentials, no internal addresses) and says why.
    url = forms.CharField(
        label="URL",
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://hooks.example.com/plumbline"}),
        help_text="Plumbline POSTs each event here as signed JSON. https is required.",
    )
    events = forms.MultipleChoiceField(
        choices=[(name, f"{name} — {description}") for name, description in EVENTS.items()],
        widget=forms.CheckboxSelectMultiple,
        help_text="The events this endpoint receives.",
    )
    secret = forms.CharField(
        required=False,
        max_length=MAX_SECRET_LENGTH,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=(
            f"At least {MIN_SECRET_LENGTH} characters. Leave it empty and Plumbline generates one, shown once."
        ),
    )
    active = forms.BooleanField(required=False, initial=True, help_text="Switched off, it receives nothing.")

    def __init__(self, *args, endpoint: WebhookEndpoint | None = None, **kwargs):
        if endpoint is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": endpoint.name,
                "url": endpoint.url,
                "events": list(endpoint.events),
                "active": endpoint.active,
            }
        super().__init__(*args, **kwargs)
        if endpoint is not None:
            self.fields["secret"].label = "New secret"
            self.fields["secret"].help_text = (
                f"Leave it empty to keep the current secret; a new one needs {MIN_SECRET_LENGTH} characters or "
                "more. “Rotate secret” on the list generates one."
            )
