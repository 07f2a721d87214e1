"""Demo assessments for `seed_demo` (a history of approved assessments per scope so trends and comparisons
show) and the maturity data `bench_reports` renders its two maturity report kinds from."""

import random
from datetime import timedelta

from django.utils import timezone

from governance.core.roles import Role
from governance.models import BusinessUnit, Organisation
from maturity import scoring, selectors, services
from maturity.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    MaturityTarget,
    Question,
    Questionnaire,
    ReassessmentSchedule,
)

TARGETS = {"strategy": 4.0, "architecture": 3.5, "modeling": 4.0, "processes": 3.5, "governance": 4.0}
# Typical level per factor at each past assessment (oldest first): the bank improves, governance lags behind.
HISTORY = (
    (630, {"strategy": 1, "architecture": 2, "modeling": 2, "processes": 1, "governance": 1}),
    (450, {"strategy": 2, "architecture": 2, "modeling": 2, "processes": 1, "governance": 1}),
    (270, {"strategy": 2, "architecture": 2, "modeling": 3, "processes": 2, "governance": 1}),
    (90, {"strategy": 3, "architecture": 3, "modeling": 3, "processes": 3, "governance": 2}),
)
# Each unit's offset from the group profile, so the comparison heatmap has something to say.
UNIT_OFFSET = {None: 0, "Retail Banking": 1, "Corporate & Investment Banking": -1}
# This quarter's self-assessment: the bank believes it has moved up, and the records check where it has.
CURRENT_PROFILE = {"strategy": 3, "architecture": 4, "modeling": 3, "processes": 4, "governance": 3}
# The history predates evidence signals: it was answered against the first questionnaire version.
FIRST_VERSION = "2026.1"


# Why a rating stands above what Plumbline's records show, as the demo's assessor explains it per signal.
JUSTIFICATIONS = {
    "gated-deployments": (
        "Release pipelines deploy through the bank's own release tooling with the same checks; they are being "
        "connected to Plumbline's deployment gate this quarter."
    ),
    "monitoring-coverage": (
        "The remaining production models are monitored in the legacy monitoring stack; their KPIs and thresholds "
        "are being moved into Plumbline."
    ),
    "business-kpis": (
        "Business outcomes are tracked per model in the finance scorecard and reviewed quarterly by the steering "
        "committee; they are not yet recorded here."
    ),
}
DEFAULT_JUSTIFICATION = (
    "The practice is set out in the group model risk standard and followed by the teams; Plumbline's records are "
    "still being back-filled from the previous register."
)


def _answers(
    questions: list[Question],
    profile: dict[str, int],
    offset: int,
    rng: random.Random,
    observed: dict[str, selectors.QuestionEvidence] | None = None,
) -> list[dict]:
    """An answer per question around the profile's level; where the level is above what the records support,
    the assessor's justification (``observed``: the assessment's evidence)."""
    answers = []
    for question in questions:
        level = max(0, min(5, profile[question.factor.key] + offset + rng.choice((-1, 0, 0, 1))))
        item = (observed or {}).get(question.key)
        flagged = item is not None and scoring.is_flagged(level, item.supported_level)
        answers.append(
            {
                "question": question.key,
                "level": level,
                "not_applicable": False,
                "not_applicable_reason": "",
                "comment": "",
                "evidence_links": [],
                "evidence_justification": (
                    JUSTIFICATIONS.get(item.observation.signal, DEFAULT_JUSTIFICATION) if flagged else ""
                ),
            }
        )
    return answers


def _questions(questionnaire: Questionnaire) -> list[Question]:
    return list(
        Question.objects.filter(factor__questionnaire=questionnaire)
        .select_related("factor")
        .order_by("factor__order", "order", "pk")
    )


