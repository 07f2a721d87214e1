"""Maturity reads: scoring an assessment, its predecessor, trends and business-unit comparisons."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from governance.models import BusinessUnit, Organisation
from maturity import scoring
from maturity.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    Factor,
    Question,
    Questionnaire,
    ReassessmentSchedule,
)


def current_questionnaire() -> Questionnaire | None:
    return Questionnaire.objects.filter(is_current=True).order_by("-loaded_at").first()


def factor_inputs(assessment: Assessment) -> list[scoring.FactorInput]:
    """The assessment's questionnaire with its answers, in three queries whatever its size."""
    factors = list(
        Factor.objects.filter(questionnaire_id=assessment.questionnaire_id)
        .order_by("order", "pk")
        .prefetch_related(Prefetch("questions", queryset=Question.objects.order_by("order", "pk")))
    )
    answers = {
        a.question_id: a
        for a in Answer.objects.filter(assessment=assessment).only(
            "question_id", "level", "not_applicable", "assessment_id"
        )
    }
    inputs = []
    for factor in factors:
        questions = []
        for question in factor.questions.all():
            answer = answers.get(question.pk)
            questions.append(
                scoring.QuestionInput(
                    key=question.key,
                    text=question.text,
                    weight=question.weight,
                    descriptors=tuple(question.level_descriptors or ()),
                    level=answer.level if answer and not answer.not_applicable else None,
                    not_applicable=bool(answer and answer.not_applicable),
                )
            )
        inputs.append(
            scoring.FactorInput(key=factor.key, name=factor.name, weight=factor.weight, questions=questions)
        )
    return inputs


def assessment_result(assessment: Assessment) -> scoring.AssessmentResult:
    """Scores, gaps, roadmap and progress of an assessment (a constant number of queries)."""
    return scoring.assess(factor_inputs(assessment), assessment.targets or {})


def previous_approved(assessment: Assessment) -> Assessment | None:
    """The approved assessment of the same scope (organisation and unit) that came before this one."""
    queryset = Assessment.objects.filter(
        organisation_id=assessment.organisation_id,
        business_unit_id=assessment.business_unit_id,
        status=AssessmentStatus.APPROVED,
        approved_at__isnull=False,
    ).exclude(pk=assessment.pk)
    if assessment.approved_at is not None:
        queryset = queryset.filter(
            Q(approved_at__lt=assessment.approved_at)
            | Q(approved_at=assessment.approved_at, pk__lt=assessment.pk)
        )
    return queryset.order_by("-approved_at", "-pk").first()


def latest_approved_by_scope(organisation: Organisation) -> list[Assessment]:
    """The latest approved assessment of each scope (the whole organisation, each business unit), the whole
    organisation first, then units by name; each with ``previous_score``, the overall score of the approved
    assessment of the same scope before it (as ``previous_approved`` finds it). One query."""
    approved = Assessment.objects.filter(status=AssessmentStatus.APPROVED, approved_at__isnull=False)
    # The organisation-wide scope has no unit, and NULL = NULL is not true in SQL: units compare as 0 for none.
    same_scope = approved.annotate(unit_key=Coalesce("business_unit_id", 0)).filter(
        organisation_id=OuterRef("organisation_id"), unit_key=Coalesce(OuterRef("business_unit_id"), 0)
    )
    later = same_scope.filter(
        Q(approved_at__gt=OuterRef("approved_at"))
        | Q(approved_at=OuterRef("approved_at"), pk__gt=OuterRef("pk"))
    )
    earlier = same_scope.filter(
        Q(approved_at__lt=OuterRef("approved_at"))
        | Q(approved_at=OuterRef("approved_at"), pk__lt=OuterRef("pk"))
    ).order_by("-approved_at", "-pk")
    return list(
        approved.filter(organisation=organisation)
        .exclude(Exists(later))
        .select_related("business_unit")
        .annotate(previous_score=Subquery(earlier.values("overall_score")[:1]))
        .order_by(F("business_unit__name").asc(nulls_first=True), "pk")
    )


def trend(organisation: Organisation, business_unit: BusinessUnit | None = None) -> list[Assessment]:
    """Approved assessments of a scope, oldest first; scores come from their stored snapshots.

    Without ``business_unit`` the organisation-wide assessments (no unit) are returned.
    """
    return list(
        Assessment.objects.filter(
            organisation=organisation,
            business_unit=business_unit,
            status=AssessmentStatus.APPROVED,
            approved_at__isnull=False,
        )
        .select_related("business_unit")
        .order_by("approved_at", "pk")
    )


def unit_comparison(organisation: Organisation) -> dict[str, Any]:
    """The latest approved assessment of the organisation as a whole and of each business unit.

    Returns ``{"factors": [{"key", "name"}], "units": [label], "scores": [[score|None per factor]],
    "overall": [score|None], "assessments": [Assessment]}``; rows: organisation-wide first, then units by name.
    """
    approved = (
        Assessment.objects.filter(
            organisation=organisation, status=AssessmentStatus.APPROVED, approved_at__isnull=False
        )
        .select_related("business_unit")
        .order_by("-approved_at", "-pk")
    )
    latest: dict[int | None, Assessment] = {}
    for assessment in approved:
        latest.setdefault(assessment.business_unit_id, assessment)
    questionnaire = current_questionnaire()
    factors: list[dict[str, str]] = []
    if questionnaire is not None:
        factors = [{"key": f.key, "name": f.name} for f in questionnaire.factors.order_by("order", "pk")]
    known = {f["key"] for f in factors}
    for assessment in latest.values():
        for key in assessment.factor_scores or {}:
            if key not in known:
                known.add(key)
                factors.append({"key": key, "name": key.replace("-", " ").title()})
    ordered = sorted(
        latest.values(),
        key=lambda a: (a.business_unit is not None, a.business_unit.name if a.business_unit else ""),
    )
    units, scores, overall = [], [], []
    for assessment in ordered:
        units.append(
            assessment.business_unit.name if assessment.business_unit else f"{organisation.name} (all units)"
        )
        snapshot = assessment.factor_scores or {}
        scores.append([_number(snapshot.get(f["key"])) for f in factors])
        overall.append(_number(assessment.overall_score))
    return {"factors": factors, "units": units, "scores": scores, "overall": overall, "assessments": ordered}


def _number(value: Any) -> float | None:
    if isinstance(value, dict):
        value = value.get("score")
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class ScheduleRow:
    """One scope of an organisation (the whole of it, or one business unit) and its schedule, if any."""

    business_unit: BusinessUnit | None
    schedule: ReassessmentSchedule | None

    @property
    def key(self) -> str:
        """A stable name for the scope, used as the form prefix on the schedules page."""
        return f"unit-{self.business_unit.pk}" if self.business_unit else "organisation"


def schedule_rows(organisation: Organisation) -> list[ScheduleRow]:
    """The organisation-wide scope first, then every business unit by name, each with its schedule (2 queries)."""
    units = list(BusinessUnit.objects.filter(organisation=organisation).order_by("name", "pk"))
    schedules = {
        s.business_unit_id: s
        for s in ReassessmentSchedule.objects.filter(organisation=organisation).select_related(
            "last_assessment"
        )
    }
    rows = [ScheduleRow(None, schedules.get(None))]
    rows += [ScheduleRow(unit, schedules.get(unit.pk)) for unit in units]
    return rows
