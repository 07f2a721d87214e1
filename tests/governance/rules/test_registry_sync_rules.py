"""The registry sync's pure rules: version labels, metrics and the champion alias verdict."""

import math

from hypothesis import given
from hypothesis import strategies as st

from governance.rules.registry_sync import (
    Verdict,
    alias_problems,
    champion_verdict,
    version_label,
    version_metrics,
)


def test_the_version_label_is_the_tag_when_free_else_the_registry_number():
    assert version_label("3", "2.1.0", taken=set()) == "2.1.0"
    assert version_label("3", None, taken=set()) == "3"
    assert version_label("3", "2.1.0", taken={"2.1.0"}) == "3"
    assert version_label("3", "  ", taken=set()) == "3"
    assert version_label("3", "x" * 65, taken=set()) == "3"
    assert version_label("3", None, taken={"3"}) == "3-mlflow"
    assert version_label("3", None, taken={"3", "3-mlflow"}) == "3-mlflow-2"


@given(number=st.integers(1, 10_000).map(str), tag=st.none() | st.text(max_size=80), taken=st.sets(st.text()))
def test_a_version_label_is_never_one_already_taken(number, tag, taken):
    label = version_label(number, tag, taken)
    assert label not in taken and 0 < len(label) <= 64 and "\x00" not in label


def test_metrics_are_the_runs_finite_numbers_and_its_parameters_as_text():
    metrics = version_metrics({"auc": 0.8, "loss": math.nan, "n": 3}, {"max_depth": "6", "lr": "0.1"})

    assert metrics == {"auc": 0.8, "n": 3, "param.max_depth": "6", "param.lr": "0.1"}


def test_alias_names_mlflow_accepts():
    assert alias_problems("champion") == []
    assert alias_problems("prod_2") == []
    assert alias_problems("latest") and alias_problems("V2") and alias_problems("") and alias_problems("a b")


def verdict(**overrides) -> Verdict:
    arguments = {
        "alias_version": "2",
        "champion_version": "1",
        "previous_alias_version": "1",
        "first_seen": False,
        "alias_set_pending": False,
        "flagged": False,
        **overrides,
    }
    return champion_verdict(**arguments)


def test_an_alias_moved_away_from_the_approved_champion_is_unapproved():
    assert verdict() == Verdict.UNAPPROVED
    assert verdict(champion_version=None, previous_alias_version=None) == Verdict.UNAPPROVED


def test_agreement_or_no_alias_at_all_is_not_flagged():
    assert verdict(alias_version="1") == Verdict.AGREE
    assert verdict(alias_version=None) == Verdict.AGREE
    assert verdict(alias_version=None, champion_version=None) == Verdict.AGREE


def test_an_alias_plumbline_still_owes_is_pending_not_a_promotion():
    assert verdict(alias_set_pending=True) == Verdict.PENDING
    assert verdict(alias_version=None, alias_set_pending=True) == Verdict.PENDING


def test_the_first_import_is_a_baseline_and_a_flag_stays_until_they_agree():
    assert verdict(first_seen=True, champion_version=None, previous_alias_version=None) == Verdict.UNCHANGED
    assert verdict(previous_alias_version="2") == Verdict.UNCHANGED
    assert verdict(previous_alias_version="2", flagged=True) == Verdict.UNAPPROVED
