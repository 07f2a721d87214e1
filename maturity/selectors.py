"""Maturity reads: scoring an assessment, its evidence, its predecessor, trends, business-unit comparisons and
what a scheduled run became."""

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from governance.core import scheduling
from governance.core.exports import Column
from governance.models import BusinessUnit, Organisation
from maturity import crosswalk, evidence, scoring
from maturity.actions import MaturityAction
from maturity.levels import LEVEL_NAMES
from maturity.models import (
    OPEN_IMPROVEMENT_STATUSES,
    Answer,
    Assessment,
    AssessmentStatus,
    Factor,
    ImprovementAction,
    Question,
    Questionnaire,
    ReassessmentSchedule,
)


def current_questionnaire() -> Questionnaire | None:
    return Questionnaire.objects.filter(is_current=True).order_by("-loaded_at").first()


@dataclass(frozen=True)
class QuestionEvidence:
    observation: evidence.Observation
    supported_level: int | None

    @property
    def signal(self) -> evidence.Signal | None:
        return evidence.SIGNALS.get(self.observation.signal)

    def as_dict(self) -> dict[str, Any]:
        return {**self.observation.as_dict(), "supported_level": self.supported_level}


@dataclass(frozen=True)
class EvidenceFlag:
    """A self-rating above what Plumbline's records supported, with the assessor's reason."""

    factor_key: str
    factor_name: str
    number: int
    question_key: str
    question_text: str
    level: int
    supported_level: int
    statement: str
    observed_on: str
    justification: str

    @property
    def label(self) -> str:
        return f"{self.factor_name} {self.number}"


def evidence_flags(
    assessment: Assessment,
    questions: list[Question] | None = None,
    observed: dict[str, QuestionEvidence] | None = None,
) -> list[EvidenceFlag]:
    """Every answer rated above what the evidence supports, in questionnaire order (two queries, or one when
    the caller passes the questions and observations it has)."""
    if questions is None:
        questions = assessment_questions(assessment)
    if observed is None:
        observed = question_evidence(assessment, questions)
    if not observed:
        return []
    answers = {
        a.question_id: a
        for a in Answer.objects.filter(assessment=assessment, question__key__in=list(observed)).only(
            "question_id", "level", "not_applicable", "evidence_justification", "assessment_id"
        )
    }
    flags = []
    position: dict[int, int] = {}
    for question in questions:
        position[question.factor_id] = position.get(question.factor_id, 0) + 1
        item = observed.get(question.key)
        answer = answers.get(question.pk)
        if item is None or answer is None or answer.not_applicable:
            continue
        if scoring.is_flagged(answer.level, item.supported_level):
            flags.append(
                EvidenceFlag(
                    factor_key=question.factor.key,
                    factor_name=question.factor.name,
                    number=position[question.factor_id],
                    question_key=question.key,
                    question_text=question.text,
                    level=answer.level,
                    supported_level=item.supported_level,
                    statement=item.observation.statement,
                    observed_on=item.observation.observed_on,
                    justification=answer.evidence_justification,
                )
            )
    return flags


@dataclass(frozen=True)
class CrosswalkRow:
    """An assessment's place on one public maturity model, as self-assessed and as the evidence supports."""

    self_assessed: crosswalk.Placement
    on_evidence: crosswalk.Placement

    @property
    def model(self) -> crosswalk.PublicModel:
        return self.self_assessed.model

    @property
    def evidence_lower(self) -> bool:
        return self.on_evidence.level.level < self.self_assessed.level.level


def crosswalk_rows(
    result: scoring.AssessmentResult, questions: list[Question], table: crosswalk.Crosswalk | None = None
) -> list[CrosswalkRow]:
    """The assessment's placement on every public model of the (current) crosswalk, with what the next level
    still needs; no query (the answers are in ``result``, the texts in ``questions``)."""
    table = table or crosswalk.current()
    texts = {q.key: q.text for q in questions}
    return [
        CrosswalkRow(
            self_assessed=crosswalk.place(model, result.levels, texts),
            on_evidence=crosswalk.place(model, result.evidence_levels, texts),
        )
        for model in table.models
    ]


def evidence_scope(assessment: Assessment, today: datetime.date | None = None) -> evidence.Scope:
    return evidence.Scope(
        organisation_id=assessment.organisation_id,
        business_unit_id=assessment.business_unit_id,
        today=today or timezone.localdate(),
    )


