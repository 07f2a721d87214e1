"""Forms of the model inventory pages; the services do the real validation, these shape the input (the model form
also asks the service's rules up front, so all its problems show at once)."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError

from governance.core.widgets import DatePicker
from governance.forms.base import ServiceForm, ServiceModelForm
from governance.models import (
    AIModel,
    BusinessUnit,
    FindingSeverity,
    LifecycleStage,
    ModelVersion,
    Organisation,
    ValidationOutcome,
    ValidationScope,
    VersionStatus,
)
from governance.selectors.inventory import PROMOTION_CHOICES, promotable_versions_of
from governance.services.inventory import EDITABLE_FIELDS, INITIAL_STAGES, model_problems

# The largest value a primary key can hold (a signed 64-bit integer).
MAX_ID = 2**63 - 1


def _members(organisation: Organisation):
    return get_user_model().objects.filter(memberships__organisation=organisation).order_by("username")


class MembersField(forms.ModelMultipleChoiceField):
    """Several members by id; an id beyond any primary key is an invalid choice.

    Django checks the chosen ids with an ``IN`` query, which SQLite refuses (OverflowError) for integers wider
    than 64 bits, so such an id is turned away before the query.
    """

    def _check_values(self, value):
        for pk in value:
            try:
                out_of_range = abs(int(str(pk))) > MAX_ID
            except ValueError:
                continue  # not an id at all: the parent reports it
            if out_of_range:
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                )
        return super()._check_values(value)


# The model form's sections, in the order a new model is described; a field missing from the form (the stage,
# when editing) is left out of its section.
MODEL_FIELDSETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Identity", ("name", "purpose", "model_type", "lifecycle_stage")),
    ("Ownership", ("owner", "developers", "business_unit")),
    (
        "Classification",
        (
            "eu_ai_act_category",
            "decisions_about_people",
            "processes_personal_data",
            "materiality",
            "complexity",
            "risk_tier_override",
            "risk_tier_override_reason",
        ),
    ),
    ("Deployment", ("deployment_environment", "data_sources", "third_party", "vendor")),
    ("Review", ("last_validated_on", "next_review_due")),
)
# Choices that classify a model: a new one starts with none chosen, so nobody files a model as "Minimal risk"
# by not looking. The database defaults stay for the API and the CSV import, which validate their own input.
CHOSEN_EXPLICITLY: dict[str, str] = {
    "eu_ai_act_category": "Choose the EU AI Act category.",
    "decisions_about_people": "Choose whether the model informs or makes decisions about people.",
}
CHOOSE = "— choose —"


class AIModelForm(ServiceModelForm):
    class Meta:
        model = AIModel
        fields = ["lifecycle_stage", *EDITABLE_FIELDS, "developers"]
        field_classes = {"developers": MembersField}
        widgets = {
            "last_validated_on": DatePicker(),
            "next_review_due": DatePicker(),
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "data_sources": forms.Textarea(attrs={"rows": 2}),
            "risk_tier_override_reason": forms.Textarea(attrs={"rows": 2}),
        }
        # The others read well as Django derives them from the field names.
        labels = {
            "eu_ai_act_category": "EU AI Act category",
            "third_party": "Third-party model",
            "risk_tier_override_reason": "Reason for the override",
        }
        help_texts = {
            "materiality": "1 (little business impact if wrong) to 5 (severe).",
            "complexity": "1 (simple, transparent) to 5 (hard to understand and validate).",
            "risk_tier_override": "Leave empty to use the tier derived from materiality, complexity and EU AI Act.",
        }

    def __init__(self, *args, organisation: Organisation, user: AbstractBaseUser | None = None, **kwargs):
        """``user``, when given, is preset as the owner of a new model if they are a member (who may own one)."""
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        members = _members(organisation)
        self.fields["owner"].queryset = members
        self.fields["developers"].queryset = members
        self.fields["developers"].required = False
        self.fields["business_unit"].queryset = BusinessUnit.objects.filter(organisation=organisation)
        self.fields["owner"].empty_label = CHOOSE
        self.fields["business_unit"].empty_label = "— none —"
        self.fields["risk_tier_override"].choices = [
            ("", "— none: the derived tier —"),
            *(c for c in self.fields["risk_tier_override"].choices if c[0] != ""),
        ]
        if self.instance.pk:
            # The stage moves through stage change requests, never through this form.
            del self.fields["lifecycle_stage"]
        else:
            self.fields["lifecycle_stage"].choices = [
                (value, label) for value, label in LifecycleStage.choices if value in INITIAL_STAGES
            ]
            for name, required in CHOSEN_EXPLICITLY.items():
                field = self.fields[name]
                field.choices = [("", CHOOSE), *(c for c in field.choices if c[0] != "")]
                field.initial = None
                field.error_messages["required"] = required
                self.initial.pop(name, None)
            if not self.initial.get("owner") and user is not None and members.filter(pk=user.pk).exists():
                self.initial["owner"] = user.pk
        sections = [
            Fieldset(legend, *(name for name in names if name in self.fields))
            for legend, names in MODEL_FIELDSETS
        ]
        self.order_fields([name for _, names in MODEL_FIELDSETS for name in names])
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the template's <form> has the token
        self.helper.layout = Layout(*sections)

    def clean(self) -> dict:
        """The model's own field rules (materiality 1 to 5…) and the inventory's (a name already taken, an override
        without a reason…) too, so that one round shows every problem; the service checks them again when it
        saves."""
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            try:
                AIModel._meta.get_field(name).run_validators(value)
            except ValidationError as exc:
                self.add_error(name, exc)
        problems = model_problems(
            organisation=self.organisation, data=cleaned, instance=self.instance if self.instance.pk else None
        )
        for field, messages in problems.items():
            self.add_error(field if field in self.fields else None, messages)
        return cleaned

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


class StageChangeForm(ServiceForm):
    requested_stage = forms.ChoiceField(choices=LifecycleStage.choices, label="New stage")
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Required for validation and production, which need an approval.",
    )


class PromotionForm(ServiceForm):
    """Promote one of the model's most recent candidates (pipelines register thousands of versions)."""

    version = forms.ModelChoiceField(
        queryset=None,
        label="Version to promote",
        help_text=(
            f"The {PROMOTION_CHOICES} most recent candidate versions, newest first; "
            "promote an older one through the API."
        ),
        error_messages={
            "invalid_choice": (
                f"Choose one of the listed versions: only the {PROMOTION_CHOICES} most recent candidates "
                "can be promoted here."
            )
        },
    )
    justification = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, model: AIModel, candidates: list[ModelVersion] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        version = self.fields["version"]
        version.queryset = promotable_versions_of(model)
        if candidates is not None:
            # The model page has read them already (selectors.release_candidates): a ModelChoiceField would read
            # them again to render. Validation still looks the choice up in the queryset.
            promotable = [v for v in candidates if v.status == VersionStatus.CANDIDATE][:PROMOTION_CHOICES]
            version.choices = [("", version.empty_label), *((v.pk, str(v)) for v in promotable)]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="Required when rejecting."
    )
    override_justification = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    # The failing checks the decision page showed (comma-separated); None when the form did not send it.
    seen_failures = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def clean_seen_failures(self) -> list[str] | None:
        if "seen_failures" not in self.data:
            return None
        return [name for name in self.cleaned_data["seen_failures"].split(",") if name]


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, with a header row; at most 5 MB.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise ValidationError("The file is larger than 5 MB.")
        return upload


