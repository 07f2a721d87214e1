"""The registry connection form: what an administrator types; the service validates it again (URL, alias)."""

from django import forms

from governance.forms.base import ServiceForm
from governance.models import RegistryConnection
from governance.services.registry_sync import MAX_TOKEN_LENGTH


class RegistryConnectionForm(ServiceForm):
    name = forms.CharField(max_length=120, help_text="Which tracking server, e.g. “Production MLflow”.")
    # A CharField: the service judges the URL (http or https, no credentials in it) and says why.
    tracking_url = forms.CharField(
        label="Tracking server URL",
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://mlflow.example.com"}),
        help_text="The base URL the MLflow client's MLFLOW_TRACKING_URI names; Plumbline calls its REST API.",
    )
    token = forms.CharField(
        label="Access token",
        required=False,
        max_length=MAX_TOKEN_LENGTH,
        strip=True,
        # Never rendered back: the stored token is write-only.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Sent as a bearer token. Leave it empty for a server without authentication.",
    )
    remove_token = forms.BooleanField(
        required=False, label="Remove the stored token", help_text="The server then gets no token."
    )
    champion_alias = forms.CharField(
        max_length=60,
        initial="champion",
        help_text="The alias Plumbline sets when it approves a promotion, and watches for unapproved moves.",
    )
    active = forms.BooleanField(
        required=False, initial=True, help_text="Switched off, it is neither synced nor sent aliases."
    )

    def __init__(self, *args, connection: RegistryConnection | None = None, **kwargs):
        if connection is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": connection.name,
                "tracking_url": connection.tracking_url,
                "champion_alias": connection.champion_alias,
                "active": connection.active,
            }
        super().__init__(*args, **kwargs)
        if connection is None:
            del self.fields["remove_token"]
        else:
            self.fields["token"].label = "New access token"
            self.fields["token"].help_text = "Leave it empty to keep the stored token" + (
                " (one is stored)." if connection.token_encrypted else " (none is stored)."
            )

    def clean(self):
        data = super().clean()
        if data.get("remove_token") and data.get("token"):
            self.add_error("token", "Give a new token or remove the stored one, not both.")
        return data

    def token_argument(self) -> str | None:
        """The service's ``token``: None keeps the stored one, "" removes it, text replaces it."""
        if self.cleaned_data.get("remove_token"):
            return ""
        return self.cleaned_data.get("token") or None
