"""The degradation detector (one-sided CUSUM against a rolling baseline) and the freshness rules: hand-picked
series, and properties for any series hypothesis finds."""

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from governance.models import KPIDirection
from governance.rules.drift import (
    DEFAULT_PARAMS,
    DEGRADING,
    HIGHER,
    LOWER,
    NOT_ENOUGH_DATA,
    OK,
    DriftParams,
    detect,
    is_stale,
    stale_after_for,
)

directions = st.sampled_from([HIGHER, LOWER])
values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
series = st.lists(values, min_size=0, max_size=80)


def _resolvable(xs: list[float]) -> bool:
    """The values differ by more than float rounding of their size, or not at all (shifts and scales then keep
    every difference the detector sees)."""
    if not xs:
        return True
    spread, size = max(xs) - min(xs), max(abs(x) for x in xs)
    return spread == 0 or spread > 1e-6 * (1 + size)


NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _noise(n: int, seed: int = 7, sd: float = 0.01, mean: float = 0.87) -> list[float]:
    rng = random.Random(seed)
    return [rng.gauss(mean, sd) for _ in range(n)]


def _worse(direction: str) -> float:
    return -1.0 if direction == HIGHER else 1.0


# --- Hand-picked series ----------------------------------------------------------------------------------------


def test_directions_are_the_kpi_directions():
    assert (KPIDirection.HIGHER.value, KPIDirection.LOWER.value) == (HIGHER, LOWER)


@pytest.mark.parametrize("n", [0, 1, DEFAULT_PARAMS.min_points - 1])
def test_too_few_points_is_not_enough_data(n):
    result = detect(_noise(n), HIGHER)
    assert result.status == NOT_ENOUGH_DATA
    assert result.evidence["window"] == n and result.evidence["min_points"] == DEFAULT_PARAMS.min_points


def test_steady_noise_is_ok():
    result = detect(_noise(60), HIGHER)
    assert result.status == OK
    assert result.evidence["alarm_index"] is None


def test_an_auc_stepping_down_three_sd_is_degrading_with_its_evidence():
    baseline = _noise(30, sd=0.01)
    recent = _noise(30, seed=8, sd=0.01, mean=0.84)  # three standard deviations worse
    times = [(NOW - timedelta(days=59 - i)).isoformat() for i in range(60)]
    result = detect(baseline + recent, HIGHER, times=times)
    assert result.status == DEGRADING
    evidence = result.evidence
    assert evidence["window"] == 60 and evidence["baseline_points"] == 30 and evidence["recent_points"] == 30
    assert evidence["baseline_mean"] == pytest.approx(0.87, abs=0.005)
    assert evidence["recent_mean"] == pytest.approx(0.84, abs=0.005)
    assert evidence["change"] == pytest.approx(-0.03, abs=0.006)
    assert evidence["change_in_sd"] > 2
    assert evidence["statistic"] > evidence["threshold"] == DEFAULT_PARAMS.threshold
    # The alarm fires within a few points of the step, which the excursion's start locates.
    assert 30 <= evidence["change_index"] <= evidence["alarm_index"] <= 36
    assert evidence["alarm_at"] == times[evidence["alarm_index"]]
    assert evidence["change_from"] == times[evidence["change_index"]]
    assert evidence["from"] == times[0] and evidence["to"] == times[-1]


def test_a_latency_rising_is_degrading_and_falling_is_not():
    baseline = _noise(30, mean=140, sd=5)
    assert detect(baseline + _noise(30, seed=3, mean=160, sd=5), LOWER).status == DEGRADING
    assert detect(baseline + _noise(30, seed=3, mean=120, sd=5), LOWER).status == OK


def test_a_recovered_kpi_turns_ok_again():
    dipped = _noise(30) + [0.84] * 4 + [0.87] * 26
    peak = detect(dipped[:34], HIGHER)
    assert peak.status == DEGRADING
    assert detect(dipped, HIGHER).status == OK


def test_only_the_last_window_values_count():
    old_dip = [0.5] * 40  # long before the window: forgotten
    assert detect(old_dip + _noise(60), HIGHER).status == OK
    assert detect(old_dip + _noise(60), HIGHER).evidence["window"] == 60


def test_a_short_history_uses_a_shorter_baseline():
    result = detect(_noise(12) + [0.80] * 8, HIGHER)
    assert result.evidence["baseline_points"] == 15 and result.evidence["recent_points"] == 5
    assert result.status == DEGRADING


def test_a_flat_baseline_does_not_make_a_tiny_change_infinite():
    result = detect([0.87] * 30 + [0.869] * 30, HIGHER)
    # The floor (a tenth of the window's spread) bounds the scale: finite, and the change is flagged.
    assert math.isfinite(result.evidence["statistic"])
    assert result.status == DEGRADING
    assert result.evidence["baseline_sd"] > 0


def test_parameters_are_checked():
    with pytest.raises(ValueError):
        DriftParams(min_baseline=1)
    with pytest.raises(ValueError):
        DriftParams(window=20, baseline=30)
    with pytest.raises(ValueError):
        DriftParams(threshold=0)
    with pytest.raises(ValueError):
        detect([1.0] * 20, "sideways")


def test_times_must_label_every_value():
    with pytest.raises(ValueError):
        detect([1.0] * 20, HIGHER, times=["2026-01-01"])


