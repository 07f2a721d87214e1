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
from dataclasses import dataclass, field, replace
from typing import Any

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


# Roadmap horizons, nearest first, and how many actions each takes before the rest move to the next one.
HORIZONS = ("Next quarter", "Within 6 months", "Within 12 months")
HORIZON_CAPACITY = (5, 10, None)
EFFORT_HORIZON = {"S": 0, "M": 1, "L": 2}
EFFORT_NAMES = {"S": "Small", "M": "Medium", "L": "Large"}
ROADMAP_RULE = (
    "Priority is the factor's gap to its target times the factor's weight times the question's weight. Small "
    "efforts are planned for the next quarter, medium ones within 6 months and large ones within 12 months; an "
    "action that depends on another question comes one horizon after the action that gets that question there. "
    "Each horizon takes the highest-priority actions first (at most 5 in the next quarter and 10 within 6 "
    "months); the rest move to the following horizon."
)


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
    effort: str = ""
    # Prerequisites not met yet, as "question-key>=level".
    waits_for: tuple[str, ...] = ()
    horizon: int = 0

    @property
    def horizon_name(self) -> str:
        return HORIZONS[self.horizon]

    @property
    def effort_name(self) -> str:
        return EFFORT_NAMES.get(self.effort, "")


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
    # The questionnaire's recommended action per level transition ({"to", "action", "effort", "requires"}).
    actions: Sequence[Mapping[str, Any]] = ()
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
    """Improvement actions, most valuable first, each placed in a horizon (see ``ROADMAP_RULE``).

    ``factors`` are the scored factors; ``questions`` maps each factor key to its questions with answers.

    A question is on the roadmap when its factor is below target (gap > 0), it is answered with a level
    below 5 and it is not N/A. Each step proposes moving the question one level up, so

        priority = factor gap * factor weight * question weight

    (the distance to the next level is always 1, so it does not change the ranking). Ties go to the
    question with the lower current level first, then questionnaire order. The recommended action is the
    questionnaire's action for that transition; a questionnaire without actions offers the next level's
    descriptor instead.
    """
    levels = {q.key: (None if q.not_applicable else q.level) for qs in questions.values() for q in qs}
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
            step = next((a for a in question.actions if a.get("to") == next_level), None)
            if step is not None:
                action, effort = step["action"], step.get("effort", "")
                waits_for = tuple(r for r in step.get("requires") or () if not _requirement_met(r, levels))
            else:
                descriptors = list(question.descriptors or ())
                action = descriptors[next_level] if next_level < len(descriptors) else LEVEL_NAMES[next_level]
                effort, waits_for = "", ()
            priority = factor.gap * factor.weight * question.weight
            if priority <= 0:  # a zero weight, or a gap so small the product underflows: nothing to gain
                continue
            item = RoadmapItem(
                question_key=question.key,
                question_text=question.text,
                factor_key=factor.key,
                factor_name=factor.name,
                current_level=question.level,
                next_level=next_level,
                recommended_action=action,
                priority=priority,
                effort=effort,
                waits_for=waits_for,
            )
            candidates.append((-priority, question.level, position, item))
    candidates.sort(key=lambda c: (c[0], c[1], c[2]))
    items = assign_horizons([c[3] for c in candidates])
    return items[:limit] if limit is not None else items


def _parse_requirement(requirement: str) -> tuple[str, int]:
    key, _, level = requirement.partition(">=")
    return key.strip(), int(level)


def _requirement_met(requirement: str, levels: Mapping[str, int | None]) -> bool:
    key, level = _parse_requirement(requirement)
    current = levels.get(key)
    return current is not None and current >= level


def assign_horizons(items: Sequence[RoadmapItem]) -> list[RoadmapItem]:
    """Place roadmap items (already in priority order) in horizons, as ``ROADMAP_RULE`` says in words.

    An item starts in its effort's horizon (no effort known: within 6 months); an unmet prerequisite puts it one
    horizon after the item that reaches the level it needs, or in the last horizon when no item on the roadmap
    does; then each horizon keeps its highest-priority items up to its capacity and passes the rest on.
    """
    last = len(HORIZONS) - 1
    horizon = [EFFORT_HORIZON.get(item.effort, 1) for item in items]
    by_key = {item.question_key: index for index, item in enumerate(items)}

    def respect_prerequisites() -> None:
        # Prerequisites form a DAG in the data; the bound on rounds also stops a cycle from looping.
        for _ in range(len(items)):
            changed = False
            for index, item in enumerate(items):
                for requirement in item.waits_for:
                    key, level = _parse_requirement(requirement)
                    enabler = by_key.get(key)
                    if enabler is not None and items[enabler].next_level >= level:
                        needed = min(last, horizon[enabler] + 1)
                    else:
                        needed = last
                    if horizon[index] < needed:
                        horizon[index] = needed
                        changed = True
            if not changed:
                return

    def respect_capacity() -> None:
        taken = [0] * len(HORIZONS)
        for index in range(len(items)):
            while (
                HORIZON_CAPACITY[horizon[index]] is not None
                and taken[horizon[index]] >= HORIZON_CAPACITY[horizon[index]]
            ):
                horizon[index] += 1
            taken[horizon[index]] += 1

    # Both only ever move items later, and horizons are bounded, so alternating them settles.
    for _ in range(len(items) * len(HORIZONS) + 1):
        before = list(horizon)
        respect_prerequisites()
        respect_capacity()
        if horizon == before:
            break
    return [replace(item, horizon=horizon[index]) for index, item in enumerate(items)]


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
