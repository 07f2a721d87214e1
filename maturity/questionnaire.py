"""Loading the versioned maturity questionnaire (maturity/data/questionnaire/*.yaml) into the database.

A loaded version is never edited in place: assessments point at the version they were answered against, so a
content change must arrive as a new version. Reloading an unchanged file is a no-op.
"""

import itertools
import re
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from governance.core.catalogues import (
    SLUG,
    file_sha256,
    files_in_order,
    is_text,
    parse_yaml,
    version_sort_key,
)
from maturity.evidence import SIGNALS
from maturity.levels import LEVEL_NAMES
from maturity.models import MAX_LEVEL, Factor, Question, Questionnaire

DATA_DIR = Path(__file__).resolve().parent / "data" / "questionnaire"
FACTOR_KEYS: tuple[str, ...] = ("strategy", "architecture", "modeling", "processes", "governance")
DESCRIPTOR_COUNT = len(LEVEL_NAMES)

_TOP_KEYS = {"version", "title", "levels", "factors"}
_FACTOR_KEYS = {"key", "name", "weight", "description", "questions"}
_QUESTION_KEYS = {"key", "weight", "text", "guidance", "levels", "evidence", "actions"}
_EVIDENCE_KEYS = {"signal", "at_least"}
_ACTION_KEYS = {"to", "action", "effort", "requires"}
EFFORTS = {"S": "weeks, one team", "M": "a quarter, a few teams", "L": "several quarters, organisation-wide"}
MAX_ACTION_LENGTH = 400
_REQUIREMENT = re.compile(r"^(?P<key>[a-z0-9][a-z0-9-]*)>=(?P<level>[1-5])$")


def read_version(path: Path) -> str:
    """The version a questionnaire file declares (for ordering files before loading them)."""
    data = _parse(path.read_bytes(), path)
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise ValidationError({"version": [f"{path.name}: 'version' must be a non-empty string."]})
    return version.strip()


def shipped_files(directory: Path = DATA_DIR) -> list[Path]:
    """The questionnaire files in ``directory`` (default: those shipped with Plumbline), oldest version first."""
    return files_in_order(directory, lambda p: version_sort_key(read_version(p)))


def load_questionnaire(path: Path, make_current: bool = True) -> tuple[Questionnaire, bool]:
    """Load one questionnaire file; return (questionnaire, created).

    Raises ValidationError naming the offending key when the file is malformed, or when a version already
    loaded arrives with different content.
    """
    path = Path(path)
    raw = path.read_bytes()
    sha = file_sha256(raw)
    data = _parse(raw, path)
    _validate(data)
    version = data["version"].strip()

    with transaction.atomic():
        existing = Questionnaire.objects.select_for_update().filter(version=version).first()
        if existing is not None:
            if existing.source_sha256 == sha:
                return existing, False
            raise ValidationError(
                {
                    "version": [
                        f"Questionnaire version '{version}' is already loaded from different content; "
                        "changed content must carry a new version."
                    ]
                }
            )

        if make_current:
            Questionnaire.objects.filter(is_current=True).update(is_current=False)
        questionnaire = Questionnaire.objects.create(
            version=version, title=data["title"].strip(), source_sha256=sha, is_current=make_current
        )
        factors = Factor.objects.bulk_create(
            [
                Factor(
                    questionnaire=questionnaire,
                    key=f["key"],
                    name=f["name"].strip(),
                    description=(f.get("description") or "").strip(),
                    weight=float(f.get("weight", 1.0)),
                    order=index,
                )
                for index, f in enumerate(data["factors"])
            ]
        )
        # bulk_create sets primary keys on SQLite and PostgreSQL; fetch them if a backend does not.
        if any(f.pk is None for f in factors):
            by_key = {f.key: f for f in questionnaire.factors.all()}
            factors = [by_key[f.key] for f in factors]
        Question.objects.bulk_create(
            [
                Question(
                    factor=factor,
                    key=q["key"],
                    text=q["text"].strip(),
                    guidance=(q.get("guidance") or "").strip(),
                    weight=float(q.get("weight", 1.0)),
                    order=index,
                    level_descriptors=[d.strip() for d in q["levels"]],
                    evidence=_stored_evidence(q.get("evidence")),
                    actions=_stored_actions(q.get("actions")),
                )
                for factor, f in zip(factors, data["factors"], strict=True)
                for index, q in enumerate(f["questions"])
            ]
        )
    return questionnaire, True


def _stored_evidence(evidence: dict[str, Any] | None) -> dict[str, Any]:
    if not evidence:
        return {}
    # JSON object keys are strings; the levels are stored as "2", "3", ... and read back with int().
    at_least = {str(int(level)): float(share) for level, share in evidence["at_least"].items()}
    return {"signal": evidence["signal"], "at_least": at_least}