# --- Properties ------------------------------------------------------------------------------------------------


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.integers(0, 80), directions)
def test_a_constant_series_is_never_degrading(value, n, direction):
    result = detect([value] * n, direction)
    assert result.status in (OK, NOT_ENOUGH_DATA)
    if n >= DEFAULT_PARAMS.min_points:
        assert result.status == OK and result.evidence["statistic"] == 0


@given(series, directions)
def test_any_series_gets_a_status_and_json_safe_evidence(xs, direction):
    result = detect(xs, direction)
    assert result.status in (OK, DEGRADING, NOT_ENOUGH_DATA)
    assert (result.status == NOT_ENOUGH_DATA) == (min(len(xs), 60) < DEFAULT_PARAMS.min_points)
    for value in result.evidence.values():
        assert value is None or isinstance(value, str | int) or math.isfinite(value)
    if result.status != NOT_ENOUGH_DATA:
        assert result.evidence["statistic"] >= 0
        assert (result.status == DEGRADING) == (result.evidence["statistic"] > result.evidence["threshold"])


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=70), directions)
def test_extreme_values_never_raise(xs, direction):
    assert detect(xs, direction).status in (OK, DEGRADING, NOT_ENOUGH_DATA)


@given(
    st.lists(st.floats(min_value=-100, max_value=100, allow_nan=False), min_size=10, max_size=30),
    st.integers(5, 30),
    st.floats(min_value=4, max_value=50),
    directions,
)
def test_a_step_of_several_baseline_sd_in_the_bad_direction_is_degrading(baseline, m, sds, direction):
    mean = math.fsum(baseline) / len(baseline)
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in baseline) / (len(baseline) - 1))
    assume(sd > 1e-3)
    step = [mean + _worse(direction) * sds * sd] * m
    params = DriftParams(baseline=len(baseline), min_baseline=min(10, len(baseline)))
    result = detect(baseline + step, direction, params)
    assert result.evidence["baseline_points"] == len(baseline)
    assert result.status == DEGRADING


@given(st.lists(values, min_size=DEFAULT_PARAMS.min_points, max_size=80), directions)
def test_a_kpi_only_improving_after_its_baseline_never_flags(xs, direction):
    window = xs[-DEFAULT_PARAMS.window :]
    b = min(DEFAULT_PARAMS.baseline, len(window) - DEFAULT_PARAMS.min_recent)
    best_of_baseline = max(window[:b]) if direction == HIGHER else min(window[:b])
    improving = window[:b] + [
        max(x, best_of_baseline) if direction == HIGHER else min(x, best_of_baseline) for x in window[b:]
    ]
    assert detect(improving, direction).status != DEGRADING


@settings(max_examples=200)
@given(series, directions, st.floats(min_value=-1e3, max_value=1e3, allow_nan=False))
def test_shifting_every_value_changes_nothing(xs, direction, shift):
    assume(_resolvable(xs) and _resolvable([x + shift for x in xs]))
    before, after = detect(xs, direction), detect([x + shift for x in xs], direction)
    statistic = before.evidence.get("statistic")
    assume(statistic is None or abs(statistic - DEFAULT_PARAMS.threshold) > 1e-3)
    assert after.status == before.status
    if statistic is not None:
        assert after.evidence["statistic"] == pytest.approx(statistic, rel=1e-4, abs=1e-4)


@settings(max_examples=200)
@given(series, directions, st.floats(min_value=1e-3, max_value=1e3))
def test_scaling_every_value_changes_nothing(xs, direction, factor):
    assume(_resolvable(xs))
    before, after = detect(xs, direction), detect([x * factor for x in xs], direction)
    statistic = before.evidence.get("statistic")
    assume(statistic is None or abs(statistic - DEFAULT_PARAMS.threshold) > 1e-3)
    assert after.status == before.status


@given(series)
def test_mirroring_the_values_and_the_direction_changes_nothing(xs):
    higher, lower = detect(xs, HIGHER), detect([-x for x in xs], LOWER)
    assert higher.status == lower.status
    if higher.status != NOT_ENOUGH_DATA:
        assert lower.evidence["statistic"] == pytest.approx(higher.evidence["statistic"], rel=1e-9, abs=1e-9)


# --- Freshness -------------------------------------------------------------------------------------------------


def test_stale_after_is_the_latest_measurement_or_the_creation_plus_the_cadence():
    created, measured = NOW - timedelta(days=10), NOW - timedelta(hours=30)
    assert stale_after_for(measured, created, 24) == measured + timedelta(hours=24)
    assert stale_after_for(None, created, 24) == created + timedelta(hours=24)
    assert stale_after_for(measured, created, None) is None
    assert stale_after_for(None, None, 24) is None


def test_stale_only_once_the_cadence_has_passed():
    due = NOW - timedelta(hours=1)
    assert is_stale(due, NOW)
    assert not is_stale(NOW, NOW)  # due now: not yet late
    assert not is_stale(NOW + timedelta(minutes=1), NOW)
    assert not is_stale(None, NOW)


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    st.integers(1, 24 * 366 * 2),
    st.integers(0, 24 * 366 * 4),
)
def test_a_kpi_is_stale_exactly_when_more_than_its_cadence_passed(measured, cadence, hours_later):
    now = measured + timedelta(hours=hours_later, seconds=1)
    assert is_stale(stale_after_for(measured, None, cadence), now) == (hours_later >= cadence)