class ValidationForm(ServiceForm):
    """An independent validation of one of the model's recent versions."""

    version = forms.ModelChoiceField(queryset=None, label="Version validated")
    scope = forms.MultipleChoiceField(
        choices=ValidationScope.choices, widget=forms.CheckboxSelectMultiple, label="Scope"
    )
    started_on = forms.DateField(widget=DatePicker())
    completed_on = forms.DateField(widget=DatePicker(), required=False, help_text="Empty while under way.")
    outcome = forms.ChoiceField(choices=[("", "— under way —"), *ValidationOutcome.choices], required=False)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    evidence_link = forms.URLField(
        required=False, max_length=500, assume_scheme="https", help_text="The validation report, as a link…"
    )
    evidence_file = forms.FileField(
        required=False, help_text="…or as a file (PDF, DOCX, XLSX, images, text), checked whole."
    )

    def __init__(self, *args, model: AIModel, **kwargs):
        super().__init__(*args, **kwargs)
        # A sliced queryset cannot validate a choice: offer the recent ones by id.
        recent = list(
            model.versions.order_by("-registered_at").values_list("pk", flat=True)[:PROMOTION_CHOICES]
        )
        self.fields["version"].queryset = model.versions.filter(pk__in=recent).order_by("-registered_at")

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version")
        data["scope"] = list(data["scope"])
        if data.get("evidence_file") is None:
            data.pop("evidence_file", None)
        return data


class FindingForm(ServiceForm):
    title = forms.CharField(max_length=200)
    severity = forms.ChoiceField(choices=FindingSeverity.choices)
    due_date = forms.DateField(widget=DatePicker(), required=False)


class ReleasePolicyForm(ServiceForm):
    """A new version of the release policy, written as YAML (the format of the shipped default)."""

    rules = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 30, "class": "code", "spellcheck": "false"}),
        help_text="profiles → target (validation, production, champion) → checks, as in the default policy.",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text="What changed and why: auditors read it.",
    )

    def clean_rules(self):
        import yaml

        try:
            rules = yaml.safe_load(self.cleaned_data["rules"])
        except yaml.YAMLError as exc:
            raise ValidationError(f"This is not valid YAML: {exc}") from exc
        return rules
