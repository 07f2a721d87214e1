"""API representations of questionnaires, assessments, answers and scores.

Input validation of answers and targets lives in ``maturity.services``; these serializers shape data and document
it in the schema.
"""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from governance.core.api.fields import MemberOrganisation, UserScopedPrimaryKey
from governance.core.scheduling import RunStatus
from governance.models import BusinessUnit
from maturity.levels import LEVEL_NAMES
from maturity.models import (
    MAX_LEVEL,
    Answer,
    Assessment,
    AssessmentStatus,
    Factor,
    Question,
    Questionnaire,
    ReassessmentSchedule,
    ScheduleFrequency,
)


class LevelDescriptorSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    name = serializers.CharField()
    descriptor = serializers.CharField()


class QuestionSerializer(serializers.ModelSerializer):
    levels = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = ["key", "text", "guidance", "weight", "order", "levels"]

    @extend_schema_field(LevelDescriptorSerializer(many=True))
    def get_levels(self, question: Question) -> list[dict[str, Any]]:
        descriptors = list(question.level_descriptors or [])
        return [
            {
                "level": level,
                "name": name,
                "descriptor": descriptors[level] if level < len(descriptors) else "",
            }
            for level, name in LEVEL_NAMES.items()
        ]


class FactorSerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Factor
        fields = ["key", "name", "description", "weight", "order", "questions"]


class QuestionnaireSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Questionnaire
        fields = ["id", "version", "title", "is_current", "loaded_at", "source_sha256"]


class QuestionnaireSerializer(QuestionnaireSummarySerializer):
    factors = FactorSerializer(many=True, read_only=True)

    class Meta(QuestionnaireSummarySerializer.Meta):
        fields = [*QuestionnaireSummarySerializer.Meta.fields, "factors"]


class ProgressSerializer(serializers.Serializer):
    answered = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()


class AssessmentSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    questionnaire_version = serializers.CharField(source="questionnaire.version", read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = [
            "id",
            "organisation",
            "business_unit",
            "questionnaire",
            "questionnaire_version",
            "title",
            "status",
            "targets",
            "progress",
            "overall_score",
            "factor_scores",
            "returned_reason",
            "approval_comment",
            "created_by",
            "created_at",
            "submitted_by",
            "submitted_at",
            "approved_by",
            "approved_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, assessment: Assessment) -> dict[str, int]:
        answered = getattr(assessment, "answered_count", None)
        total = getattr(assessment, "total_count", None)
        if answered is None or total is None:
            answered = sum(1 for a in assessment.answers.all() if a.is_answered)
            total = Question.objects.filter(factor__questionnaire_id=assessment.questionnaire_id).count()
        answered, total = int(answered or 0), int(total or 0)
        return {
            "answered": answered,
            "total": total,
            "percent": round(100 * answered / total) if total else 0,
        }


class TargetsField(serializers.DictField):
    def __init__(self, **kwargs):
        super().__init__(child=serializers.FloatField(min_value=0, max_value=MAX_LEVEL), **kwargs)


class AssessmentCreateSerializer(serializers.Serializer):
    organisation = MemberOrganisation(required=True, help_text=None)
    title = serializers.CharField(max_length=200)
    business_unit = UserScopedPrimaryKey(queryset=BusinessUnit.objects.all(), required=False, allow_null=True)
    targets = TargetsField(required=False, help_text="{factor_key: target level 0-5}")


class AssessmentTargetsSerializer(serializers.Serializer):
    targets = TargetsField(help_text="{factor_key: target level 0-5}; factors not named keep their target.")


class AnswerInputSerializer(serializers.Serializer):
    question = serializers.CharField(help_text='The question key, e.g. "strategy-q1".')
    level = serializers.IntegerField(min_value=0, max_value=MAX_LEVEL, allow_null=True, required=False)
    not_applicable = serializers.BooleanField(required=False, default=False)
    not_applicable_reason = serializers.CharField(required=False, allow_blank=True)
    comment = serializers.CharField(required=False, allow_blank=True)
    evidence_links = serializers.ListField(child=serializers.CharField(), required=False)
    evidence_justification = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Why the level stands although Plumbline's records support a lower one (needed to submit).",
    )


class AnswerSerializer(serializers.ModelSerializer):
    question = serializers.CharField(source="question.key", read_only=True)
    factor = serializers.CharField(source="question.factor.key", read_only=True)
    answered_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Answer
        fields = [
            "question",
            "factor",
            "level",
            "not_applicable",
            "not_applicable_reason",
            "comment",
            "evidence_links",
            "evidence_justification",
            "needs_confirmation",
            "answered_by",
            "updated_at",
        ]
        read_only_fields = fields


class SavedAnswersSerializer(serializers.Serializer):
    saved = serializers.IntegerField()


class ReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the assessment goes back to the assessor.")


class ApproveSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="Kept with the approval."
    )


class EvidenceFlagSerializer(serializers.Serializer):
    """An answer rated above what Plumbline's records supported when it was observed."""

    question_key = serializers.CharField()
    question_text = serializers.CharField()
    factor_key = serializers.CharField()
    label = serializers.CharField(help_text='As the factor pages number it, e.g. "Governance 1".')
    level = serializers.IntegerField(help_text="The self-assessed level.")
    supported_level = serializers.IntegerField(help_text="The highest level the records supported.")
    statement = serializers.CharField(help_text="What was observed.")
    observed_on = serializers.DateField()
    justification = serializers.CharField(allow_blank=True)


class FactorResultSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    weight = serializers.FloatField()
    score = serializers.FloatField(allow_null=True)
    target = serializers.FloatField(allow_null=True)
    gap = serializers.FloatField()
    level_name = serializers.CharField()
    answered = serializers.IntegerField()
    total = serializers.IntegerField()
    evidence_score = serializers.FloatField(
        allow_null=True,
        help_text="The score with each rating above the evidence lowered to what it supports.",
    )
    flags = serializers.IntegerField(help_text="Answers rated above what the evidence supports.")


class RoadmapItemSerializer(serializers.Serializer):
    question_key = serializers.CharField()
    question_text = serializers.CharField()
    factor_key = serializers.CharField()
    factor_name = serializers.CharField()
    current_level = serializers.IntegerField()
    next_level = serializers.IntegerField()
    recommended_action = serializers.CharField()
    priority = serializers.FloatField()
    effort = serializers.ChoiceField(
        choices=["S", "M", "L", ""],
        help_text="S: weeks, one team; M: a quarter; L: several quarters; '': unknown.",
    )
    horizon = serializers.IntegerField(help_text="0: next quarter, 1: within 6 months, 2: within 12 months.")
    horizon_name = serializers.CharField()
    waits_for = serializers.ListField(
        child=serializers.CharField(),
        help_text="Prerequisites not yet met, as 'question-key>=level'.",
    )


class CrosswalkGapSerializer(serializers.Serializer):
    question = serializers.CharField(source="requirement.question")
    question_text = serializers.CharField()
    min_level = serializers.IntegerField(source="requirement.min_level")
    current = serializers.IntegerField(
        allow_null=True, help_text="The answered level; null if N/A or unanswered."
    )
    why = serializers.CharField(source="requirement.why")


class CrosswalkRowSerializer(serializers.Serializer):
    """The assessment's place on one public MLOps maturity model."""

    model = serializers.CharField(source="model.key")
    model_name = serializers.CharField(source="model.name")
    source_url = serializers.CharField(source="model.source_url")
    level = serializers.IntegerField(source="self_assessed.level.level")
    level_name = serializers.CharField(source="self_assessed.level.name")
    evidence_level = serializers.IntegerField(
        source="on_evidence.level.level", help_text="The level with ratings above the evidence lowered."
    )
    evidence_level_name = serializers.CharField(source="on_evidence.level.name")
    next_level = serializers.IntegerField(
        source="self_assessed.next_level.level", allow_null=True, default=None
    )
    next_level_name = serializers.CharField(
        source="self_assessed.next_level.name", allow_null=True, default=None
    )
    missing = CrosswalkGapSerializer(source="self_assessed.missing", many=True)


class AssessmentResultSerializer(serializers.Serializer):
    overall = serializers.FloatField(allow_null=True)
    level_name = serializers.CharField()
    answered = serializers.IntegerField()
    total = serializers.IntegerField()
    evidence_overall = serializers.FloatField(allow_null=True)
    factors = FactorResultSerializer(many=True)
    roadmap = RoadmapItemSerializer(many=True)
    roadmap_rule = serializers.CharField(help_text="How the roadmap is prioritised and placed in horizons.")
    evidence_flags = EvidenceFlagSerializer(many=True)
    crosswalk_version = serializers.CharField()
    crosswalk = CrosswalkRowSerializer(many=True)


class ReassessmentScheduleSerializer(serializers.ModelSerializer):
    """A reassessment schedule as the API shows it; changed only through ``maturity.services.save_schedule``."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ReassessmentSchedule
        fields = [
            "id",
            "organisation",
            "business_unit",
            "frequency",
            "active",
            "next_run_on",
            "last_run_period",
            "last_assessment",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class ScheduleInputSerializer(serializers.Serializer):
    """The scope (organisation, optional business unit) and how often it is reassessed."""

    organisation = MemberOrganisation(required=True, help_text=None)
    business_unit = UserScopedPrimaryKey(
        queryset=BusinessUnit.objects.all(),
        required=False,
        allow_null=True,
        help_text="Leave out (or null) for the organisation-wide schedule.",
    )
    frequency = serializers.ChoiceField(choices=ScheduleFrequency.choices)
    active = serializers.BooleanField(required=False, default=True)


class ScheduleChangeSerializer(serializers.Serializer):
    """A change to an existing schedule; fields left out keep their value."""

    frequency = serializers.ChoiceField(choices=ScheduleFrequency.choices, required=False)
    active = serializers.BooleanField(required=False)


class ScheduleRunSerializer(serializers.Serializer):
    """What "run now" answers (202): the period and where to poll the run."""

    period = serializers.CharField(help_text='The period whose draft is being opened, e.g. "2026-Q4".')
    status = serializers.ChoiceField(choices=RunStatus.choices, help_text="Always queued here.")
    url = serializers.URLField(
        help_text="Poll this run: GET it until its status is done or failed (the Location header has it too)."
    )


class RunAssessmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=AssessmentStatus.choices)
    url = serializers.URLField(help_text="The draft: GET /api/v1/assessments/{id}/.")


class ReassessmentRunSerializer(serializers.Serializer):
    """One run of a reassessment schedule (one period) and the draft it opened."""

    period = serializers.CharField()
    status = serializers.ChoiceField(
        choices=RunStatus.choices,
        help_text="queued: the run is still to come; done: it opened its draft (assessment); failed: it will not "
        "run (the schedule was paused, or the period ended first; detail says which).",
    )
    detail = serializers.CharField(help_text="The status in a sentence, with the reason when it failed.")
    assessment = RunAssessmentSerializer(allow_null=True)
