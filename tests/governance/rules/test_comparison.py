"""Champion against challenger: directions from KPIs and the table of common metrics, verdicts, and properties."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.rules.comparison import (
    BETTER,
    HIGHER,
    LOWER,
    SAME,
    UNKNOWN,
    WORSE,
    compare_metrics,
    metric_direction,
    normalise,
    verdict,
)

numbers = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)
names = st.sampled_from(["auc", "rmse", "gini", "latency_ms", "custom_score", "f1", "psi", "widgets"])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("auc", HIGHER),
        ("AUC", HIGHER),
        ("val_auc", HIGHER),
        ("roc-auc", HIGHER),
        ("Accuracy", HIGHER),
        ("f1_score", HIGHER),
        ("KS", HIGHER),
        ("gini", HIGHER),
        ("precision", HIGHER),
        ("recall", HIGHER),
        ("rmse", LOWER),
        ("MAE", LOWER),
        ("log_loss", LOWER),
        ("brier score", LOWER),
        ("psi", LOWER),
        ("p95_latency_ms", LOWER),
        ("precision_at_1pct", HIGHER),
        ("throughput", None),
        ("auc_minus_rmse", None),  # words of both kinds: undecided
        ("kss", None),  # whole words only
    ],
)
def test_known_metric_names_have_their_direction(name, expected):
    assert metric_direction(name)[0] == expected


def test_a_kpi_of_the_same_name_decides_the_direction():
    # "Approval rate" is unknown to the table; the model's KPI says higher is better.
    assert metric_direction("approval_rate", {"Approval rate": HIGHER}) == (HIGHER, "kpi")
    # The KPI wins over the table (a model whose "accuracy" KPI is an error count, say).
    assert metric_direction("accuracy", {"Accuracy": LOWER}) == (LOWER, "kpi")
    assert metric_direction("auc", {}) == (HIGHER, "known metric")
    assert metric_direction("throughput", {"Latency": LOWER}) == (None, "")


def test_normalise_ignores_case_spaces_and_punctuation():
    assert normalise("  P95 Latency (ms) ") == "p95_latency_ms"
    assert normalise("roc-AUC") == "roc_auc"


@pytest.mark.parametrize(
    ("champion", "candidate", "direction", "expected"),
    [
        (0.80, 0.82, HIGHER, BETTER),
        (0.82, 0.80, HIGHER, WORSE),
        (120.0, 100.0, LOWER, BETTER),
        (100.0, 120.0, LOWER, WORSE),
        (0.8, 0.8, HIGHER, SAME),
        (0.8, 0.8, None, SAME),
        (0.8, 0.9, None, UNKNOWN),
    ],
)
def test_verdict_is_direction_aware(champion, candidate, direction, expected):
    assert verdict(champion, candidate, direction) == expected


def test_a_retrained_scorecard_against_its_champion():
    comparison = compare_metrics(
        {"gini": 0.61, "ks": 0.44, "rmse": 0.30, "notes": "holdout", "psi": 0.02},
        {"gini": 0.63, "ks": 0.43, "rmse": 0.25, "approval_rate": 61.0, "psi": 0.02, "flag": True},
        {"Approval rate": HIGHER},
    )
    rows = {row.name: row for row in comparison.rows}
    assert list(rows) == ["gini", "ks", "psi", "rmse"]  # shared numeric metrics, by name
    assert rows["gini"].verdict == BETTER and rows["gini"].difference == pytest.approx(0.02)
    assert rows["ks"].verdict == WORSE
    assert rows["rmse"].verdict == BETTER and rows["rmse"].direction == LOWER
    assert rows["psi"].verdict == SAME
    assert rows["gini"].relative_change == pytest.approx(0.02 / 0.61)
    assert comparison.only_candidate == ["approval_rate"]  # the boolean "flag" is not a metric value
    assert comparison.only_champion == []
    assert (comparison.better, comparison.worse) == (2, 1)
    assert comparison.as_json()["summary"] == {BETTER: 2, WORSE: 1, SAME: 1, UNKNOWN: 0}


def test_metrics_that_are_not_objects_compare_nothing():
    assert compare_metrics(None, ["auc"]).rows == []
    assert compare_metrics({"auc": float("inf")}, {"auc": 0.9}).rows == []


def test_a_zero_champion_value_has_no_relative_change():
    row = compare_metrics({"mae": 0}, {"mae": 1.5}).rows[0]
    assert row.relative_change is None and row.verdict == WORSE


def test_an_overflowing_difference_is_left_out_not_infinite():
    row = compare_metrics({"score": -1.7e308}, {"score": 1.7e308}).rows[0]
    assert row.difference is None and row.relative_change is None


@given(st.dictionaries(names, numbers), st.dictionaries(names, numbers), st.sampled_from([HIGHER, LOWER]))
def test_swapping_champion_and_candidate_swaps_better_and_worse(old, new, direction):
    kpis = dict.fromkeys(("custom_score", "widgets"), direction)
    forward, backward = compare_metrics(old, new, kpis), compare_metrics(new, old, kpis)
    swap = {BETTER: WORSE, WORSE: BETTER, SAME: SAME, UNKNOWN: UNKNOWN}
    assert [swap[row.verdict] for row in forward.rows] == [row.verdict for row in backward.rows]
    assert forward.only_candidate == backward.only_champion


@given(st.dictionaries(names, numbers), st.dictionaries(names, numbers))
def test_every_shared_metric_is_compared_once_with_a_json_safe_row(old, new):
    comparison = compare_metrics(old, new)
    assert [row.name for row in comparison.rows] == sorted(set(old) & set(new), key=str.lower)
    for row in comparison.rows:
        assert row.verdict in (BETTER, WORSE, SAME, UNKNOWN)
        assert row.difference is None or math.isfinite(row.difference)
        if row.direction is None and row.verdict != SAME:
            assert row.verdict == UNKNOWN


@given(numbers, numbers, st.sampled_from([HIGHER, LOWER]))
def test_better_means_larger_when_higher_is_better_and_smaller_otherwise(old, new, direction):
    result = verdict(old, new, direction)
    if result == BETTER:
        assert (new > old) if direction == HIGHER else (new < old)
    elif result == WORSE:
        assert (new < old) if direction == HIGHER else (new > old)
