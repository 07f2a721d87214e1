"""Forms for the maturity pages: they only parse and label input; the services validate and save."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from governance.core.widgets import DatePicker
from governance.forms.base import ServiceForm
from governance.forms.inventory import MAX_ID
from governance.models import BusinessUnit
from maturity import scoring
from maturity.levels import LEVEL_NAMES
from maturity.models import MAX_LEVEL, Answer, Factor, ImprovementStatus, Question, ScheduleFrequency

DEFAULT_TARGET = 3.0


def target_field_name(factor_key: str) -> str:
    return f"target_{factor_key}"


def target_field(factor: Factor, initial: float, label: str | None = None) -> forms.FloatField:
    """A 0 to 5 target level input for one factor, in half-level steps."""
    return forms.FloatField(
        label=label or f"Target: {factor.name}",
        min_value=0,
        max_value=MAX_LEVEL,
        initial=initial,
        widget=forms.NumberInput(attrs={"step": "0.5"}),
    )


class _FactorTargetsMixin:
    """The ``target_<key>`` fields of the factors in ``self.factors`` (which ``__init__`` sets)."""

    factors: list[Factor]

    def targets(self) -> dict[str, float]:
        """The cleaned {factor_key: level} the services take."""
        return {f.key: self.cleaned_data[target_field_name(f.key)] for f in self.factors}

    def add_service_errors(self, exc: ValidationError, field_map: dict[str, str] | None = None) -> None:
        # The services key target errors by factor key; the form names those fields target_<key>.
        targets = {f.key: target_field_name(f.key) for f in self.factors}
        super().add_service_errors(exc, {**targets, **(field_map or {})})


class NewAssessmentForm(_FactorTargetsMixin, ServiceForm):
    """Title, optional business unit and a target level per factor (prefilled from the organisation's targets)."""

    title = forms.CharField(max_length=200)
    business_unit = forms.ModelChoiceField(
        queryset=BusinessUnit.objects.none(),
        required=False,
        empty_label="Whole organisation",
        help_text="Leave empty to assess the whole organisation.",
    )

    def __init__(
        self,
        *args,
        organisation,
        factors: Iterable[Factor],
        targets: dict[str, float] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["business_unit"].queryset = BusinessUnit.objects.filter(organisation=organisation)
        targets = targets or {}
        self.factors = list(factors)
        for factor in self.factors:
            self.fields[target_field_name(factor.key)] = target_field(
                factor, targets.get(factor.key, DEFAULT_TARGET)
            )

    def target_fields(self) -> list[forms.BoundField]:
        return [self[target_field_name(f.key)] for f in self.factors]


class AnswerForm(forms.Form):
    """One question's answer; prefixed with the question key so a factor page holds many."""

    level = forms.TypedChoiceField(
        choices=[],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    not_applicable = forms.BooleanField(required=False, label="Not applicable")
    not_applicable_reason = forms.CharField(
        required=False,
        label="Why it does not apply",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    evidence_links = forms.CharField(
        required=False,
        label="Evidence links",
        help_text="One URL or document reference per line.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    evidence_justification = forms.CharField(
        required=False,
        label="Why this rating stands",
        help_text="Plumbline's records support a lower level: say what they do not show (at least a sentence).",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self, *args, question: Question, answer: Answer | None = None, evidence: Any = None, **kwargs
    ):
        if answer is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "level": answer.level,
                "not_applicable": answer.not_applicable,
                "not_applicable_reason": answer.not_applicable_reason,
                "comment": answer.comment,
                "evidence_links": "\n".join(answer.evidence_links or []),
                "evidence_justification": answer.evidence_justification,
            }
        kwargs.setdefault("prefix", question.key)
        super().__init__(*args, **kwargs)
        self.question = question
        self.answer = answer
        # ``maturity.selectors.QuestionEvidence`` when Plumbline observes this practice, else None.
        self.evidence = evidence
        descriptors = list(question.level_descriptors or [])
        self.fields["level"].choices = [
            (level, descriptors[level] if level < len(descriptors) else "") for level in range(MAX_LEVEL + 1)
        ]
        self.fields["level"].label = question.text

    def level_options(self) -> list[dict]:
        """Each level with its name, descriptor, input id and whether it is chosen (for the template)."""
        bound = self["level"]
        chosen = bound.value()
        chosen = str(chosen) if chosen not in (None, "") else None
        return [
            {
                "value": value,
                "name": LEVEL_NAMES.get(value, str(value)),
                "descriptor": descriptor,
                "id": f"{bound.auto_id}_{value}",
                "checked": chosen == str(value),
            }
            for value, descriptor in self.fields["level"].choices
        ]

    @property
    def flagged(self) -> bool:
        """The rating shown (posted, else saved) is above what the evidence supports."""
        if self.evidence is None:
            return False
        chosen = self["level"].value()
        try:
            level = int(chosen) if chosen not in (None, "") else None
        except (TypeError, ValueError):
            level = None
        return scoring.is_flagged(level, self.evidence.supported_level)

    def to_service(self) -> dict:
        """The dict ``services.save_answers`` takes."""
        data = self.cleaned_data
        links = [line.strip() for line in (data.get("evidence_links") or "").splitlines() if line.strip()]
        return {
            "question": self.question.key,
            "level": data.get("level"),
            "not_applicable": bool(data.get("not_applicable")),
            "not_applicable_reason": data.get("not_applicable_reason", "").strip(),
            "comment": data.get("comment", "").strip(),
            "evidence_links": links,
            "evidence_justification": data.get("evidence_justification", "").strip(),
        }

    def is_blank(self) -> bool:
        """Nothing entered and nothing saved before: no need to send it to the service."""
        item = self.to_service()
        has_input = (
            item["level"] is not None
            or item["not_applicable"]
            or item["not_applicable_reason"]
            or item["comment"]
            or item["evidence_links"]
            or item["evidence_justification"]
        )
        return not has_input and self.answer is None


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label="Reason for returning",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The assessor sees this and revises the draft.",
        error_messages={"required": "Give a reason for returning the assessment."},
    )


class ApproveForm(forms.Form):
    comment = forms.CharField(
        label="Comment (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the approval, e.g. why the evidence flags are accepted.",
    )


class TargetsForm(_FactorTargetsMixin, ServiceForm):
    """A target level per factor: the organisation's defaults, or one assessment's targets."""

    def __init__(self, *args, factors: Iterable[Factor], targets: dict[str, float] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        targets = targets or {}
        self.factors = list(factors)
        for factor in self.factors:
            self.fields[target_field_name(factor.key)] = target_field(
                factor, targets.get(factor.key, DEFAULT_TARGET), label=factor.name
            )


class ScheduleForm(ServiceForm):
    """How often one scope (organisation or business unit) is reassessed, and whether the schedule runs."""

    frequency = forms.ChoiceField(choices=ScheduleFrequency.choices, initial=ScheduleFrequency.QUARTERLY)
    active = forms.BooleanField(
        required=False,
        initial=True,
        label="Active",
        help_text="Paused schedules keep their history but open no new drafts.",
    )


class _MemberField(forms.ModelChoiceField):
    """One member of the organisation by id; an id beyond any primary key is an invalid choice, not a query."""

    def to_python(self, value):
        try:
            out_of_range = value not in self.empty_values and abs(int(str(value))) > MAX_ID
        except ValueError:
            out_of_range = False
        if out_of_range:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


def _members(organisation):
    return get_user_model().objects.filter(memberships__organisation=organisation).order_by("username")


class AdoptForm(ServiceForm):
    """Adopt one roadmap item: who owns it and by when (prefixed with the question key: one form per item)."""

    owner = _MemberField(queryset=None, label="Owner")
    due_date = forms.DateField(label="Due", widget=DatePicker())

    def __init__(self, *args, organisation, members: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        owner.queryset = _members(organisation)
        owner.label_from_instance = _person
        if members is not None:
            # The results page shows one form per roadmap item: a ModelChoiceField would read the members again
            # for each, so the page passes them once. Validation still checks the choice against the queryset.
            owner.choices = [("", owner.empty_label), *((member.pk, _person(member)) for member in members)]

    @staticmethod
    def members(organisation) -> list:
        """The organisation's members, read once for every adopt form of a page."""
        return list(_members(organisation))


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


class ImprovementUpdateForm(ServiceForm):
    status = forms.ChoiceField(choices=ImprovementStatus.choices)
    note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What was done, or why the action was dropped.",
    )
