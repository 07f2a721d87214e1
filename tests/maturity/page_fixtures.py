"""Builders for the maturity page tests: questionnaires of any size and assessments in any state.

Kept apart from tests/maturity/conftest.py (owned by the services tests); names are prefixed ``page_``.
"""

from datetime import timedelta

import factory
from django.utils import timezone

from maturity.models import Answer, Assessment, AssessmentStatus, Factor, Question, Questionnaire

FACTORS = (
    ("strategy", "Strategy"),
    ("architecture", "Architecture"),
    ("modeling", "Modeling"),
    ("processes", "Processes"),
    ("governance", "Governance"),
)


class QuestionnaireFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Questionnaire

    version = factory.Sequence(lambda n: f"test.{n}")
    title = "Test questionnaire"
    source_sha256 = "0" * 64
    is_current = True


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    title = factory.Sequence(lambda n: f"Assessment {n}")
    status = AssessmentStatus.DRAFT
    targets = factory.LazyFunction(lambda: {key: 3.0 for key, _ in FACTORS})


def build_questionnaire(questions_per_factor: int = 2) -> Questionnaire:
    """A current questionnaire with the five factors and ``questions_per_factor`` questions each."""
    Questionnaire.objects.filter(is_current=True).update(is_current=False)
    questionnaire = QuestionnaireFactory()
    for order, (key, name) in enumerate(FACTORS):
        factor = Factor.objects.create(
            questionnaire=questionnaire, key=key, name=name, order=order, description=f"About {name.lower()}."
        )
        Question.objects.bulk_create(
            Question(
                factor=factor,
                key=f"{key}-q{i}",
                text=f"{name} question {i}?",
                order=i,
                level_descriptors=[f"{name} q{i} descriptor for level {level}" for level in range(6)],
            )
            for i in range(1, questions_per_factor + 1)
        )
    return questionnaire


def answer_all(assessment: Assessment, level: int, user=None) -> None:
    questions = Question.objects.filter(factor__questionnaire=assessment.questionnaire)
    Answer.objects.bulk_create(
        Answer(assessment=assessment, question=q, level=level, answered_by=user) for q in questions
    )


def approved_history(organisation, questionnaire, count: int, business_unit=None) -> list[Assessment]:
    """``count`` approved assessments of a scope, a quarter apart, oldest first, with score snapshots."""
    now = timezone.now()
    history = []
    for i in range(count):
        level = 1 + i % 4
        assessment = AssessmentFactory(
            organisation=organisation,
            business_unit=business_unit,
            questionnaire=questionnaire,
            title=f"Q{i + 1} review" + (f" {business_unit.name}" if business_unit else ""),
            status=AssessmentStatus.APPROVED,
            approved_at=now - timedelta(days=90 * (count - i)),
            submitted_at=now - timedelta(days=90 * (count - i) + 1),
            overall_score=float(level),
            factor_scores={key: float(level) for key, _ in FACTORS},
        )
        answer_all(assessment, level)
        history.append(assessment)
    return history
