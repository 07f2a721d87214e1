"""Maturity scoring: pure functions of levels, weights and targets. No database access.

Scale: every question is answered with a level 0-5 (see ``maturity.levels``) or marked not applicable (N/A).

- factor score = weighted mean of the factor's answered question levels (weights = question weights);
  N/A and unanswered questions are left out of both numerator and denominator.
- overall score = weighted mean of the factor scores (weights = factor weights); factors without a score
  (nothing answered) are left out.
- gap = max(0, target - score).
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from maturity.levels import LEVEL_NAMES

MAX_LEVEL = max(LEVEL_NAMES)
NOT_ASSESSED = "Not assessed"


def weighted_mean(pairs: Iterable[tuple[float, float]]) -> float | None:
    """Weighted mean of (value, weight) pairs; None when the weights add up to 0 (or there are none)."""
    total = 0.0
    weights = 0.0
    for value, weight in pairs:
        total += float(value) * float(weight)
        weights += float(weight)
    if weights <= 0:
        return None
    return total / weights


def factor_score(answers: Iterable[tuple[int | None, bool, float]]) -> float | None:
    """Score of one factor from (level, not_applicable, question weight) triples.

    N/A and unanswered (level None) questions do not count; None when nothing countable is left.
    """
    return weighted_mean(
        (level, weight)
        for level, not_applicable, weight in answers
        if not not_applicable and level is not None
    )


def overall_score(factor_scores: Iterable[tuple[float | None, float]]) -> float | None:
    """Overall score from (factor score, factor weight) pairs; factors without a score are left out."""
    return weighted_mean((score, weight) for score, weight in factor_scores if score is not None)


def maturity_level_name(score: float | None) -> str:
    """The name of the level a score has reached (its floor): 2.9 is still "Repeatable"."""
    if score is None:
        return NOT_ASSESSED
    level = min(MAX_LEVEL, max(0, math.floor(score + 1e-9)))
    return LEVEL_NAMES[level]


def gap(target: float | None, score: float | None) -> float:
    """How far the score is below its target; 0 when at/above target or when either is unknown."""
    if target is None or score is None:
        return 0.0
    return max(0.0, float(target) - float(score))


def supported_level(at_least: Mapping[int | str, float], share: float | None) -> int | None:
    """The highest level an observed share supports.

    ``at_least`` maps levels to the share each needs (``{2: 0.1, 3: 0.5, 4: 0.8, 5: 0.95}``); it lists every
    level from its lowest up to 5, with shares that never fall as the level rises. Levels below the lowest
    listed need no evidence. None when nothing was observed (no share) or there is no mapping.
    """
    if share is None or not at_least:
        return None
    needs = sorted((int(level), float(minimum)) for level, minimum in at_least.items())
    supported = needs[0][0] - 1
    for level, minimum in needs:
        # A tolerance, so 0.5 observed as 1/2 meets a 0.5 threshold despite float rounding.
        if share + 1e-9 < minimum:
            break
        supported = level
    return supported


def is_flagged(level: int | None, supported: int | None) -> bool:
    """A self-rating above what the evidence supports; N/A and unanswered questions are never flagged."""
    return level is not None and supported is not None and level > supported


@dataclass(frozen=True)
class FactorResult:
    key: str
    name: str
    weight: float
    score: float | None
    target: float | None
    gap: float
    level_name: str
    answered: int
    total: int
    # The score with every self-rating above what the evidence supports lowered to what it supports.
    evidence_score: float | None = None
    flags: int = 0


@dataclass(frozen=True)
class RoadmapItem:
    question_key: str
    question_text: str
    factor_key: str
    factor_name: str
    current_level: int
    next_level: int
    recommended_action: str
    priority: float


@dataclass(frozen=True)
class AssessmentResult:
    factors: list[FactorResult]
    overall: float | None
    level_name: str
    roadmap: list[RoadmapItem] = field(default_factory=list)
    answered: int = 0
    total: int = 0
    evidence_overall: float | None = None
    flags: int = 0
    # Per question key: the self-assessed level and the level the evidence supports it at (None: N/A or not
    # answered), for criteria-based placements such as ``maturity.crosswalk``.
    levels: dict[str, int | None] = field(default_factory=dict)
    evidence_levels: dict[str, int | None] = field(default_factory=dict)


@dataclass(frozen=True)
class QuestionInput:
    """One question of a factor with its answer (if any), as the scoring functions need it."""

    key: str
    text: str
    weight: float
    descriptors: Sequence[str] = ()
    level: int | None = None
    not_applicable: bool = False
    # The highest level Plumbline's records support (None: the question has no signal, or nothing to observe).
    supported_level: int | None = None

    @property
    def is_answered(self) -> bool:
        return self.not_applicable or self.level is not None

    @property
    def is_flagged(self) -> bool:
        return is_flagged(self.level, self.supported_level)

    @property
    def evidence_level(self) -> int | None:
        """The self-rating, lowered to what the evidence supports."""
        if self.level is None or self.supported_level is None:
            return self.level
        return min(self.level, self.supported_level)


@dataclass(frozen=True)
class FactorInput:
    key: str
    name: str
    weight: float
    questions: Sequence[QuestionInput] = ()


def build_roadmap(
    factors: Sequence[FactorResult],
    questions: Mapping[str, Sequence[QuestionInput]],
    limit: int | None = None,
) -> list[RoadmapItem]:
    """Improvement actions, most valuable first.

    ``factors`` are the scored factors; ``questions`` maps each factor key to its questions with answers.

    A question is on the roadmap when its factor is below target (gap > 0), it is answered with a level
    below 5 and it is not N/A. Each step proposes moving the question one level up, so

        priority = factor gap * factor weight * question weight

    (the distance to the next level is always 1, so it does not change the ranking). Ties go to the
    question with the lower current level first, then questionnaire order. The recommended action is the
    descriptor of the next level.
    """
    candidates: list[tuple[float, int, int, RoadmapItem]] = []
    position = 0
    for factor in factors:
        if factor.gap <= 0:
            continue
        for question in questions.get(factor.key, ()):
            position += 1
            if question.not_applicable or question.level is None or question.level >= MAX_LEVEL:
                continue
            next_level = question.level + 1
            descriptors = list(question.descriptors or ())
            action = descriptors[next_level] if next_level < len(descriptors) else LEVEL_NAMES[next_level]
            priority = factor.gap * factor.weight * question.weight
            item = RoadmapItem(
                question_key=question.key,
                question_text=question.text,
                factor_key=factor.key,
                factor_name=factor.name,
                current_level=question.level,
                next_level=next_level,
                recommended_action=action,
                priority=priority,
            )
            candidates.append((-priority, question.level, position, item))
    candidates.sort(key=lambda c: (c[0], c[1], c[2]))
    items = [c[3] for c in candidates]
    return items[:limit] if limit is not None else items


def assess(factors: Sequence[FactorInput], targets: Mapping[str, float] | None) -> AssessmentResult:
    """Score a whole assessment: factor results, overall score, roadmap and progress."""
    targets = targets or {}
    results: list[FactorResult] = []
    for factor in factors:
        score = factor_score((q.level, q.not_applicable, q.weight) for q in factor.questions)
        target = targets.get(factor.key)
        target = float(target) if target is not None else None
        results.append(
            FactorResult(
                key=factor.key,
                name=factor.name,
                weight=factor.weight,
                score=score,
                target=target,
                gap=gap(target, score),
                level_name=maturity_level_name(score),
                answered=sum(1 for q in factor.questions if q.is_answered),
                total=len(factor.questions),
                evidence_score=factor_score(
                    (q.evidence_level, q.not_applicable, q.weight) for q in factor.questions
                ),
                flags=sum(1 for q in factor.questions if q.is_flagged),
            )
        )
    overall = overall_score((r.score, r.weight) for r in results)
    roadmap = build_roadmap(results, {f.key: f.questions for f in factors})
    return AssessmentResult(
        factors=results,
        overall=overall,
        level_name=maturity_level_name(overall),
        roadmap=roadmap,
        answered=sum(r.answered for r in results),
        total=sum(r.total for r in results),
        evidence_overall=overall_score((r.evidence_score, r.weight) for r in results),
        flags=sum(r.flags for r in results),
        levels={q.key: None if q.not_applicable else q.level for f in factors for q in f.questions},
        evidence_levels={
            q.key: None if q.not_applicable else q.evidence_level for f in factors for q in f.questions
        },
    )
