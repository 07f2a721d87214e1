"""The release policy: its default, what a malformed one is told, and how a release is evaluated against it."""

from dataclasses import replace

import pytest

from governance.rules.release_policy import (
    FAIL,
    NOT_REQUIRED,
    PASS,
    PROFILES,
    TARGETS,
    evaluate,
    policy_problems,
    profile_for,
)
from governance.selectors.release import default_rules
from tests.governance.release.test_release_checks import GOOD

EMPTY = replace(GOOD, version=None, lineage={}, compliance=[], risks=[], validations=[], kpis=[])


def test_the_default_policy_is_valid_and_covers_every_profile_and_target():
    rules = default_rules()
    assert policy_problems(rules) == []
    for profile in PROFILES:
        assert set(rules["profiles"][profile]) == set(TARGETS)


def test_the_default_is_stricter_for_tier_1_and_eu_high_risk_than_for_tier_2():
    profiles = default_rules()["profiles"]

    def blocking(profile):
        return {e["check"] for e in profiles[profile]["production"] if not e.get("overridable")}

    assert blocking("critical") == blocking("eu_ai_act_high_risk")
    assert blocking("high") < blocking("critical")
    assert {"validation_approved", "lineage_complete"} <= blocking("critical")
    assert len(profiles["low"]["production"]) < len(profiles["high"]["production"])


def test_the_profile_is_eu_high_risk_whatever_the_tier():
    assert profile_for("low", "high_risk") == "eu_ai_act_high_risk"
    assert profile_for("high", "minimal") == "high"


@pytest.mark.parametrize(
    ("rules", "problem"),
    [
        ({}, "profiles"),
        ({"profiles": {"critical": {"production": [{"check": "telepathy"}]}}}, "unknown check 'telepathy'"),
        ({"profiles": {"critical": {"go-live": []}}}, "unknown target 'go-live'"),
        ({"profiles": {"tier-0": {}}}, "Unknown profile 'tier-0'"),
        (
            {
                "profiles": {
                    "critical": {
                        "production": [{"check": "compliance_coverage", "params": {"min_percent": 120}}]
                    }
                }
            },
            "at most 100",
        ),
        (
            {
                "profiles": {
                    "critical": {"production": [{"check": "risks_mitigated", "params": {"band": "scary"}}]}
                }
            },
            "band is one of",
        ),
        (
            {"profiles": {"critical": {"production": [{"check": "risk_assessed", "params": {"x": 1}}]}}},
            "takes no parameter 'x'",
        ),
        (
            {
                "profiles": {
                    "critical": {"production": [{"check": "risk_assessed"}, {"check": "risk_assessed"}]}
                }
            },
            "listed twice",
        ),
        (
            {"profiles": {"critical": {"production": [{"check": "risk_assessed", "overridable": "yes"}]}}},
            "true or false",
        ),
    ],
)
def test_a_malformed_policy_is_told_what_is_wrong(rules, problem):
    problems = policy_problems(rules)
    assert any(problem in p for p in problems), problems


def test_a_release_with_nothing_recorded_fails_every_required_check_and_lists_the_others():
    readiness = evaluate(default_rules(), policy_version=3, target="production", profile="high", facts=EMPTY)
    required = [o for o in readiness.outcomes if o.status != NOT_REQUIRED]
    assert [o.name for o in required] == [
        e["check"] for e in default_rules()["profiles"]["high"]["production"]
    ]
    assert {o.name for o in readiness.failures} >= {
        "risk_assessed",
        "validation_approved",
        "kpis_defined",
        "lineage_complete",
    }
    assert [o.name for o in readiness.blocking] == []  # Tier 2: everything failing here can be overridden
    strict = evaluate(default_rules(), policy_version=3, target="production", profile="critical", facts=EMPTY)
    assert {o.name for o in strict.blocking} >= {"validation_approved", "lineage_complete", "risk_assessed"}
    assert not strict.allowed and strict.snapshot()["policy_version"] == 3


def test_a_prepared_release_passes_and_the_snapshot_keeps_every_result():
    readiness = evaluate(
        default_rules(), policy_version=1, target="production", profile="critical", facts=GOOD
    )
    assert readiness.allowed, [(o.name, o.message) for o in readiness.failures]
    snapshot = readiness.snapshot()
    assert {c["status"] for c in snapshot["checks"]} <= {PASS, NOT_REQUIRED, FAIL}
    assert len(snapshot["checks"]) == len(readiness.outcomes) and snapshot["version"] == "2.1.0"


@pytest.mark.parametrize("profile", PROFILES)
def test_an_open_high_finding_blocks_production_in_every_tier(profile):
    entries = {e["check"]: e for e in default_rules()["profiles"][profile]["production"]}
    finding = entries["validation_findings_closed"]
    assert finding.get("params", {}).get("severity") == "high" and not finding.get("overridable", False)
