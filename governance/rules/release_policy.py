"""Which release checks a release needs, and what they found (pure; no database access).

A policy's ``rules`` (see ``governance.models.ReleasePolicy``) hold, per profile and target, the checks that
must pass. The profile of a model is ``eu_ai_act_high_risk`` for a model in that EU AI Act category, else its
risk tier. Every check is reported, required or not, so a reader sees the whole picture.
"""

import math
from dataclasses import asdict, dataclass
from typing import Any

from governance.rules.release_checks import BAND_ORDER, CHECKS, SEVERITY_ORDER, ReleaseFacts

PROFILES = ("eu_ai_act_high_risk", "critical", "high", "medium", "low")
TARGETS = ("validation", "production", "champion")
PASS, FAIL, NOT_REQUIRED = "pass", "fail", "not_required"


def profile_for(risk_tier: str, eu_ai_act_category: str) -> str:
    return "eu_ai_act_high_risk" if eu_ai_act_category == "high_risk" else risk_tier


def _param_problem(check: str, name: str, value: Any) -> str | None:
    default = CHECKS[check].params[name]
    if isinstance(value, float) and not math.isfinite(value):
        return f"{check}: {name} is a finite number."
    if name == "band" and value not in BAND_ORDER:
        return f"{check}: band is one of {', '.join(BAND_ORDER)}."
    if name == "severity" and value not in SEVERITY_ORDER:
        return f"{check}: severity is one of {', '.join(SEVERITY_ORDER)}."
    if isinstance(default, list) and (
        not isinstance(value, list) or not all(isinstance(v, str) for v in value)
    ):
        return f"{check}: {name} is a list of framework keys, e.g. [eu-ai-act, sr-11-7]."
    if isinstance(default, int | float) and not isinstance(default, bool):
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            return f"{check}: {name} is a number, at least 0."
        if name == "min_percent" and value > 100:
            return f"{check}: min_percent is at most 100."
    return None


def policy_problems(rules: Any) -> list[str]:
    """What is wrong with ``rules``, one plain sentence each (empty: the policy is usable)."""
    if not isinstance(rules, dict) or not isinstance(rules.get("profiles"), dict):
        return ['The policy needs "profiles": a profile per risk tier and eu_ai_act_high_risk.']
    problems = []
    profiles = rules["profiles"]
    for profile in PROFILES:
        if profile not in profiles:
            problems.append(f"Profile {profile!r} is missing.")
    for profile, targets in profiles.items():
        if not isinstance(profile, str):
            problems.append(f"Profile {profile!r} is not a name.")
            continue
        if profile not in PROFILES:
            problems.append(f"Unknown profile {profile[:60]!r} (one of {', '.join(PROFILES)}).")
            continue
        if not isinstance(targets, dict):
            problems.append(f"{profile}: give the checks per target ({', '.join(TARGETS)}).")
            continue
        for target, entries in targets.items():
            if not isinstance(target, str):
                problems.append(f"{profile}: target {target!r} is not a name.")
                continue
            where = f"{profile}/{target}"
            if target not in TARGETS:
                problems.append(f"{profile}: unknown target {target[:60]!r} (one of {', '.join(TARGETS)}).")
                continue
            if not isinstance(entries, list):
                problems.append(f"{where}: a list of checks.")
                continue
            seen = set()
            for entry in entries:
                name = entry.get("check") if isinstance(entry, dict) else None
                if not isinstance(name, str) or name not in CHECKS:
                    shown = repr(name)[:60]
                    problems.append(f"{where}: unknown check {shown} (one of {', '.join(CHECKS)}).")
                    continue
                if name in seen:
                    problems.append(f"{where}: {name} is listed twice.")
                seen.add(name)
                params = entry.get("params") or {}
                if not isinstance(params, dict):
                    problems.append(f"{where}: {name}: params is a mapping.")
                    continue
                for key, value in params.items():
                    if not isinstance(key, str):
                        problems.append(f"{where}: {name}: parameter {key!r} is not a name.")
                    elif key not in CHECKS[name].params:
                        problems.append(f"{where}: {name} takes no parameter {key[:60]!r}.")
                    elif problem := _param_problem(name, key, value):
                        problems.append(f"{where}: {problem}")
                if not isinstance(entry.get("overridable", False), bool):
                    problems.append(f"{where}: {name}: overridable is true or false.")
    return problems


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    label: str
    status: str  # pass / fail / not_required
    message: str
    overridable: bool
    fix: str

    @property
    def failed(self) -> bool:
        return self.status == FAIL


@dataclass(frozen=True)
class Readiness:
    """What a release was (or would be) checked against, and what every check found."""

    target: str
    profile: str
    policy_version: int
    version: str | None
    outcomes: list[CheckOutcome]

    @property
    def failures(self) -> list[CheckOutcome]:
        return [o for o in self.outcomes if o.failed]

    @property
    def blocking(self) -> list[CheckOutcome]:
        """Failing checks no override can pass."""
        return [o for o in self.failures if not o.overridable]

    @property
    def allowed(self) -> bool:
        return not self.failures

    def snapshot(self) -> dict:
        """The frozen record kept with a decision: a later change cannot rewrite what the decider saw."""
        return {
            "target": self.target,
            "profile": self.profile,
            "policy_version": self.policy_version,
            "version": self.version,
            "checks": [asdict(o) for o in self.outcomes],
        }


def evaluate(
    rules: dict, *, policy_version: int, target: str, profile: str, facts: ReleaseFacts
) -> Readiness:
    """Every known check, run with the policy's parameters where the policy requires it."""
    required = {entry["check"]: entry for entry in rules["profiles"].get(profile, {}).get(target, [])}
    outcomes = []
    for name, spec in CHECKS.items():
        entry = required.get(name)
        params = {**spec.params, **((entry or {}).get("params") or {})}
        result = spec.run(facts, params)
        status = NOT_REQUIRED if entry is None else (PASS if result.passed else FAIL)
        outcomes.append(
            CheckOutcome(
                name=name,
                label=spec.label,
                status=status,
                message=result.message,
                overridable=bool(entry and entry.get("overridable", False)),
                fix=spec.fix,
            )
        )
    # Required checks first, in the policy's order; the others after, in catalogue order.
    order = {name: i for i, name in enumerate(required)}
    outcomes.sort(key=lambda o: (o.status == NOT_REQUIRED, order.get(o.name, len(order))))
    return Readiness(target, profile, policy_version, facts.version, outcomes)


_RANK = {NOT_REQUIRED: 0, PASS: 1, FAIL: 2}


def combine(first: Readiness, second: Readiness) -> Readiness:
    """Both sets of checks at once (a new champion of a model in production meets the champion's and the
    production's): per check the worse result; a failure is overridable only where every target allows it."""
    merged: dict[str, CheckOutcome] = {}
    for outcome in [*first.outcomes, *second.outcomes]:
        previous = merged.get(outcome.name)
        if (
            previous is None
            or _RANK[outcome.status] > _RANK[previous.status]
            or (outcome.status == previous.status == FAIL and not outcome.overridable)
        ):
            merged[outcome.name] = outcome
    outcomes = sorted(merged.values(), key=lambda o: o.status == NOT_REQUIRED)
    return Readiness(
        f"{first.target}+{second.target}", first.profile, first.policy_version, first.version, outcomes
    )
