"""Compliance framework catalogues: versioned YAML under governance/data/frameworks/, loaded into the database.

A loaded version is never edited in place: compliance records point at its requirements, so changed content must
arrive under a new version. Reloading an unchanged file is a no-op; loading a new version makes it current.

The ``applies_to`` language (documented in governance/data/frameworks/README.md) lives here too, because the
loader validates it and the selectors evaluate it against a model.
"""

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from governance.core.catalogues import (
    SLUG,
    content_hash,
    files_in_order,
    is_text,
    parse_yaml,
    version_sort_key,
)
from governance.models import (
    AIModel,
    DecisionsAboutPeople,
    EUAIActCategory,
    Framework,
    LifecycleStage,
    Requirement,
    RiskTier,
)

DATA_DIR = Path(__file__).resolve().parent / "data" / "frameworks"

# applies_to keys: list-valued keys match when the model's field is one of the listed values; boolean keys
# match when the model's flag equals the value. Every key present must match (AND); an empty mapping matches
# every model.
LIST_RULES: dict[str, frozenset[str]] = {
    "eu_ai_act_category": frozenset(EUAIActCategory.values),
    "risk_tier": frozenset(RiskTier.values),
    "lifecycle_stage": frozenset(LifecycleStage.values),
    "decisions_about_people": frozenset(DecisionsAboutPeople.values),
}
BOOLEAN_RULES: frozenset[str] = frozenset({"third_party", "processes_personal_data"})

_TOP_KEYS = {"key", "version", "name", "publisher", "source_url", "description", "requirements"}
_REQUIRED_TOP = ("key", "version", "name", "publisher", "source_url", "description")
_REQUIREMENT_KEYS = {"ref", "section", "title", "description", "applies_to"}
_LIMITS = {"key": 40, "version": 20, "name": 200, "publisher": 200, "ref": 40, "section": 200, "title": 255}


def rules_match(rules: dict[str, Any], model: AIModel) -> bool:
    """True when a requirement's ``applies_to`` rules select ``model`` (empty rules select every model)."""
    for key, expected in (rules or {}).items():
        actual = getattr(model, key)
        if key in BOOLEAN_RULES:
            if bool(actual) != expected:
                return False
        elif actual not in expected:
            return False
    return True


def rules_q(rules: dict[str, Any] | None, prefix: str = "") -> Q:
    """The ``applies_to`` rules as a filter on models (``prefix``: the path to the model, e.g. "model__"), so
    the database selects what ``rules_match`` selects. Empty rules select every model."""
    selected = Q(**{f"{prefix}pk__isnull": False})
    for key, expected in (rules or {}).items():
        if key in BOOLEAN_RULES:
            selected &= Q(**{f"{prefix}{key}": bool(expected)})
        else:
            selected &= Q(**{f"{prefix}{key}__in": list(expected)})
    return selected


def applies_to_errors(rules: Any) -> list[str]:
    """Every problem with one ``applies_to`` value, as readable messages (empty list: valid)."""
    if rules is None:
        return []
    if not isinstance(rules, dict):
        return ["'applies_to' must be a mapping (or omitted for every model)."]
    problems: list[str] = []
    for key, value in rules.items():
        if key in LIST_RULES:
            allowed = LIST_RULES[key]
            if not isinstance(value, list) or not value:
                problems.append(
                    f"applies_to.{key} must be a non-empty list of: {', '.join(sorted(allowed))}."
                )
                continue
            unknown = [v for v in value if v not in allowed]
            if unknown:
                problems.append(
                    f"applies_to.{key}: unknown value(s) {', '.join(map(repr, unknown))}; "
                    f"expected some of {', '.join(sorted(allowed))}."
                )
        elif key in BOOLEAN_RULES:
            if not isinstance(value, bool):
                problems.append(f"applies_to.{key} must be true or false (got {value!r}).")
        else:
            known = ", ".join(sorted([*LIST_RULES, *BOOLEAN_RULES]))
            problems.append(f"applies_to: unknown rule '{key}'; known rules are {known}.")
    return problems


def shipped_files(directory: Path = DATA_DIR) -> list[Path]:
    """The framework files in ``directory`` (default: those shipped with Plumbline), by key then version."""

    def order(path: Path) -> tuple:
        data = _parse(path.read_bytes(), path)
        return (str(data.get("key", "")), version_sort_key(str(data.get("version", ""))))

    return files_in_order(directory, order)


def read_catalogue(path: Path) -> dict[str, Any]:
    """Parse and validate one framework file; raise ValidationError naming every problem by key."""
    path = Path(path)
    data = _parse(path.read_bytes(), path)
    _validate(data, path)
    return data


