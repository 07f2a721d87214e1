"""Maturity fixtures: a small questionnaire (5 factors x 2 questions) and a draft assessment against it."""

from collections.abc import Callable

import factory
import pytest

from maturity import services
from maturity.models import Factor, Question, Questionnaire

FACTOR_KEYS = ("strategy", "architecture", "modeling", "processes", "governance")


class QuestionnaireFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Questionnaire

    version = factory.Sequence(lambda n: f"test-{n}")
    title = "Test questionnaire"
    source_sha256 = "0" * 64
    is_current = True


class FactorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Factor

    questionnaire = factory.SubFactory(QuestionnaireFactory)
    key = factory.Sequence(lambda n: f"factor-{n}")
    name = factory.LazyAttribute(lambda f: f.key.replace("-", " ").title())
    weight = 1.0
    order = factory.Sequence(int)


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    factor = factory.SubFactory(FactorFactory)
    key = factory.Sequence(lambda n: f"question-{n}")
    text = factory.LazyAttribute(lambda q: f"How mature is {q.key}?")
    weight = 1.0
    order = factory.Sequence(int)
    level_descriptors = factory.LazyAttribute(lambda q: [f"{q.key}: level {level}" for level in range(6)])


def build_questionnaire(questions_per_factor: int = 2, **kwargs) -> Questionnaire:
    """A current questionnaire with the five factors, questions keyed like "strategy-q1"."""
    if kwargs.get("is_current", True):
        Questionnaire.objects.filter(is_current=True).update(is_current=False)
    questionnaire = QuestionnaireFactory(**kwargs)
    for order, key in enumerate(FACTOR_KEYS):
        factor = FactorFactory(questionnaire=questionnaire, key=key, order=order)
        for index in range(1, questions_per_factor + 1):
            QuestionFactory(factor=factor, key=f"{key}-q{index}", order=index)
    return questionnaire


@pytest.fixture
def questionnaire(db) -> Questionnaire:
    return build_questionnaire()


@pytest.fixture
def assessment(questionnaire, organisation, assessor):
    return services.create_assessment(actor=assessor, organisation=organisation, title="Q3 maturity review")


def answer(key: str, level: int | None = None, **extra) -> dict:
    return {
        "question": key,
        "level": level,
        "not_applicable": extra.pop("not_applicable", False),
        "not_applicable_reason": extra.pop("not_applicable_reason", ""),
        "comment": extra.pop("comment", ""),
        "evidence_links": extra.pop("evidence_links", []),
    }


@pytest.fixture
def answer_all(questionnaire) -> Callable:
    """answer_all(actor, assessment, level=3) -> every question of the questionnaire answered."""

    def do(actor, assessment, level: int = 3) -> int:
        keys = Question.objects.filter(factor__questionnaire=assessment.questionnaire).values_list(
            "key", flat=True
        )
        return services.save_answers(
            actor=actor, assessment=assessment, answers=[answer(k, level) for k in keys]
        )

    return do
