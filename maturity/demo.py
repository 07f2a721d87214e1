"""Demo assessments for `seed_demo`: a history of approved assessments per scope so trends and comparisons show."""

import random
from datetime import timedelta

from django.utils import timezone

from governance.models import BusinessUnit, Organisation
from maturity import services
from maturity.models import Assessment, MaturityTarget, Questionnaire, ReassessmentSchedule

TARGETS = {"strategy": 4.0, "architecture": 3.5, "modeling": 4.0, "processes": 3.5, "governance": 4.0}
# Typical level per factor at each past assessment (oldest first): the bank improves, governance lags behind.
HISTORY = (
    (270, {"strategy": 2, "architecture": 2, "modeling": 2, "processes": 1, "governance": 1}),
    (180, {"strategy": 2, "architecture": 3, "modeling": 3, "processes": 2, "governance": 2}),
    (90, {"strategy": 3, "architecture": 3, "modeling": 3, "processes": 3, "governance": 2}),
)
# Each unit's offset from the group profile, so the comparison heatmap has something to say.
UNIT_OFFSET = {None: 0, "Retail Banking": 1, "Corporate & Investment Banking": -1}


def _answers(
    questionnaire: Questionnaire, profile: dict[str, int], offset: int, rng: random.Random
) -> list[dict]:
    answers = []
    for factor in questionnaire.factors.prefetch_related("questions"):
        for question in factor.questions.all():
            level = max(0, min(5, profile[factor.key] + offset + rng.choice((-1, 0, 0, 1))))
            answers.append(
                {
                    "question": question.key,
                    "level": level,
                    "not_applicable": False,
                    "not_applicable_reason": "",
                    "comment": "",
                    "evidence_links": [],
                }
            )
    return answers


def seed_maturity_demo(organisation: Organisation, units: list[BusinessUnit], users: dict) -> None:
    """Three approved assessments per scope (group and each unit) and one draft in progress. Idempotent."""
    if Assessment.objects.filter(organisation=organisation).exists():
        return
    for factor_key, level in TARGETS.items():
        MaturityTarget.objects.get_or_create(
            organisation=organisation, factor_key=factor_key, defaults={"target_level": level}
        )
    questionnaire = Questionnaire.objects.get(is_current=True)
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
            )
            services.save_answers(
                actor=assessor,
                assessment=assessment,
                answers=_answers(
                    questionnaire, profile, UNIT_OFFSET.get(unit.name if unit else None, 0), rng
                ),
            )
            services.submit_assessment(actor=assessor, assessment=assessment)
            services.approve_assessment(actor=executive, assessment=assessment)
            # Backdate the history (the audit trail keeps the real times at which the demo was loaded).
            Assessment.objects.filter(pk=assessment.pk).update(
                created_at=when - timedelta(days=14), submitted_at=when - timedelta(days=2), approved_at=when
            )
    draft = services.create_assessment(
        actor=assessor, organisation=organisation, title=f"Group MLOps maturity — {now:%B %Y}"
    )
    strategy_only = [
        a for a in _answers(questionnaire, HISTORY[-1][1], 1, rng) if a["question"].startswith("strategy")
    ]
    services.save_answers(actor=assessor, assessment=draft, answers=strategy_only)


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