def load_framework(path: Path, make_current: bool = True) -> tuple[Framework, bool]:
    """Load one framework file; return (framework, created).

    Raises ValidationError when the file is malformed, or when a version already loaded arrives with
    different content.
    """
    data = read_catalogue(path)
    key, version = data["key"], str(data["version"]).strip()
    sha = content_hash(data)
    with transaction.atomic():
        existing = Framework.objects.select_for_update().filter(key=key, version=version).first()
        if existing is not None:
            if existing.content_hash != sha:
                raise ValidationError(
                    {
                        "version": [
                            f"Framework '{key}' version '{version}' is already loaded from different "
                            "content; changed content must carry a new version."
                        ]
                    }
                )
            return existing, False
        if make_current:
            Framework.objects.filter(key=key, is_current=True).update(is_current=False)
        framework = Framework.objects.create(
            key=key,
            version=version,
            name=data["name"].strip(),
            publisher=data["publisher"].strip(),
            source_url=data["source_url"].strip(),
            description=data["description"].strip(),
            content_hash=sha,
            is_current=make_current,
        )
        Requirement.objects.bulk_create(
            [
                Requirement(
                    framework=framework,
                    ref=r["ref"].strip(),
                    section=(r.get("section") or "").strip(),
                    title=r["title"].strip(),
                    description=r["description"].strip(),
                    applies_to=r.get("applies_to") or {},
                    position=index,
                )
                for index, r in enumerate(data["requirements"])
            ]
        )
    return framework, True


def load_all(directory: Path = DATA_DIR) -> list[tuple[Framework, bool]]:
    """Load every shipped framework file, oldest version of each key first (so the newest becomes current)."""
    return [load_framework(path) for path in shipped_files(directory)]


def _parse(raw: bytes, path: Path) -> dict[str, Any]:
    return parse_yaml(raw, path, "key, version, requirements")


def _validate(data: dict[str, Any], path: Path) -> None:
    """Collect every problem in the file, each under the key it concerns, then raise them together."""
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(f"{path.name}: {message}")

    for extra in sorted(set(data) - _TOP_KEYS, key=str):
        add(str(extra), f"unknown top-level entry '{extra}'.")
    for key in _REQUIRED_TOP:
        if not is_text(data.get(key)):
            hint = ' (quote it: version: "1")' if key == "version" else ""
            add(key, f"'{key}' must be a non-empty string{hint}.")
        elif len(data[key].strip()) > _LIMITS.get(key, 10_000):
            add(key, f"'{key}' is longer than {_LIMITS[key]} characters.")
    if is_text(data.get("key")) and not SLUG.match(data["key"]):
        add("key", f"'key' must be a lower-case slug such as 'eu-ai-act' (got {data['key']!r}).")
    if is_text(data.get("source_url")) and not data["source_url"].startswith("https://"):
        add("source_url", "'source_url' must be an https:// address.")

    requirements = data.get("requirements")
    if not isinstance(requirements, list) or not requirements:
        add("requirements", "'requirements' must be a non-empty list.")
        requirements = []
    seen: set[str] = set()
    for index, requirement in enumerate(requirements):
        if not isinstance(requirement, dict):
            add(f"requirements[{index}]", f"requirement #{index + 1} must be a mapping.")
            continue
        ref = requirement.get("ref")
        label = ref.strip() if is_text(ref) else f"requirements[{index}]"
        if not is_text(ref):
            add(label, f"requirement #{index + 1} needs a 'ref' (its citation).")
        elif ref.strip() in seen:
            add(label, f"duplicate ref '{ref.strip()}'; citations must be unique in a framework.")
        seen.add(label)
        for extra in sorted(set(requirement) - _REQUIREMENT_KEYS, key=str):
            add(label, f"requirement '{label}': unknown entry '{extra}'.")
        for field in ("title", "description"):
            if not is_text(requirement.get(field)):
                add(label, f"requirement '{label}' needs a non-empty {field}.")
        if "section" in requirement and not isinstance(requirement["section"], str):
            add(label, f"requirement '{label}': section must be text.")
        for field in ("ref", "section", "title"):
            value = requirement.get(field)
            if isinstance(value, str) and len(value.strip()) > _LIMITS[field]:
                add(label, f"requirement '{label}': {field} is longer than {_LIMITS[field]} characters.")
        for problem in applies_to_errors(requirement.get("applies_to")):
            add(label, f"requirement '{label}': {problem}")
    if errors:
        raise ValidationError(errors)
