"""KPI status: hand-picked values at and around the thresholds, and properties for any value and thresholds."""

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from governance.models import KPIDefinition, KPIDirection
from governance.rules.kpi_status import BREACHES, CRITICAL, NO_DATA, OK, SEVERITY, WARNING, kpi_status

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
thresholds = st.one_of(st.none(), values)
directions = st.sampled_from([KPIDirection.HIGHER, KPIDirection.LOWER])


def _kpi(direction: str, warning: float | None, critical: float | None) -> KPIDefinition:
    return KPIDefinition(direction=direction, warning_threshold=warning, critical_threshold=critical)


def _worse(direction: str, value: float) -> float:
    """The next representable value in the direction that makes the KPI worse."""
    return math.nextafter(value, -math.inf if direction == KPIDirection.HIGHER else math.inf)


def _better(direction: str, value: float) -> float:
    return math.nextafter(value, math.inf if direction == KPIDirection.HIGHER else -math.inf)


@pytest.mark.parametrize(
    ("direction", "value", "expected"),
    [
        ("higher", None, "no data"),
        ("higher", 0.9, "ok"),
        ("higher", 0.8, "warning"),
        ("higher", 0.75, "warning"),
        ("higher", 0.7, "critical"),
        ("lower", 0.01, "ok"),
        ("lower", 0.05, "warning"),
        ("lower", 0.2, "critical"),
    ],
)
def test_status_follows_direction(direction, value, expected):
    if direction == "higher":
        kpi = KPIDefinition(direction="higher", target=0.85, warning_threshold=0.8, critical_threshold=0.7)
    else:
        kpi = KPIDefinition(direction="lower", target=0.01, warning_threshold=0.05, critical_threshold=0.1)
    assert kpi_status(kpi, value) == expected


@pytest.mark.parametrize(
    ("direction", "warning", "critical"),
    [(KPIDirection.HIGHER, 0.8, 0.7), (KPIDirection.LOWER, 300.0, 500.0)],
)
def test_each_threshold_is_breached_from_exactly_that_value(direction, warning, critical):
    kpi = _kpi(direction, warning, critical)
    assert kpi_status(kpi, _better(direction, warning)) == OK
    assert kpi_status(kpi, warning) == WARNING
    assert kpi_status(kpi, _worse(direction, warning)) == WARNING
    assert kpi_status(kpi, _better(direction, critical)) == WARNING
    assert kpi_status(kpi, critical) == CRITICAL
    assert kpi_status(kpi, _worse(direction, critical)) == CRITICAL


def test_a_threshold_that_is_not_set_is_never_breached():
    assert kpi_status(_kpi(KPIDirection.HIGHER, None, 0.5), 0.6) == OK
    assert kpi_status(_kpi(KPIDirection.HIGHER, 0.7, None), 0.1) == WARNING
    assert kpi_status(_kpi(KPIDirection.LOWER, None, None), 1e9) == OK


def test_severity_orders_the_statuses_and_breaches_are_the_bad_ones():
    assert SEVERITY[OK] < SEVERITY[WARNING] < SEVERITY[CRITICAL]
    assert NO_DATA not in SEVERITY
    assert set(BREACHES) == {status for status, rank in SEVERITY.items() if rank >= SEVERITY[WARNING]}


@given(directions, thresholds, thresholds)
def test_no_value_means_no_data_whatever_the_thresholds(direction, warning, critical):
    assert kpi_status(_kpi(direction, warning, critical), None) == NO_DATA


@given(directions, thresholds, thresholds, values)
def test_a_value_always_has_one_of_the_three_statuses(direction, warning, critical, value):
    assert kpi_status(_kpi(direction, warning, critical), value) in SEVERITY


@given(directions, values)
def test_without_thresholds_every_value_is_ok(direction, value):
    assert kpi_status(_kpi(direction, None, None), value) == OK


@given(directions, thresholds, thresholds, values, values)
def test_a_better_value_never_has_a_worse_status(direction, warning, critical, a, b):
    kpi = _kpi(direction, warning, critical)
    worse, better = sorted((a, b)) if direction == KPIDirection.HIGHER else sorted((a, b), reverse=True)
    assert SEVERITY[kpi_status(kpi, better)] <= SEVERITY[kpi_status(kpi, worse)]


@given(thresholds, thresholds, values)
def test_lower_is_better_mirrors_higher_is_better(warning, critical, value):
    def negated(t: float | None) -> float | None:
        return None if t is None else -t

    higher = kpi_status(_kpi(KPIDirection.HIGHER, warning, critical), value)
    lower = kpi_status(_kpi(KPIDirection.LOWER, negated(warning), negated(critical)), -value)
    assert higher == lower


@given(directions, values, values, st.data())
def test_status_at_and_around_ordered_thresholds(direction, a, b, data):
    assume(a != b)
    # Ordered with the direction, as the KPI form and model validation require: critical is the worse one.
    critical, warning = sorted((a, b)) if direction == KPIDirection.HIGHER else sorted((a, b), reverse=True)
    kpi = _kpi(direction, warning, critical)
    assert kpi_status(kpi, critical) == CRITICAL
    assert kpi_status(kpi, _worse(direction, critical)) == CRITICAL
    assert kpi_status(kpi, warning) == WARNING
    assert kpi_status(kpi, _better(direction, warning)) == OK
    # Anything from the warning threshold up to (not including) the critical one is a warning.
    between = data.draw(st.floats(min_value=min(a, b), max_value=max(a, b)))
    assume(between != critical)
    assert kpi_status(kpi, between) == WARNING
