"""The maturity questionnaire (versioned data) and assessments answered against one version of it."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Concat

MAX_LEVEL = 5


class Questionnaire(models.Model):
    """One version of the questionnaire, loaded from maturity/data/questionnaire/*.yaml."""

    version = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=200)
    source_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the data file it was loaded from.")
    is_current = models.BooleanField(default=False)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-loaded_at"]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @staticmethod
    def str_sql() -> models.Expression:
        """``str(record)`` in SQL (governance.core.naming)."""
        return Concat(
            models.F("title"), models.Value(" v"), models.F("version"), output_field=models.CharField()
        )


class Factor(models.Model):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="factors")
    key = models.SlugField(max_length=40, help_text="Stable across versions: strategy, architecture, ...")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    weight = models.FloatField(default=1.0, validators=[MinValueValidator(0.0)])
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["questionnaire", "order"]
        constraints = [models.UniqueConstraint(fields=["questionnaire", "key"], name="unique_factor_key")]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    factor = models.ForeignKey(Factor, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=80)
    text = models.TextField()
    guidance = models.TextField(blank=True, help_text="What evidence an assessor should look for.")
    weight = models.FloatField(default=1.0, validators=[MinValueValidator(0.0)])
    order = models.PositiveSmallIntegerField(default=0)
    # Six descriptors, index = level 0..5.
    level_descriptors = models.JSONField()
    # {"signal": <maturity.evidence signal>, "at_least": {level: share needed}}; empty when the system of record
    # cannot observe the practice.
    evidence = models.JSONField(default=dict, blank=True)
    # Per level transition: [{"to": 1..5, "action": ..., "effort": "S"|"M"|"L", "requires": ["key>=level"]}].
    actions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["factor__order", "order"]
        constraints = [models.UniqueConstraint(fields=["factor", "key"], name="unique_question_key")]

    def __str__(self) -> str:
        return self.key


class MaturityTarget(models.Model):
    """The organisation's target level per factor; new assessments start from these."""

    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.CASCADE, related_name="maturity_targets"
    )
    factor_key = models.SlugField(max_length=40)
    target_level = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(MAX_LEVEL)])

    class Meta:
        ordering = ["organisation", "factor_key"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "factor_key"], name="unique_maturity_target"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.factor_key} → {self.target_level}"


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"


class Assessment(models.Model):
    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.PROTECT, related_name="assessments"
    )
    business_unit = models.ForeignKey(
        "governance.BusinessUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="assessments"
    )
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="assessments")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT)
    # {factor_key: target level}; copied from the organisation's targets when the assessment is created.
    targets = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    returned_reason = models.TextField(blank=True)
    approval_comment = models.TextField(blank=True, help_text="What the approver noted when approving.")
    # Snapshot of the scores taken at submission/approval, so trends never recompute history.
    overall_score = models.FloatField(null=True, blank=True)
    factor_scores = models.JSONField(default=dict, blank=True)
    # What Plumbline's records showed when the assessment was submitted, per question key (an observation of
    # ``maturity.evidence`` as a dict), so results and reports reproduce the same figures later.
    evidence = models.JSONField(default=dict, blank=True)
    # The schedule's run that opened this draft and its period key ("2026-Q4"), which "run now" answers and
    # GET /api/v1/reassessment-schedules/{id}/runs/{period}/ reads; empty for assessments started by hand.
    schedule = models.ForeignKey(
        "ReassessmentSchedule", on_delete=models.SET_NULL, null=True, blank=True, related_name="assessments"
    )
    schedule_period = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organisation", "status", "-approved_at"]),
            models.Index(fields=["organisation", "business_unit", "-approved_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    @staticmethod
    def str_sql() -> models.Expression:
        """``str(record)`` in SQL (governance.core.naming)."""
        return models.F("title")

    @property
    def is_editable(self) -> bool:
        return self.status == AssessmentStatus.DRAFT


class Answer(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    level = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(MAX_LEVEL)]
    )
    not_applicable = models.BooleanField(default=False)
    not_applicable_reason = models.TextField(blank=True)
    comment = models.TextField(blank=True)
    evidence_links = models.JSONField(default=list, blank=True, help_text="URLs or document references.")
    # Why the self-rating stands although Plumbline's records support a lower level (required to submit).
    evidence_justification = models.TextField(blank=True)
    # Prefilled from the last approved assessment by a scheduled reassessment: the assessor must confirm it.
    needs_confirmation = models.BooleanField(default=False)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["assessment", "question__factor__order", "question__order"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "question"], name="unique_answer"),
        ]

    def __str__(self) -> str:
        value = "N/A" if self.not_applicable else self.level
        return f"{self.assessment}: {self.question.key} = {value}"

    @property
    def is_answered(self) -> bool:
        return self.not_applicable or self.level is not None


class ScheduleFrequency(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    HALF_YEARLY = "half-yearly", "Half-yearly"
    YEARLY = "yearly", "Yearly"


class ReassessmentSchedule(models.Model):
    """A recurring reassessment of an organisation (or one business unit), run by Celery beat."""

    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.CASCADE, related_name="reassessment_schedules"
    )
    business_unit = models.ForeignKey(
        "governance.BusinessUnit", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    frequency = models.CharField(
        max_length=12, choices=ScheduleFrequency.choices, default=ScheduleFrequency.QUARTERLY
    )
    next_run_on = models.DateField(null=True, blank=True)
    # Period key of the last run ("2026-11", "2026-Q4", "2026-H2", "2026"): guards against double runs.
    last_run_period = models.CharField(max_length=10, blank=True)
    last_assessment = models.ForeignKey(
        Assessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "business_unit__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "business_unit"], name="unique_schedule_per_unit"
            ),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(business_unit__isnull=True),
                name="unique_schedule_per_org",
            ),
        ]

    def __str__(self) -> str:
        scope = self.business_unit or self.organisation
        return f"{scope}: {self.get_frequency_display().lower()} reassessment"


class ImprovementStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


OPEN_IMPROVEMENT_STATUSES = (ImprovementStatus.PLANNED, ImprovementStatus.IN_PROGRESS)


class ImprovementAction(models.Model):
    """A roadmap item someone adopted: who does what by when, to move one question of one scope up a level.

    The question, levels and action are copied from the roadmap when adopted, so the record reads the same
    whatever questionnaire later assessments use; the next approved assessment of the scope shows whether the
    level moved.
    """

    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.CASCADE, related_name="improvement_actions"
    )
    business_unit = models.ForeignKey(
        "governance.BusinessUnit", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="improvement_actions")
    question_key = models.SlugField(max_length=80)
    question_text = models.TextField()
    factor_name = models.CharField(max_length=100)
    from_level = models.PositiveSmallIntegerField(validators=[MaxValueValidator(MAX_LEVEL)])
    to_level = models.PositiveSmallIntegerField(validators=[MaxValueValidator(MAX_LEVEL)])
    action = models.TextField()
    effort = models.CharField(max_length=1, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="improvement_actions"
    )
    due_date = models.DateField()
    status = models.CharField(
        max_length=12, choices=ImprovementStatus.choices, default=ImprovementStatus.PLANNED
    )
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question_key"], name="unique_adoption_per_roadmap_item"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "status", "due_date"]),
            models.Index(fields=["owner", "status", "due_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.factor_name}: {self.question_key} {self.from_level} → {self.to_level}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_IMPROVEMENT_STATUSES