def seed_maturity_demo(organisation: Organisation, units: list[BusinessUnit], users: dict) -> None:
    """Four approved assessments per scope over two years (group and each unit), answered against the first questionnaire
    version as they would have been before evidence signals existed. Idempotent."""
    if Assessment.objects.filter(organisation=organisation).exists():
        return
    for factor_key, level in TARGETS.items():
        MaturityTarget.objects.get_or_create(
            organisation=organisation, factor_key=factor_key, defaults={"target_level": level}
        )
    current = Questionnaire.objects.get(is_current=True)
    questionnaire = Questionnaire.objects.filter(version=FIRST_VERSION).first() or current
    questions = _questions(questionnaire)
    assessor, executive = users["assessor"], users["executive"]
    rng = random.Random(42)  # the same demo every time
    now = timezone.now()
    for unit in [None, *units]:
        scope = unit.name if unit else "Group"
        for days_ago, profile in HISTORY:
            when = now - timedelta(days=days_ago)
            assessment = services.create_assessment(
                actor=assessor,
                organisation=organisation,
                title=f"{scope} MLOps maturity — {when:%B %Y}",
                business_unit=unit,
                questionnaire=questionnaire,
            )
            services.save_answers(
                actor=assessor,
                assessment=assessment,
                answers=_answers(questions, profile, UNIT_OFFSET.get(unit.name if unit else None, 0), rng),
            )
            services.submit_assessment(actor=assessor, assessment=assessment)
            services.approve_assessment(actor=executive, assessment=assessment)
            # Backdate the history (the audit trail keeps the real times at which the demo was loaded).
            Assessment.objects.filter(pk=assessment.pk).update(
                created_at=when - timedelta(days=14), submitted_at=when - timedelta(days=2), approved_at=when
            )


def _adopt_demo_actions(organisation: Organisation, users: dict) -> None:
    """The executive adopted two items of the last approved group roadmap: one for the risk officer, one for the
    model owner due within the reminder horizon, so both see them on their home page and in their digest."""
    latest = (
        Assessment.objects.filter(
            organisation=organisation, business_unit=None, status=AssessmentStatus.APPROVED
        )
        .order_by("-approved_at", "-pk")
        .first()
    )
    if latest is None:
        return
    roadmap = selectors.assessment_result(latest).roadmap
    today = timezone.localdate()
    picks = [
        (next((i for i in roadmap if i.factor_key == "governance"), None), users["risk_officer"], 75),
        (next((i for i in roadmap if i.factor_key == "processes"), None), users["model_owner"], 10),
    ]
    for item, owner, days in picks:
        if item is not None:
            services.adopt_roadmap_item(
                actor=users["executive"],
                assessment=latest,
                question_key=item.question_key,
                owner=owner,
                due_date=today + timedelta(days=days),
            )


def seed_current_cycle_demo(organisation: Organisation, units: list[BusinessUnit], users: dict) -> None:
    """This quarter, on the current questionnaire and checked against the demo's records (so it runs after the
    inventory, monitoring, compliance, risk and release seeders): the group assessment submitted and waiting
    for the executive, with its evidence flags justified, and a unit's draft in progress. Idempotent."""
    questionnaire = Questionnaire.objects.get(is_current=True)
    if Assessment.objects.filter(organisation=organisation, questionnaire=questionnaire).exists():
        return
    questions = _questions(questionnaire)
    assessor = users["assessor"]
    rng = random.Random(7)
    now = timezone.now()
    submitted = services.create_assessment(
        actor=assessor, organisation=organisation, title=f"Group MLOps maturity — {now:%B %Y}"
    )
    observed = selectors.question_evidence(submitted, questions)
    services.save_answers(
        actor=assessor,
        assessment=submitted,
        answers=_answers(questions, CURRENT_PROFILE, 0, rng, observed),
    )
    services.submit_assessment(actor=assessor, assessment=submitted)

    _adopt_demo_actions(organisation, users)

    unit = units[0] if units else None
    draft = services.create_assessment(
        actor=assessor,
        organisation=organisation,
        title=f"{unit.name if unit else 'Group'} MLOps maturity — {now:%B %Y}",
        business_unit=unit,
    )
    started = [q for q in questions if q.factor.key == "strategy"]
    services.save_answers(
        actor=assessor,
        assessment=draft,
        answers=_answers(started, CURRENT_PROFILE, UNIT_OFFSET.get(unit.name if unit else None, 0), rng),
    )


def seed_schedule_demo(organisation: Organisation, units: list[BusinessUnit], users: dict) -> None:
    """A quarterly group reassessment and a paused half-yearly one for the first unit, kept by beat. Idempotent."""
    if ReassessmentSchedule.objects.filter(organisation=organisation).exists():
        return
    admin = users["admin"]
    services.save_schedule(
        actor=admin, organisation=organisation, business_unit=None, frequency="quarterly", active=True
    )
    if units:
        services.save_schedule(
            actor=admin,
            organisation=organisation,
            business_unit=units[0],
            frequency="half-yearly",
            active=False,
        )


