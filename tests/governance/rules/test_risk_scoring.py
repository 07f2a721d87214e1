"""Risk scoring and bands: hand-picked boundaries and properties that hold for every level and score."""

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.models import Risk, RiskStatus
from governance.rules.risk_scoring import (
    ACTIVE_STATUSES,
    BAND_CHOICES,
    BAND_RANGES,
    CRITICAL,
    HIGH,
    LOW,
    MEDIUM,
    heatmap_counts,
    risk_score,
    score_band,
)

BANDS_IN_ORDER = (LOW, MEDIUM, HIGH, CRITICAL)
levels = st.integers(min_value=1, max_value=5)
scores = st.integers(min_value=1, max_value=25)
maybe_level = st.one_of(st.none(), levels)


# --- risk_score -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("likelihood", "impact", "score"), [(1, 1, 1), (2, 3, 6), (5, 5, 25), (4, 3, 12)])
def test_score_is_likelihood_times_impact(likelihood, impact, score):
    assert risk_score(likelihood, impact) == score


@pytest.mark.parametrize(("likelihood", "impact"), [(0, 3), (6, 1), (3, None), ("3", 2), (True, 2), (2.5, 2)])
def test_score_refuses_levels_outside_one_to_five(likelihood, impact):
    with pytest.raises(ValueError):
        risk_score(likelihood, impact)


@given(levels, levels)
def test_score_of_any_two_levels_is_their_product_and_has_a_band(likelihood, impact):
    score = risk_score(likelihood, impact)
    assert score == likelihood * impact
    assert 1 <= score <= 25
    assert score_band(score) in BANDS_IN_ORDER


@given(levels, levels, levels)
def test_a_more_likely_or_more_severe_risk_is_never_in_a_lower_band(likelihood, impact, other):
    def rank(l_level: int, i_level: int) -> int:
        return BANDS_IN_ORDER.index(score_band(risk_score(l_level, i_level)))

    if other >= likelihood:
        assert rank(other, impact) >= rank(likelihood, impact)
    if other >= impact:
        assert rank(likelihood, other) >= rank(likelihood, impact)


@given(st.integers().filter(lambda n: not 1 <= n <= 5), levels)
def test_score_refuses_any_whole_number_off_the_scale(off_scale, level):
    with pytest.raises(ValueError):
        risk_score(off_scale, level)
    with pytest.raises(ValueError):
        risk_score(level, off_scale)


@given(st.one_of(st.floats(), st.text(), st.booleans(), st.none()), levels)
def test_score_refuses_what_is_not_a_whole_number(value, level):
    with pytest.raises(ValueError):
        risk_score(value, level)
    with pytest.raises(ValueError):
        risk_score(level, value)


# --- score_band -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (1, "low"),
        (4, "low"),
        (5, "medium"),
        (9, "medium"),
        (10, "high"),
        (12, "high"),
        (14, "high"),
        (15, "critical"),
        (25, "critical"),
        (None, None),
    ],
)
def test_score_bands_boundaries(score, band):
    assert score_band(score) == band


def test_bands_cover_every_possible_score_exactly_once():
    grid_scores = {likelihood * impact for likelihood in range(1, 6) for impact in range(1, 6)}
    assert {score_band(s) for s in grid_scores} == {"low", "medium", "high", "critical"}
    covered = [score for lowest, highest in BAND_RANGES.values() for score in range(lowest, highest + 1)]
    assert sorted(covered) == list(range(1, 26))  # contiguous, no gap and no overlap


@given(scores)
def test_every_score_falls_in_exactly_one_band_and_that_is_the_band_named(score):
    containing = [band for band, (lowest, highest) in BAND_RANGES.items() if lowest <= score <= highest]
    assert containing == [score_band(score)]


@given(scores, scores)
def test_bands_rise_with_the_score(a, b):
    low, high = sorted((a, b))
    assert BANDS_IN_ORDER.index(score_band(low)) <= BANDS_IN_ORDER.index(score_band(high))


@given(st.integers().filter(lambda n: not 1 <= n <= 25))
def test_a_score_outside_one_to_twenty_five_has_no_band(score):
    with pytest.raises(ValueError):
        score_band(score)