def _stored_actions(actions: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [
        {
            "to": int(a["to"]),
            "action": a["action"].strip(),
            "effort": a["effort"],
            "requires": list(a.get("requires") or []),
        }
        for a in actions or []
    ]


def _check_evidence(add, label: str, evidence: Any) -> None:
    """``evidence: {signal: monitoring-coverage, at_least: {2: 0.1, 3: 0.5, 4: 0.8, 5: 0.95}}``."""
    if not isinstance(evidence, dict):
        add(label, f"Question '{label}': evidence must be a mapping with 'signal' and 'at_least'.")
        return
    for extra in sorted(set(evidence) - _EVIDENCE_KEYS, key=str):
        add(label, f"Question '{label}': unknown evidence entry '{extra}'.")
    signal = evidence.get("signal")
    if signal not in SIGNALS:
        known = ", ".join(sorted(SIGNALS))
        add(label, f"Question '{label}': unknown evidence signal '{signal}'; known signals: {known}.")
    at_least = evidence.get("at_least")
    if not isinstance(at_least, dict) or not at_least:
        add(label, f"Question '{label}': evidence needs 'at_least', the share each level needs.")
        return
    levels = [level for level in at_least if isinstance(level, int) and not isinstance(level, bool)]
    if (
        len(levels) != len(at_least)
        or not levels
        or sorted(levels) != list(range(min(levels), MAX_LEVEL + 1))
    ):
        add(
            label,
            f"Question '{label}': evidence 'at_least' must list every level from its lowest up to {MAX_LEVEL} "
            "(whole numbers 1-5).",
        )
        return
    if min(levels) < 1:
        add(label, f"Question '{label}': level 0 needs no evidence; start 'at_least' at level 1 or above.")
    shares = [at_least[level] for level in sorted(levels)]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1 for v in shares):
        add(label, f"Question '{label}': every share in 'at_least' must be a number from 0 to 1.")
    elif any(later < earlier for earlier, later in itertools.pairwise(shares)):
        add(label, f"Question '{label}': a higher level cannot need a smaller share in 'at_least'.")


def _check_actions(add, label: str, actions: Any, requirements: list[tuple[str, str, str]]) -> None:
    """One action per level transition, to levels 1..5; prerequisites are checked once every key is known."""
    if not isinstance(actions, list) or len(actions) != MAX_LEVEL:
        add(
            label,
            f"Question '{label}': 'actions' must list {MAX_LEVEL} actions, one per level 1-{MAX_LEVEL}.",
        )
        return
    for index, action in enumerate(actions, start=1):
        if not isinstance(action, dict):
            add(label, f"Question '{label}': action #{index} must be a mapping.")
            continue
        for extra in sorted(set(action) - _ACTION_KEYS, key=str):
            add(label, f"Question '{label}': action #{index}: unknown entry '{extra}'.")
        if action.get("to") != index:
            add(
                label,
                f"Question '{label}': action #{index} must have 'to: {index}' (actions go in level order).",
            )
        text = action.get("action")
        if not is_text(text) or len(text) > MAX_ACTION_LENGTH:
            add(
                label,
                f"Question '{label}': action #{index} needs text of at most {MAX_ACTION_LENGTH} characters.",
            )
        if action.get("effort") not in EFFORTS:
            add(label, f"Question '{label}': action #{index}: effort must be one of S, M, L.")
        requires = action.get("requires") or []
        if not isinstance(requires, list):
            add(label, f"Question '{label}': action #{index}: 'requires' must be a list.")
            continue
        for requirement in requires:
            requirements.append((label, str(requirement), f"action #{index}"))


def _parse(raw: bytes, path: Path) -> dict[str, Any]:
    return parse_yaml(raw, path, "version, title, levels, factors")


def _check_weight(errors: dict[str, list[str]], key: str, value: Any) -> None:
    # bool is an int subclass; "weight: yes" is a typo, not a weight.
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        errors.setdefault(key, []).append(f"'{key}': weight must be a number >= 0 (got {value!r}).")