def question_evidence(
    assessment: Assessment, questions: Iterable[Question], today: datetime.date | None = None
) -> dict[str, QuestionEvidence]:
    """What Plumbline's records show for each question that has an evidence signal, by question key.

    A draft sees today's records (one query per kind of record, whatever the number of questions); a submitted
    or approved assessment shows the observations frozen at submission, so its figures never move later.
    """
    with_signal = [q for q in questions if q.evidence]
    if assessment.status != AssessmentStatus.DRAFT:
        frozen = assessment.evidence or {}
        observed = {
            q.key: evidence.Observation.from_dict(frozen[q.key]) for q in with_signal if q.key in frozen
        }
    else:
        live = evidence.observe(
            evidence_scope(assessment, today), [q.evidence["signal"] for q in with_signal]
        )
        observed = {q.key: live[q.evidence["signal"]] for q in with_signal}
    return {
        q.key: QuestionEvidence(
            observation=observed[q.key],
            supported_level=scoring.supported_level(
                {int(level): share for level, share in q.evidence["at_least"].items()},
                observed[q.key].share,
            ),
        )
        for q in with_signal
        if q.key in observed
    }


def factor_inputs(
    assessment: Assessment,
    today: datetime.date | None = None,
    observed: dict[str, QuestionEvidence] | None = None,
    questions: list[Question] | None = None,
) -> list[scoring.FactorInput]:
    """The assessment's questionnaire with its answers and evidence, in a constant number of queries.

    ``questions`` (from ``assessment_questions``) and ``observed`` (``question_evidence``) are passed by a
    page that has them already, so they are not read twice."""
    if questions is None:
        questions = assessment_questions(assessment)
    by_factor: dict[int, list[Question]] = {}
    factors: list[Factor] = []
    for question in questions:
        if question.factor_id not in by_factor:
            by_factor[question.factor_id] = []
            factors.append(question.factor)
        by_factor[question.factor_id].append(question)
    if observed is None:
        observed = question_evidence(assessment, questions, today)
    borrowed = _current_actions(questions)
    answers = {
        a.question_id: a
        for a in Answer.objects.filter(assessment=assessment).only(
            "question_id", "level", "not_applicable", "assessment_id"
        )
    }
    inputs = []
    for factor in factors:
        questions = []
        for question in by_factor[factor.pk]:
            answer = answers.get(question.pk)
            questions.append(
                scoring.QuestionInput(
                    key=question.key,
                    text=question.text,
                    weight=question.weight,
                    descriptors=tuple(question.level_descriptors or ()),
                    actions=tuple(question.actions or borrowed.get(question.key, ())),
                    level=answer.level if answer and not answer.not_applicable else None,
                    not_applicable=bool(answer and answer.not_applicable),
                    supported_level=observed[question.key].supported_level
                    if question.key in observed
                    else None,
                )
            )
        inputs.append(
            scoring.FactorInput(key=factor.key, name=factor.name, weight=factor.weight, questions=questions)
        )
    return inputs


def _current_actions(questions: list[Question]) -> dict[str, list]:
    """Recommended actions of the current questionnaire by question key, for an assessment answered on a version
    that had none (2026.1): keys and levels are the same across versions, so its roadmap gets the same advice.
    One query, and only then."""
    if not questions or any(q.actions for q in questions):
        return {}
    return dict(
        Question.objects.filter(factor__questionnaire__is_current=True, key__in=[q.key for q in questions])
        .exclude(actions=[])
        .values_list("key", "actions")
    )


def assessment_result(
    assessment: Assessment,
    observed: dict[str, QuestionEvidence] | None = None,
    questions: list[Question] | None = None,
) -> scoring.AssessmentResult:
    """Scores, gaps, roadmap, evidence flags and progress of an assessment (a constant number of queries)."""
    inputs = factor_inputs(assessment, observed=observed, questions=questions)
    return scoring.assess(inputs, assessment.targets or {})


def assessment_questions(assessment: Assessment) -> list[Question]:
    """Every question of the assessment's questionnaire, in questionnaire order, with its factor."""
    return list(
        Question.objects.filter(factor__questionnaire_id=assessment.questionnaire_id)
        .select_related("factor")
        .order_by("factor__order", "factor__pk", "order", "pk")
    )


def question_labels(questions: Iterable[Question]) -> dict[str, str]:
    """Each question's key → its label as the factor pages number it ("Governance 2"), for questions in
    questionnaire order with their factors (no query)."""
    labels: dict[str, str] = {}
    position: dict[int, int] = {}
    for question in questions:
        position[question.factor_id] = position.get(question.factor_id, 0) + 1
        labels[question.key] = f"{question.factor.name} {position[question.factor_id]}"
    return labels


def answer_rows(
    assessment: Assessment, questions: list[Question], observed: dict[str, QuestionEvidence]
) -> list[dict[str, Any]]:
    """Every question of the assessment's questionnaire, in order and numbered as the factor pages number it,
    with its answer (or none) and what Plumbline observed for it."""
    answers = {
        a.question_id: a for a in Answer.objects.filter(assessment=assessment).select_related("answered_by")
    }
    rows = []
    labels = question_labels(questions)
    for question in questions:
        answer = answers.get(question.pk)
        descriptors = list(question.level_descriptors or ())
        level = answer.level if answer and not answer.not_applicable else None
        rows.append(
            {
                "question": question,
                "label": labels[question.key],
                "observed": observed.get(question.key),
                "answer": answer,
                "level": level,
                "descriptor": descriptors[level] if level is not None and level < len(descriptors) else "",
                "evidence": [str(link) for link in (answer.evidence_links or [])] if answer else [],
            }
        )
    return rows


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


