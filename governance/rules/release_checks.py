"""The release checks: small pure functions over the facts about a model and the version being released.

Each check has a name (what policies refer to), a label, the parameters it takes with their defaults, and the
page that fixes it (``fix``: a key the pages turn into a link). It answers passed or not, with a message in plain
language that says what is missing. ``governance.selectors.release`` gathers the facts (a fixed number of
queries); ``governance.rules.release_policy`` decides which checks a release needs.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from governance.rules.risk_scoring import BAND_RANGES, score_band

BAND_ORDER = ("low", "medium", "high", "critical")
SEVERITY_ORDER = ("low", "medium", "high", "critical")
APPROVING_OUTCOMES = frozenset({"approved", "approved_with_conditions"})
ACTIVE_RISK = frozenset({"open", "mitigating"})
OPEN_INCIDENT = frozenset({"open", "investigating"})
LINEAGE_FIELDS = {
    "artifact_uri": "artifact URI",
    "code_commit": "code commit",
    "training_data_ref": "training data",
}


@dataclass(frozen=True)
class FrameworkFacts:
    key: str
    name: str
    applicable: int
    percent: float | None
    non_compliant: int
    overdue: int


@dataclass(frozen=True)
class RiskFacts:
    title: str
    status: str
    inherent_score: int
    residual_score: int | None
    has_mitigation: bool
    has_owner: bool

    @property
    def score(self) -> int:
        """The residual score where one was assessed, else the inherent one."""
        return self.residual_score if self.residual_score is not None else self.inherent_score


@dataclass(frozen=True)
class ValidationFacts:
    outcome: str
    completed_on: date | None
    open_findings: dict[str, int] = field(default_factory=dict)  # severity -> open findings


@dataclass(frozen=True)
class KPIFacts:
    name: str
    has_thresholds: bool
    status: str


@dataclass(frozen=True)
class ReleaseFacts:
    today: date
    version: str | None
    lineage: dict[str, str]
    next_review_due: date | None
    compliance: list[FrameworkFacts]
    risks: list[RiskFacts]
    validations: list[ValidationFacts]  # of the version being released
    kpis: list[KPIFacts]
    open_incidents: list[tuple[str, str]]  # (title, severity)
    # Completeness of the EU AI Act Annex IV technical documentation in percent; None: not a high-risk model.
    technical_documentation: float | None = None


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    message: str


@dataclass(frozen=True)
class CheckSpec:
    name: str
    label: str
    fix: str
    params: dict[str, Any]
    run: Callable[[ReleaseFacts, dict[str, Any]], CheckResult]


CHECKS: dict[str, CheckSpec] = {}


def check(name: str, label: str, fix: str, **params: Any):
    def register(function: Callable[[ReleaseFacts, dict[str, Any]], CheckResult]):
        CHECKS[name] = CheckSpec(name, label, fix, params, function)
        return function

    return register


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month - (later.day < earlier.day)


@check("compliance_coverage", "Compliance coverage", "compliance", min_percent=80, frameworks=[])
def compliance_coverage(facts: ReleaseFacts, params: dict) -> CheckResult:
    """``frameworks``: the framework keys that count (e.g. ["eu-ai-act", "sr-11-7"]); empty: every one."""
    chosen = [f for f in facts.compliance if not params["frameworks"] or f.key in params["frameworks"]]
    low = [f for f in chosen if f.applicable and (f.percent or 0) < params["min_percent"]]
    if not chosen:
        return CheckResult(True, "No requirement of the chosen frameworks applies to this model.")
    if low:
        shown = ", ".join(f"{f.name} {f.percent or 0:g} %" for f in low)
        return CheckResult(False, f"Coverage below {params['min_percent']:g} %: {shown}.")
    return CheckResult(
        True, f"Coverage is at least {params['min_percent']:g} % in every applicable framework."
    )


@check("compliance_no_non_compliant", "No non-compliant requirement", "compliance")
def compliance_no_non_compliant(facts: ReleaseFacts, params: dict) -> CheckResult:
    failing = [f for f in facts.compliance if f.non_compliant]
    if failing:
        shown = ", ".join(f"{f.name} ({f.non_compliant})" for f in failing)
        return CheckResult(False, f"Requirements marked non-compliant: {shown}.")
    return CheckResult(True, "No applicable requirement is marked non-compliant.")


@check("compliance_reviews_current", "Compliance reviews up to date", "compliance")
def compliance_reviews_current(facts: ReleaseFacts, params: dict) -> CheckResult:
    overdue = sum(f.overdue for f in facts.compliance)
    if overdue:
        return CheckResult(False, f"{_plural(overdue, 'compliance review')} overdue.")
    return CheckResult(True, "No compliance review is overdue.")


@check("risk_assessed", "Risk assessment recorded", "risks")
def risk_assessed(facts: ReleaseFacts, params: dict) -> CheckResult:
    if not facts.risks:
        return CheckResult(False, "No risk is recorded for this model: assess its risks first.")
    return CheckResult(True, f"{_plural(len(facts.risks), 'risk')} recorded.")


@check("risks_mitigated", "Serious risks mitigated and owned", "risks", band="high")
def risks_mitigated(facts: ReleaseFacts, params: dict) -> CheckResult:
    lowest = BAND_RANGES[params["band"]][0]
    unmitigated = [
        r
        for r in facts.risks
        if r.status in ACTIVE_RISK and r.score >= lowest and not (r.has_mitigation and r.has_owner)
    ]
    if unmitigated:
        shown = ", ".join(f"{r.title} ({score_band(r.score)}, {r.score})" for r in unmitigated[:5])
        return CheckResult(
            False, f"Open risks at {params['band']} or above without a mitigation and owner: {shown}."
        )
    return CheckResult(True, f"Every open risk at {params['band']} or above has a mitigation and an owner.")


@check("validation_approved", "Independent validation approved", "validation", within_months=12)
def validation_approved(facts: ReleaseFacts, params: dict) -> CheckResult:
    if facts.version is None:
        return CheckResult(False, "The model has no registered version to validate.")
    approving = [
        v for v in facts.validations if v.outcome in APPROVING_OUTCOMES and v.completed_on is not None
    ]
    if not approving:
        return CheckResult(False, f"No completed validation approved version {facts.version}.")
    latest = max(v.completed_on for v in approving)
    if _months_between(latest, facts.today) >= params["within_months"]:
        return CheckResult(
            False,
            f"The last approving validation ({latest:%Y-%m-%d}) is older than {params['within_months']} months.",
        )
    return CheckResult(True, f"Version {facts.version} was validated and approved on {latest:%Y-%m-%d}.")


@check("validation_findings_closed", "No open serious validation finding", "validation", severity="high")
def validation_findings_closed(facts: ReleaseFacts, params: dict) -> CheckResult:
    from_index = SEVERITY_ORDER.index(params["severity"])
    serious = sum(
        count
        for v in facts.validations
        for severity, count in v.open_findings.items()
        if SEVERITY_ORDER.index(severity) >= from_index
    )
    if serious:
        return CheckResult(
            False, f"{_plural(serious, 'validation finding')} of {params['severity']} severity still open."
        )
    return CheckResult(True, f"No validation finding of {params['severity']} severity is open.")


@check("kpis_defined", "Monitoring KPIs with thresholds", "kpis")
def kpis_defined(facts: ReleaseFacts, params: dict) -> CheckResult:
    with_thresholds = [k for k in facts.kpis if k.has_thresholds]
    if not with_thresholds:
        return CheckResult(False, "No KPI with a warning or critical threshold monitors this model.")
    return CheckResult(True, f"{_plural(len(with_thresholds), 'KPI')} with thresholds.")


@check("no_critical_kpi_breach", "No KPI in critical breach", "kpis")
def no_critical_kpi_breach(facts: ReleaseFacts, params: dict) -> CheckResult:
    breached = [k.name for k in facts.kpis if k.status == "critical"]
    if breached:
        return CheckResult(False, f"In critical breach: {', '.join(breached)}.")
    return CheckResult(True, "No KPI is in critical breach.")


@check("lineage_complete", "Version lineage recorded", "versions")
def lineage_complete(facts: ReleaseFacts, params: dict) -> CheckResult:
    if facts.version is None:
        return CheckResult(False, "The model has no registered version.")
    missing = [label for name, label in LINEAGE_FIELDS.items() if not (facts.lineage.get(name) or "").strip()]
    if missing:
        return CheckResult(False, f"Version {facts.version} lacks its {', '.join(missing)}.")
    return CheckResult(True, f"Version {facts.version} names its artifact, code commit and training data.")


@check("no_severe_open_incidents", "No open high or critical incident", "incidents")
def no_severe_open_incidents(facts: ReleaseFacts, params: dict) -> CheckResult:
    severe = [title for title, severity in facts.open_incidents if severity in ("high", "critical")]
    if severe:
        return CheckResult(False, f"Open incidents of high or critical severity: {', '.join(severe[:5])}.")
    return CheckResult(True, "No open incident of high or critical severity.")


@check("review_current", "Periodic review not overdue", "model")
def review_current(facts: ReleaseFacts, params: dict) -> CheckResult:
    if facts.next_review_due is not None and facts.next_review_due < facts.today:
        return CheckResult(False, f"The model's review was due on {facts.next_review_due:%Y-%m-%d}.")
    return CheckResult(True, "The model's periodic review is not overdue.")


@check(
    "technical_documentation_complete",
    "Annex IV technical documentation complete",
    "technical_documentation",
    min_percent=100,
)
def technical_documentation_complete(facts: ReleaseFacts, params: dict) -> CheckResult:
    """Only high-risk models have Annex IV documentation; the fix is on the model page, which links to it."""
    if facts.technical_documentation is None:
        return CheckResult(True, "Not a high-risk system: Annex IV technical documentation is not required.")
    if facts.technical_documentation < params["min_percent"]:
        return CheckResult(
            False,
            f"The Annex IV technical documentation is {facts.technical_documentation:g} % complete "
            f"(at least {params['min_percent']:g} % needed).",
        )
    return CheckResult(
        True, f"The Annex IV technical documentation is {facts.technical_documentation:g} % complete."
    )