def _validate(data: dict[str, Any]) -> None:
    """Collect every problem in the file, each under the key it concerns, then raise them together."""
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    for extra in sorted(set(data) - _TOP_KEYS, key=str):
        add(str(extra), f"Unknown top-level entry '{extra}'.")
    if not is_text(data.get("version")):
        add("version", "'version' must be a non-empty string (quote it: version: \"2026.1\").")
    if not is_text(data.get("title")):
        add("title", "'title' must be a non-empty string.")

    levels = data.get("levels")
    if not isinstance(levels, list):
        add("levels", "'levels' must list the 0-5 scale.")
    else:
        found = {lv.get("level"): lv.get("name") for lv in levels if isinstance(lv, dict) and "level" in lv}
        if len(levels) != len(LEVEL_NAMES) or found != LEVEL_NAMES:
            expected = ", ".join(f"{n}={name}" for n, name in LEVEL_NAMES.items())
            add("levels", f"'levels' must be exactly the scale in maturity/levels.py: {expected}.")
        for lv in levels:
            if isinstance(lv, dict) and not is_text(lv.get("summary")):
                add("levels", f"Level {lv.get('level')!r} needs a non-empty summary.")

    factors = data.get("factors")
    if not isinstance(factors, list) or not factors:
        add("factors", "'factors' must be a non-empty list.")
        factors = []
    seen_factors: set[str] = set()
    seen_questions: set[str] = set()
    requirements: list[tuple[str, str, str]] = []
    for f_index, factor in enumerate(factors):
        if not isinstance(factor, dict):
            add(f"factors[{f_index}]", f"Factor #{f_index + 1} must be a mapping.")
            continue
        f_key = factor.get("key")
        label = f_key if isinstance(f_key, str) and f_key else f"factors[{f_index}]"
        if f_key not in FACTOR_KEYS:
            add(label, f"Unknown factor key '{f_key}'; expected one of {', '.join(FACTOR_KEYS)}.")
        elif f_key in seen_factors:
            add(label, f"Duplicate factor key '{f_key}'.")
        seen_factors.add(str(f_key))
        for extra in sorted(set(factor) - _FACTOR_KEYS, key=str):
            add(label, f"Factor '{label}': unknown entry '{extra}'.")
        if not is_text(factor.get("name")):
            add(label, f"Factor '{label}' needs a name.")
        if "description" in factor and not isinstance(factor["description"], str):
            add(label, f"Factor '{label}': description must be text.")
        _check_weight(errors, label, factor.get("weight", 1.0))

        questions = factor.get("questions")
        if not isinstance(questions, list) or not questions:
            add(label, f"Factor '{label}' needs at least one question.")
            continue
        for q_index, question in enumerate(questions):
            if not isinstance(question, dict):
                add(label, f"Factor '{label}': question #{q_index + 1} must be a mapping.")
                continue
            q_key = question.get("key")
            q_label = q_key if isinstance(q_key, str) and q_key else f"{label}.questions[{q_index}]"
            if not isinstance(q_key, str) or not SLUG.match(q_key) or len(q_key) > 80:
                add(q_label, f"Question key '{q_key}' must be a lower-case slug of at most 80 characters.")
            elif q_key in seen_questions:
                add(q_label, f"Duplicate question key '{q_key}'; keys must be unique in the questionnaire.")
            seen_questions.add(str(q_key))
            for extra in sorted(set(question) - _QUESTION_KEYS, key=str):
                add(q_label, f"Question '{q_label}': unknown entry '{extra}'.")
            if not is_text(question.get("text")):
                add(q_label, f"Question '{q_label}' needs its text.")
            if "guidance" in question and not isinstance(question["guidance"], str):
                add(q_label, f"Question '{q_label}': guidance must be text.")
            _check_weight(errors, q_label, question.get("weight", 1.0))
            descriptors = question.get("levels")
            if not isinstance(descriptors, list) or len(descriptors) != DESCRIPTOR_COUNT:
                count = len(descriptors) if isinstance(descriptors, list) else 0
                add(
                    q_label,
                    f"Question '{q_label}' has {count} level descriptors; exactly {DESCRIPTOR_COUNT} "
                    "are required (levels 0-5).",
                )
            elif not all(is_text(d) for d in descriptors):
                add(q_label, f"Question '{q_label}': every level descriptor must be non-empty text.")
            if "evidence" in question:
                _check_evidence(add, q_label, question["evidence"])
            if "actions" in question:
                _check_actions(add, q_label, question["actions"], requirements)

    for q_label, requirement, where in requirements:
        match = _REQUIREMENT.match(requirement)
        if match is None:
            add(
                q_label,
                f"Question '{q_label}': {where}: requirement '{requirement}' must read 'question-key>=level'.",
            )
        elif match["key"] not in seen_questions or match["key"] == q_label:
            add(
                q_label,
                f"Question '{q_label}': {where}: requirement '{requirement}' names no other question.",
            )

    missing = [k for k in FACTOR_KEYS if k not in seen_factors]
    if factors and missing:
        add("factors", f"Missing factor(s): {', '.join(missing)}; each needs at least one question.")
    if errors:
        raise ValidationError(errors)