def schedule_run(
    schedule: ReassessmentSchedule, period: str, today: datetime.date | None = None
) -> scheduling.RunOutcome | None:
    """What ``schedule``'s run of ``period`` became (the draft it opened, once it ran); None when the schedule
    neither ran nor was asked to run in that period."""
    assessment = schedule.assessments.filter(schedule_period=period).order_by("-created_at", "-pk").first()
    if assessment is not None:
        return scheduling.RunOutcome(
            period, scheduling.RunStatus.DONE, "The run opened its draft reassessment.", assessment
        )
    if schedule.last_run_period == period:
        return scheduling.RunOutcome(
            period, scheduling.RunStatus.FAILED, "The draft this run opened is no longer stored."
        )
    if not scheduling.run_requested(schedule, period, MaturityAction.SCHEDULE_RUN_REQUEST):
        return None
    return scheduling.requested_run_outcome(schedule, period, today)


def improvement_actions(organisation: Organisation, *, owner=None, open_only: bool = False):
    """The organisation's improvement actions, soonest due first, each annotated with ``level_now``: the level
    its question has in the first approved assessment of the same scope approved after the action was adopted
    (None until one is), and ``reassessed_on``."""
    later = (
        Answer.objects.filter(
            assessment__organisation_id=OuterRef("organisation_id"),
            assessment__status=AssessmentStatus.APPROVED,
            assessment__approved_at__gt=OuterRef("created_at"),
            question__key=OuterRef("question_key"),
        )
        # The organisation-wide scope has no unit, and NULL = NULL is not true in SQL: units compare as 0.
        .annotate(unit_key=Coalesce("assessment__business_unit_id", 0))
        .filter(unit_key=Coalesce(OuterRef("business_unit_id"), 0))
        .order_by("assessment__approved_at", "assessment_id")
    )
    queryset = (
        ImprovementAction.objects.filter(organisation=organisation)
        .select_related("owner", "business_unit", "assessment")
        .annotate(
            level_now=Subquery(later.values("level")[:1]),
            reassessed_on=Subquery(later.values("assessment__approved_at")[:1]),
        )
        .order_by("due_date", "pk")
    )
    if owner is not None:
        queryset = queryset.filter(owner=owner)
    if open_only:
        queryset = queryset.filter(status__in=OPEN_IMPROVEMENT_STATUSES)
    return queryset


def open_actions_by_question(assessment: Assessment) -> dict[str, list[ImprovementAction]]:
    """Open improvement actions of the assessment's scope, by question key: what a reassessment should check."""
    actions: dict[str, list[ImprovementAction]] = {}
    for action in (
        ImprovementAction.objects.filter(
            organisation_id=assessment.organisation_id,
            business_unit_id=assessment.business_unit_id,
            status__in=OPEN_IMPROVEMENT_STATUSES,
        )
        .select_related("owner")
        .order_by("due_date", "pk")
    ):
        actions.setdefault(action.question_key, []).append(action)
    return actions


ANSWER_EXPORT_COLUMNS = (
    Column("factor", width=14),
    Column("question", width=14),
    Column("question_text", width=60),
    Column("level", "number", 7),
    Column("level_name", width=20),
    Column("not_applicable", "bool", 15),
    Column("not_applicable_reason", width=40),
    Column("evidence", width=50),
    Column("observed_in_plumbline", width=50),
    Column("supported_level", "number", 16),
    Column("justification", width=50),
    Column("comment", width=50),
    Column("needs_confirmation", "bool", 19),
    Column("answered_by", width=16),
    Column("updated_at", "datetime", 22),
)


def answer_export_rows(assessment: Assessment) -> Iterator[list]:
    """Every question of the assessment with its answer, as the PDF's appendix lists them (one row each)."""
    questions = assessment_questions(assessment)
    observed = question_evidence(assessment, questions)
    for row in answer_rows(assessment, questions, observed):
        answer, seen = row["answer"], row["observed"]
        yield [
            row["question"].factor.name,
            row["label"],
            row["question"].text,
            row["level"],
            LEVEL_NAMES[row["level"]] if row["level"] is not None else None,
            answer.not_applicable if answer else None,
            answer.not_applicable_reason if answer else None,
            "\n".join(row["evidence"]) or None,
            seen.observation.statement if seen else None,
            seen.supported_level if seen else None,
            answer.evidence_justification if answer else None,
            answer.comment if answer else None,
            answer.needs_confirmation if answer else None,
            answer.answered_by.get_username() if answer and answer.answered_by else None,
            answer.updated_at if answer else None,
        ]