def test_band_choices_list_the_bands_in_order_with_their_ranges():
    assert [band for band, _ in BAND_CHOICES] == list(BANDS_IN_ORDER) == list(BAND_RANGES)
    for band, label in BAND_CHOICES:
        lowest, highest = BAND_RANGES[band]
        assert label == f"{band.capitalize()} ({lowest}-{highest})"


# --- heatmap_counts -------------------------------------------------------------------------------------


def test_heatmap_counts_places_risks_by_likelihood_and_impact():
    risks = [
        Risk(likelihood=4, impact=5, residual_likelihood=2, residual_impact=3),
        Risk(likelihood=4, impact=5),
        Risk(likelihood=1, impact=2, residual_likelihood=1, residual_impact=1),
    ]
    inherent = heatmap_counts(risks, residual=False)
    assert inherent[4][3] == 2  # impact 5, likelihood 4
    assert inherent[1][0] == 1
    assert sum(map(sum, inherent)) == 3
    residual = heatmap_counts(risks, residual=True)
    assert residual[2][1] == 1 and residual[0][0] == 1
    assert sum(map(sum, residual)) == 2  # the risk without a residual assessment is left out


def test_heatmap_counts_takes_grouped_rows_with_counts():
    rows = [{"likelihood": 3, "impact": 3, "residual_likelihood": None, "residual_impact": None, "n": 7}]
    assert heatmap_counts(rows)[2][2] == 7
    assert sum(map(sum, heatmap_counts(rows, residual=True))) == 0


def test_heatmap_counts_leaves_out_levels_off_the_scale():
    rows = [{"likelihood": 0, "impact": 3}, {"likelihood": 3, "impact": 6}, {"likelihood": None, "impact": 2}]
    assert heatmap_counts(rows) == [[0] * 5 for _ in range(5)]


risk_rows = st.lists(
    st.builds(
        SimpleNamespace,
        likelihood=levels,
        impact=levels,
        residual_likelihood=maybe_level,
        residual_impact=maybe_level,
    ),
    max_size=60,
)


@given(risk_rows)
def test_heatmap_counts_every_risk_once_in_its_cell(risks):
    grid = heatmap_counts(risks)
    assert len(grid) == 5 and all(len(row) == 5 for row in grid)
    assert sum(map(sum, grid)) == len(risks)
    for impact in range(1, 6):
        for likelihood in range(1, 6):
            expected = sum(1 for r in risks if (r.likelihood, r.impact) == (likelihood, impact))
            assert grid[impact - 1][likelihood - 1] == expected


@given(risk_rows)
def test_residual_heatmap_counts_only_risks_with_a_residual_assessment(risks):
    assessed = [r for r in risks if r.residual_likelihood is not None and r.residual_impact is not None]
    grid = heatmap_counts(risks, residual=True)
    assert sum(map(sum, grid)) == len(assessed)
    assert grid == heatmap_counts(
        [SimpleNamespace(likelihood=r.residual_likelihood, impact=r.residual_impact) for r in assessed]
    )


@given(risk_rows)
def test_grouped_rows_give_the_same_grid_as_the_risks_they_count(risks):
    groups: dict[tuple, int] = {}
    for r in risks:
        key = (r.likelihood, r.impact, r.residual_likelihood, r.residual_impact)
        groups[key] = groups.get(key, 0) + 1
    rows = [
        {"likelihood": k[0], "impact": k[1], "residual_likelihood": k[2], "residual_impact": k[3], "n": n}
        for k, n in groups.items()
    ]
    for residual in (False, True):
        assert heatmap_counts(rows, residual=residual) == heatmap_counts(risks, residual=residual)


# --- statuses -------------------------------------------------------------------------------------------


def test_only_open_and_mitigating_risks_can_be_overdue():
    assert {RiskStatus.OPEN, RiskStatus.MITIGATING} == ACTIVE_STATUSES
    assert RiskStatus.ACCEPTED not in ACTIVE_STATUSES and RiskStatus.CLOSED not in ACTIVE_STATUSES