def register() -> None:
    """Called from ``MaturityConfig.ready``: the assessments and reassessment schedules of the demo."""
    from governance.core.registry import DemoSeeder, demo_seeders

    def seed(context: dict) -> None:
        seed_maturity_demo(context["organisation"], context["units"], context["users"])
        seed_schedule_demo(context["organisation"], context["units"], context["users"])

    def seed_current_cycle(context: dict) -> None:
        seed_current_cycle_demo(context["organisation"], context["units"], context["users"])

    demo_seeders.register(DemoSeeder(key="maturity", seed=seed, order=10))
    # After governance's seeders (30-70): this cycle's answers are checked against their records.
    demo_seeders.register(DemoSeeder(key="maturity-current-cycle", seed=seed_current_cycle, order=80))


# --- Benchmark data (bench_reports) ------------------------------------------------------------------------

# Long enough that each answer takes several lines, as real assessors' notes do.
COMMENT = (
    "Reviewed with the platform lead and two product teams. The practice is followed by the teams that "
    "adopted the shared pipeline template; teams on legacy tooling still rely on manual steps and tribal "
    "knowledge. Evidence was sampled from the last two quarters. "
)


def _benchmark_assessment(organisation, people):
    """A 40-question assessment answered, submitted and approved through the real services."""
    from maturity.questionnaire import load_questionnaire, shipped_files

    questionnaire, _ = load_questionnaire(shipped_files()[-1])
    assessment = services.create_assessment(
        actor=people[Role.ASSESSOR],
        organisation=organisation,
        title="Benchmark annual MLOps maturity review",
        questionnaire=questionnaire,
    )
    keys = list(
        Question.objects.filter(factor__questionnaire=questionnaire)
        .order_by("factor__order", "order")
        .values_list("key", flat=True)
    )
    answers = [
        {
            "question": key,
            "level": index % 6,
            "comment": COMMENT,
            "evidence_links": [
                f"https://wiki.example.com/mlops/evidence/{key}",
                f"DMS-{index:04d} steering committee minutes, section {index % 7 + 1}",
                f"https://git.example.com/platform/pipelines/-/blob/main/docs/{key}.md",
            ],
        }
        for index, key in enumerate(keys)
    ]
    services.save_answers(actor=people[Role.ASSESSOR], assessment=assessment, answers=answers)
    services.submit_assessment(actor=people[Role.ASSESSOR], assessment=assessment)
    services.approve_assessment(actor=people[Role.EXECUTIVE], assessment=assessment)
    return assessment


def _benchmark_history(organisation, unit_count: int, template) -> None:
    """Four quarterly approved reassessments for the organisation and each unit, copying the template's answers."""
    answers = list(Answer.objects.filter(assessment=template))
    units = [None] + [
        BusinessUnit.objects.create(organisation=organisation, name=f"Benchmark unit {index + 1}")
        for index in range(unit_count)
    ]
    now = timezone.now()
    for position, unit in enumerate(units):
        for quarter in range(4):
            score = min(5.0, 1.5 + 0.4 * quarter + 0.2 * position)
            assessment = Assessment.objects.create(
                organisation=organisation,
                business_unit=unit,
                questionnaire_id=template.questionnaire_id,
                title=f"Q{quarter + 1} review {unit.name if unit else 'organisation-wide'}",
                status=AssessmentStatus.APPROVED,
                targets=template.targets,
                submitted_by=template.submitted_by,
                submitted_at=now - timedelta(days=90 * (4 - quarter) + 2),
                approved_by=template.approved_by,
                approved_at=now - timedelta(days=90 * (4 - quarter)),
                overall_score=score,
                factor_scores=dict.fromkeys(template.factor_scores or {}, score),
            )
            Answer.objects.bulk_create(
                Answer(
                    assessment=assessment,
                    question_id=a.question_id,
                    level=a.level,
                    not_applicable=a.not_applicable,
                    comment=a.comment,
                    answered_by=a.answered_by,
                )
                for a in answers
            )


def benchmark_assessments(context: dict) -> Assessment:
    """The 40-question approved assessment and the units' quarterly history, built once per benchmark run."""
    if "assessment" not in context:
        assessment = _benchmark_assessment(context["organisation"], context["people"])
        _benchmark_history(context["organisation"], context["unit_count"], assessment)
        context["assessment"] = assessment
    return context["assessment"]
