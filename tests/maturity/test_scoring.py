"""Scoring: hand-computed cases for each function and properties that must hold for any input."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maturity import scoring
from maturity.scoring import (
    FactorInput,
    FactorResult,
    QuestionInput,
    assess,
    build_roadmap,
    factor_score,
    gap,
    maturity_level_name,
    overall_score,
    weighted_mean,
)


def test_weighted_mean_by_hand():
    assert weighted_mean([(1, 1), (4, 2)]) == pytest.approx(3.0)  # (1 + 8) / 3
    assert weighted_mean([(2.5, 0.5)]) == pytest.approx(2.5)


def test_weighted_mean_without_weight_is_none():
    assert weighted_mean([]) is None
    assert weighted_mean([(3, 0), (5, 0)]) is None


def test_factor_score_leaves_out_na_and_unanswered():
    answers = [(4, False, 2.0), (1, False, 1.0), (None, False, 5.0), (None, True, 3.0)]
    assert factor_score(answers) == pytest.approx(3.0)  # (8 + 1) / 3


def test_factor_score_of_nothing_answered_is_none():
    assert factor_score([(None, False, 1.0), (None, True, 1.0)]) is None


def test_overall_score_weights_factors_and_skips_unscored():
    assert overall_score([(2.0, 1.0), (5.0, 2.0), (None, 10.0)]) == pytest.approx(4.0)  # (2 + 10) / 3
    assert overall_score([(None, 1.0)]) is None


@pytest.mark.parametrize(
    ("score", "name"),
    [
        (None, "Not assessed"),
        (0, "Absent"),
        (0.99, "Absent"),
        (1.0, "Initial / ad hoc"),
        (2.9, "Repeatable"),
        (3.0, "Defined"),
        (4.5, "Managed / measured"),
        (5.0, "Optimising"),
    ],
)
def test_level_name_is_the_floor_of_the_score(score, name):
    assert maturity_level_name(score) == name


def test_gap_by_hand():
    assert gap(4.0, 2.5) == pytest.approx(1.5)
    assert gap(3.0, 3.5) == 0
    assert gap(None, 2.0) == 0
    assert gap(3.0, None) == 0


def _q(key, level, weight=1.0, na=False):
    return QuestionInput(
        key=key,
        text=f"{key}?",
        weight=weight,
        descriptors=[f"{key} L{i}" for i in range(6)],
        level=level,
        not_applicable=na,
    )


def _factor(key, score, target, weight=1.0):
    return FactorResult(
        key=key,
        name=key.title(),
        weight=weight,
        score=score,
        target=target,
        gap=gap(target, score),
        level_name=maturity_level_name(score),
        answered=2,
        total=2,
    )


def test_roadmap_ranks_by_gap_times_weights_and_proposes_the_next_level():
    factors = [_factor("strategy", 2.0, 4.0, weight=1.0), _factor("governance", 1.0, 2.0, weight=3.0)]
    questions = {
        "strategy": [_q("strategy-q1", 2, weight=1.0), _q("strategy-q2", 2, weight=2.0)],
        "governance": [_q("governance-q1", 1), _q("governance-q2", None), _q("governance-q3", None, na=True)],
    }
    roadmap = build_roadmap(factors, questions)
    # priorities: strategy-q2 2*1*2=4, governance-q1 1*3*1=3, strategy-q1 2*1*1=2
    assert [(i.question_key, i.priority) for i in roadmap] == [
        ("strategy-q2", 4.0),
        ("governance-q1", 3.0),
        ("strategy-q1", 2.0),
    ]
    first = roadmap[0]
    assert (first.current_level, first.next_level) == (2, 3)
    assert first.recommended_action == "strategy-q2 L3"
    assert first.factor_name == "Strategy"


def test_roadmap_skips_factors_at_target_and_questions_at_level_five():
    factors = [_factor("strategy", 4.0, 3.0), _factor("modeling", 2.5, 4.0)]
    questions = {
        "strategy": [_q("strategy-q1", 1)],
        "modeling": [_q("modeling-q1", 5), _q("modeling-q2", 0)],
    }
    assert [i.question_key for i in build_roadmap(factors, questions)] == ["modeling-q2"]


def test_roadmap_breaks_ties_by_lower_current_level():
    factors = [_factor("processes", 2.0, 4.0)]
    questions = {"processes": [_q("processes-q1", 3), _q("processes-q2", 1)]}
    assert [i.question_key for i in build_roadmap(factors, questions)] == ["processes-q2", "processes-q1"]


def test_assess_by_hand():
    factors = [
        FactorInput("strategy", "Strategy", 2.0, [_q("strategy-q1", 4), _q("strategy-q2", 2)]),
        FactorInput("governance", "Governance", 1.0, [_q("governance-q1", 0), _q("governance-q2", None)]),
    ]
    result = assess(factors, {"strategy": 3.0, "governance": 2.0})
    assert [f.score for f in result.factors] == [3.0, 0.0]
    assert result.overall == pytest.approx(2.0)  # (3*2 + 0*1) / 3
    assert result.level_name == "Repeatable"
    assert (result.answered, result.total) == (3, 4)
    assert [f.gap for f in result.factors] == [0.0, 2.0]
    assert [i.question_key for i in result.roadmap] == ["governance-q1"]


# --- properties -----------------------------------------------------------------------------------------------

levels = st.one_of(st.none(), st.integers(min_value=0, max_value=5))
weights = st.floats(min_value=0, max_value=10, allow_nan=False)
answer_lists = st.lists(st.tuples(levels, st.booleans(), weights), max_size=12)


@given(answer_lists)
def test_factor_score_is_within_the_scale(answers):
    score = factor_score(answers)
    assert score is None or -1e-9 <= score <= 5 + 1e-9


@given(st.lists(st.tuples(st.one_of(st.none(), st.floats(0, 5)), weights), max_size=8))
def test_overall_score_is_within_the_scale(pairs):
    score = overall_score(pairs)
    assert score is None or -1e-9 <= score <= 5 + 1e-9


@given(answer_lists, levels, weights)
def test_marking_a_question_na_never_changes_the_score(answers, level, weight):
    assert factor_score([*answers, (level, True, weight)]) == factor_score(answers)


@given(st.one_of(st.none(), st.floats(0, 5)), st.one_of(st.none(), st.floats(0, 5)))
def test_gap_is_never_negative(target, score):
    assert gap(target, score) >= 0


factor_inputs = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=5),
        st.lists(
            st.tuples(levels, st.booleans(), st.floats(min_value=0.1, max_value=5)), min_size=1, max_size=4
        ),
        st.floats(min_value=0.1, max_value=5),
    ),
    min_size=1,
    max_size=5,
)


@given(factor_inputs)
def test_roadmap_is_sorted_by_priority_and_only_holds_improvable_questions(spec):
    factors, targets = [], {}
    for index, (target, answers, factor_weight) in enumerate(spec):
        key = f"f{index}"
        targets[key] = target
        factors.append(
            FactorInput(
                key,
                key,
                factor_weight,
                [_q(f"{key}-q{n}", None if na else level, w, na) for n, (level, na, w) in enumerate(answers)],
            )
        )
    result = assess(factors, targets)
    priorities = [item.priority for item in result.roadmap]
    assert priorities == sorted(priorities, reverse=True)
    assert all(p > 0 for p in priorities)
    assert all(
        item.current_level < 5 and item.next_level == item.current_level + 1 for item in result.roadmap
    )
    assert 0 <= (result.overall if result.overall is not None else 0) <= 5 + 1e-9


# ---- evidence: the highest level an observed share supports ----------------------------------------------------

MONITORING = {2: 0.1, 3: 0.5, 4: 0.8, 5: 0.95}


@pytest.mark.parametrize(
    ("share", "supported"),
    [(0.0, 1), (0.09, 1), (0.1, 2), (0.42, 2), (0.5, 3), (1 / 2, 3), (0.94, 4), (0.95, 5), (1.0, 5)],
)
def test_supported_level_is_the_highest_level_whose_share_is_met(share, supported):
    assert scoring.supported_level(MONITORING, share) == supported


def test_nothing_observed_or_no_mapping_supports_no_bound():
    assert scoring.supported_level(MONITORING, None) is None
    assert scoring.supported_level({}, 0.5) is None


def test_levels_stored_as_json_strings_read_the_same():
    assert scoring.supported_level({str(k): v for k, v in MONITORING.items()}, 0.6) == 3


@given(st.floats(min_value=0, max_value=1), st.floats(min_value=0, max_value=1))
def test_more_evidence_never_supports_a_lower_level(a, b):
    low, high = sorted((a, b))
    assert scoring.supported_level(MONITORING, low) <= scoring.supported_level(MONITORING, high)


def test_a_rating_above_the_evidence_is_flagged_and_capped_in_the_evidence_score():
    questions = [
        scoring.QuestionInput(key="a", text="A", weight=1.0, level=4, supported_level=2),
        scoring.QuestionInput(key="b", text="B", weight=1.0, level=2, supported_level=3),
        scoring.QuestionInput(key="c", text="C", weight=1.0, level=3),
        scoring.QuestionInput(key="d", text="D", weight=1.0, not_applicable=True, supported_level=0),
    ]
    result = scoring.assess(
        [scoring.FactorInput(key="f", name="F", weight=1.0, questions=questions)], {"f": 3}
    )

    factor = result.factors[0]
    assert factor.flags == 1 == result.flags
    assert factor.score == pytest.approx(3.0)
    assert factor.evidence_score == pytest.approx((2 + 2 + 3) / 3)
    assert result.evidence_overall == pytest.approx(factor.evidence_score)


# ---- roadmap horizons ---------------------------------------------------------------------------------------


def _step(to: int, effort: str, *requires: str) -> dict:
    return {"to": to, "action": f"Do step {to}", "effort": effort, "requires": list(requires)}


def _roadmap_of(questions: list[scoring.QuestionInput]) -> list[scoring.RoadmapItem]:
    factor = scoring.FactorInput(key="processes", name="Processes", weight=1.0, questions=questions)
    return scoring.assess([factor], {"processes": 5}).roadmap


def test_actions_come_from_the_questionnaire_with_effort_and_horizon():
    roadmap = _roadmap_of(
        [
            scoring.QuestionInput(key="quick", text="Q", weight=1.0, level=1, actions=[_step(2, "S")]),
            scoring.QuestionInput(key="big", text="B", weight=1.0, level=1, actions=[_step(2, "L")]),
        ]
    )

    by_key = {item.question_key: item for item in roadmap}
    assert by_key["quick"].recommended_action == "Do step 2" and by_key["quick"].effort == "S"
    assert by_key["quick"].horizon_name == "Next quarter"
    assert by_key["big"].horizon_name == "Within 12 months"


def test_an_action_waits_one_horizon_after_the_action_it_depends_on():
    roadmap = _roadmap_of(
        [
            scoring.QuestionInput(key="monitoring", text="M", weight=1.0, level=2, actions=[_step(3, "M")]),
            scoring.QuestionInput(
                key="retraining", text="R", weight=2.0, level=1, actions=[_step(2, "S", "monitoring>=3")]
            ),
            scoring.QuestionInput(
                key="far", text="F", weight=1.0, level=0, actions=[_step(1, "S", "monitoring>=5")]
            ),
            scoring.QuestionInput(
                key="met", text="T", weight=1.0, level=0, actions=[_step(1, "S", "monitoring>=2")]
            ),
        ]
    )

    by_key = {item.question_key: item for item in roadmap}
    assert by_key["monitoring"].horizon == 1
    assert by_key["retraining"].horizon == 2 and by_key["retraining"].waits_for == ("monitoring>=3",)
    # No roadmap item gets monitoring to 5 soon: the dependent action is for the last horizon.
    assert by_key["far"].horizon == 2
    # A prerequisite already met does not hold an action back.
    assert by_key["met"].horizon == 0 and by_key["met"].waits_for == ()


def test_each_horizon_takes_its_highest_priority_actions_up_to_its_capacity():
    questions = [
        scoring.QuestionInput(key=f"q{n}", text="Q", weight=float(20 - n), level=1, actions=[_step(2, "S")])
        for n in range(18)
    ]
    roadmap = _roadmap_of(questions)

    horizons = [item.horizon for item in roadmap]
    assert horizons == sorted(horizons)  # in priority order, the nearer horizons fill first
    assert horizons.count(0) == 5 and horizons.count(1) == 10 and horizons.count(2) == 3


@given(
    st.lists(
        st.tuples(
            st.integers(0, 4), st.sampled_from("SML"), st.floats(0.1, 3), st.integers(0, 9), st.integers(1, 5)
        ),
        min_size=1,
        max_size=25,
    )
)
def test_horizons_respect_capacity_and_prerequisites_whatever_the_answers(spec):
    questions = []
    for index, (level, effort, weight, depends_on, needed) in enumerate(spec):
        requires = [f"q{depends_on}>={needed}"] if depends_on != index and depends_on < len(spec) else []
        questions.append(
            scoring.QuestionInput(
                key=f"q{index}",
                text="Q",
                weight=weight,
                level=level,
                actions=[_step(level + 1, effort, *requires)],
            )
        )
    roadmap = _roadmap_of(questions)

    for horizon, capacity in enumerate(scoring.HORIZON_CAPACITY):
        if capacity is not None:
            assert sum(1 for item in roadmap if item.horizon == horizon) <= capacity
    by_key = {item.question_key: item for item in roadmap}
    for item in roadmap:
        for requirement in item.waits_for:
            key, level = requirement.split(">=")
            enabler = by_key.get(key)
            if enabler is not None and enabler.next_level >= int(level):
                assert item.horizon > enabler.horizon or item.horizon == len(scoring.HORIZONS) - 1
            else:
                assert item.horizon == len(scoring.HORIZONS) - 1
