"""Every release check, on facts built by hand (no database): what passes, what fails, and the message."""

from dataclasses import replace
from datetime import date

import pytest

from governance.rules.release_checks import (
    CHECKS,
    FrameworkFacts,
    KPIFacts,
    ReleaseFacts,
    RiskFacts,
    ValidationFacts,
)

TODAY = date(2026, 12, 1)
GOOD = ReleaseFacts(
    today=TODAY,
    version="2.1.0",
    lineage={"artifact_uri": "s3://m/2.1.0", "code_commit": "ab12cd3", "training_data_ref": "s3://d/2026-10"},
    next_review_due=date(2027, 3, 1),
    compliance=[FrameworkFacts("eu-ai-act", "EU AI Act", 12, 95.0, 0, 0)],
    risks=[RiskFacts("Drift", "open", 16, 6, True, True)],
    validations=[ValidationFacts("approved", date(2026, 9, 1))],
    kpis=[KPIFacts("AUC", True, "ok")],
    open_incidents=[],
)


def run(name: str, facts: ReleaseFacts = GOOD, **params):
    spec = CHECKS[name]
    return spec.run(facts, {**spec.params, **params})


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_every_check_passes_a_well_prepared_release_and_says_so(name):
    result = run(name)
    assert result.passed, (name, result.message)
    assert result.message.endswith(".")


def test_every_check_has_a_label_and_a_page_that_fixes_it():
    for spec in CHECKS.values():
        assert spec.label and spec.fix in {
            "compliance",
            "risks",
            "validation",
            "kpis",
            "versions",
            "incidents",
            "model",
            "technical_documentation",
        }


def test_compliance_coverage_names_the_frameworks_below_the_threshold():
    facts = replace(GOOD, compliance=[*GOOD.compliance, FrameworkFacts("sr-11-7", "SR 11-7", 8, 25.0, 0, 0)])
    result = run("compliance_coverage", facts, min_percent=80)
    assert not result.passed and "SR 11-7 25 %" in result.message and "EU AI Act" not in result.message
    assert run("compliance_coverage", facts, min_percent=20).passed
    nothing_assessed = replace(GOOD, compliance=[FrameworkFacts("iso", "ISO 42001", 5, None, 0, 0)])
    assert not run("compliance_coverage", nothing_assessed).passed
    # Only the chosen frameworks count.
    assert run("compliance_coverage", facts, min_percent=80, frameworks=["eu-ai-act"]).passed
    assert not run("compliance_coverage", facts, min_percent=80, frameworks=["sr-11-7"]).passed


def test_non_compliant_requirements_and_overdue_reviews_fail():
    facts = replace(GOOD, compliance=[FrameworkFacts("eu-ai-act", "EU AI Act", 12, 95.0, 2, 3)])
    assert "EU AI Act (2)" in run("compliance_no_non_compliant", facts).message
    assert run("compliance_reviews_current", facts).message == "3 compliance reviews overdue."


def test_a_model_without_risks_has_no_risk_assessment():
    assert not run("risk_assessed", replace(GOOD, risks=[])).passed


@pytest.mark.parametrize(
    ("risk", "passed"),
    [
        (RiskFacts("Bias", "open", 20, None, False, True), False),  # no residual: the inherent score counts
        (RiskFacts("Bias", "open", 20, 12, True, False), False),  # high residual, no owner
        (RiskFacts("Bias", "open", 20, 8, False, False), True),  # residual below high
        (RiskFacts("Bias", "closed", 25, None, False, False), True),  # closed
        (RiskFacts("Bias", "mitigating", 12, None, True, True), True),  # mitigated and owned
    ],
)
def test_serious_open_risks_need_a_mitigation_and_an_owner(risk, passed):
    assert run("risks_mitigated", replace(GOOD, risks=[risk]), band="high").passed is passed


def test_validation_must_approve_this_version_recently():
    assert not run("validation_approved", replace(GOOD, validations=[])).passed
    rejected = replace(GOOD, validations=[ValidationFacts("rejected", date(2026, 11, 1))])
    assert not run("validation_approved", rejected).passed
    under_way = replace(GOOD, validations=[ValidationFacts("", None)])
    assert not run("validation_approved", under_way).passed
    old = replace(GOOD, validations=[ValidationFacts("approved_with_conditions", date(2025, 11, 30))])
    assert "older than 12 months" in run("validation_approved", old).message
    assert run("validation_approved", old, within_months=24).passed
    assert not run("validation_approved", replace(GOOD, version=None)).passed


def test_open_high_findings_block_and_lower_ones_do_not():
    facts = replace(GOOD, validations=[ValidationFacts("approved", date(2026, 9, 1), {"high": 1, "low": 2})])
    assert run("validation_findings_closed", facts, severity="high").message == (
        "1 validation finding of high severity still open."
    )
    only_low = replace(GOOD, validations=[ValidationFacts("approved", date(2026, 9, 1), {"low": 2})])
    assert run("validation_findings_closed", only_low, severity="high").passed
    assert not run("validation_findings_closed", only_low, severity="low").passed


def test_monitoring_needs_a_kpi_with_thresholds_and_no_critical_breach():
    assert not run("kpis_defined", replace(GOOD, kpis=[KPIFacts("Volume", False, "no_data")])).passed
    breached = replace(GOOD, kpis=[KPIFacts("AUC", True, "critical")])
    assert run("no_critical_kpi_breach", breached).message == "In critical breach: AUC."
    assert run("no_critical_kpi_breach", replace(GOOD, kpis=[KPIFacts("AUC", True, "warning")])).passed


def test_lineage_names_what_is_missing():
    facts = replace(GOOD, lineage={"artifact_uri": "s3://m", "code_commit": " ", "training_data_ref": ""})
    assert run("lineage_complete", facts).message == "Version 2.1.0 lacks its code commit, training data."


def test_severe_open_incidents_and_overdue_reviews_fail():
    facts = replace(GOOD, open_incidents=[("Outage", "critical"), ("Typo", "low")])
    assert run("no_severe_open_incidents", facts).message.endswith(": Outage.")
    assert run("no_severe_open_incidents", replace(GOOD, open_incidents=[("Typo", "low")])).passed
    assert not run("review_current", replace(GOOD, next_review_due=date(2026, 11, 30))).passed
    assert run("review_current", replace(GOOD, next_review_due=None)).passed
