"""EU AI Act Annex IV technical documentation: its outline and how complete a model's document is (pure).

The outline is data (governance/data/annex_iv/v<N>.yaml): sections in document order, each with the facts it
reads from the system of record and the free-text fields people write. ``load_outline`` reads and validates the
newest file once. ``document_items`` and ``completeness`` take plain data — a fact's value (None when the records
do not hold it) and the texts by key — so they know nothing of the database and are unit- and property-tested.

Completeness = recorded items ÷ all items of the outline, in percent (one decimal), where an item is a fact or a
free-text field. A list fact counts as recorded when it is not empty, unless the outline gives its ``empty``
sentence (e.g. "No incident recorded."): then an empty list is itself the fact. None, blank text, an empty list
or mapping is "not recorded".
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError

from governance.core.catalogues import is_text, parse_yaml

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "annex_iv"
MAX_TEXT = 20_000


@dataclass(frozen=True)
class FactSpec:
    key: str
    label: str
    empty: str = ""  # when set, an empty list is recorded and shown with this sentence


@dataclass(frozen=True)
class TextSpec:
    key: str
    label: str
    help: str


@dataclass(frozen=True)
class SectionSpec:
    key: str
    citation: str
    title: str
    description: str
    facts: tuple[FactSpec, ...]
    texts: tuple[TextSpec, ...]


@dataclass(frozen=True)
class Outline:
    version: int
    name: str
    measurement_window_days: int
    sections: tuple[SectionSpec, ...]

    @property
    def text_keys(self) -> tuple[str, ...]:
        return tuple(text.key for section in self.sections for text in section.texts)

    @property
    def fact_keys(self) -> tuple[str, ...]:
        return tuple(fact.key for section in self.sections for fact in section.facts)

    def text_spec(self, key: str) -> TextSpec | None:
        return next((t for s in self.sections for t in s.texts if t.key == key), None)


def parse_outline(data: dict[str, Any], source: str = "outline") -> Outline:
    """The outline a YAML mapping describes; ValidationError naming every problem (keys unique across it)."""
    problems: list[str] = []
    seen: set[str] = set()

    def unique(key: Any, where: str) -> str:
        if not isinstance(key, str) or not key.isidentifier():
            problems.append(f"{where}: key {key!r} is not a name (letters, digits, underscores).")
            return str(key)
        if key in seen:
            problems.append(f"{where}: key {key!r} is used twice.")
        seen.add(key)
        return key

    sections = []
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        problems.append("sections: a non-empty list.")
        raw_sections = []
    for index, raw in enumerate(raw_sections):
        where = f"sections[{index}]"
        if not isinstance(raw, dict):
            problems.append(f"{where}: a mapping.")
            continue
        for name in ("citation", "title", "description"):
            if not is_text(raw.get(name)):
                problems.append(f"{where}: {name} is required text.")
        facts, texts = [], []
        for fact in raw.get("facts") or []:
            if not isinstance(fact, dict) or not is_text(fact.get("label")):
                problems.append(f"{where}: each fact has a key and a label.")
                continue
            facts.append(FactSpec(unique(fact.get("key"), where), fact["label"], fact.get("empty") or ""))
        for text in raw.get("texts") or []:
            if not isinstance(text, dict) or not is_text(text.get("label")) or not is_text(text.get("help")):
                problems.append(f"{where}: each text has a key, a label and help.")
                continue
            texts.append(TextSpec(unique(text.get("key"), where), text["label"], text["help"].strip()))
        if not facts and not texts:
            problems.append(f"{where}: a section needs at least one fact or text.")
        sections.append(
            SectionSpec(
                key=unique(raw.get("key"), where),
                citation=str(raw.get("citation", "")),
                title=str(raw.get("title", "")),
                description=str(raw.get("description", "")).strip(),
                facts=tuple(facts),
                texts=tuple(texts),
            )
        )
    version, window = data.get("version"), data.get("measurement_window_days", 90)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append("version: a whole number from 1.")
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
        problems.append("measurement_window_days: a whole number of days from 1.")
    if problems:
        raise ValidationError({"file": [f"{source}: {p}" for p in problems]})
    return Outline(version, str(data.get("name", "")), window, tuple(sections))


def _version_of(path: Path) -> int:
    stem = path.stem.removeprefix("v")
    return int(stem) if stem.isdigit() else -1


@cache
def load_outline(directory: Path = DATA_DIR) -> Outline:
    """The newest shipped outline (the highest ``v<N>.yaml``), read and validated once per process."""
    files = sorted((p for p in Path(directory).glob("v*.yaml") if _version_of(p) > 0), key=_version_of)
    if not files:
        raise ValidationError({"file": [f"No Annex IV outline (v<N>.yaml) in {directory}."]})
    path = files[-1]
    outline = parse_outline(parse_yaml(path.read_bytes(), path, "version, sections"), path.name)
    if outline.version != _version_of(path):
        raise ValidationError({"file": [f"{path.name} says version {outline.version}."]})
    return outline


# --- Completeness ---------------------------------------------------------------------------------------------


def is_recorded(value: Any, empty: str = "") -> bool:
    """Whether a fact's value counts as recorded (see the module docstring)."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | dict | set):
        return bool(value) or (bool(empty) and not isinstance(value, dict))
    return True


def has_text(texts: dict[str, Any], key: str) -> bool:
    value = texts.get(key)
    return isinstance(value, str) and bool(value.strip())


@dataclass(frozen=True)
class Item:
    """One fact or free text of a section as the document shows it."""

    key: str
    label: str
    kind: str  # "fact" or "text"
    value: Any  # a fact's value or a text; None when not recorded
    recorded: bool
    empty: str = ""
    help: str = ""


@dataclass(frozen=True)
class Section:
    spec: SectionSpec
    facts: tuple[Item, ...]
    texts: tuple[Item, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        return self.facts + self.texts

    @property
    def missing(self) -> int:
        return sum(not item.recorded for item in self.items)


def document_items(outline: Outline, facts: dict[str, Any], texts: dict[str, Any]) -> list[Section]:
    """Every section of ``outline`` with its items: each fact's value from ``facts`` (absent: not recorded) and
    each text from ``texts``."""
    sections = []
    for spec in outline.sections:
        fact_items = tuple(
            Item(
                key=fact.key,
                label=fact.label,
                kind="fact",
                value=facts.get(fact.key),
                recorded=is_recorded(facts.get(fact.key), fact.empty),
                empty=fact.empty,
            )
            for fact in spec.facts
        )
        text_items = tuple(
            Item(
                key=text.key,
                label=text.label,
                kind="text",
                value=texts.get(text.key) if has_text(texts, text.key) else None,
                recorded=has_text(texts, text.key),
                help=text.help,
            )
            for text in spec.texts
        )
        sections.append(Section(spec, fact_items, text_items))
    return sections


def completeness(outline: Outline, recorded_facts: dict[str, bool], texts: dict[str, Any]) -> float:
    """Recorded facts and written texts ÷ all of the outline's items, in percent with one decimal.

    ``recorded_facts``: fact key -> whether it is recorded (absent: not recorded). A 100 is only given when
    nothing is missing (rounding never lifts 99.96 to 100)."""
    total = recorded = 0
    for section in outline.sections:
        for fact in section.facts:
            total += 1
            recorded += bool(recorded_facts.get(fact.key))
        for text in section.texts:
            total += 1
            recorded += has_text(texts, text.key)
    if total == 0:
        return 100.0
    if recorded == total:
        return 100.0
    return min(round(100 * recorded / total, 1), 99.9)


def sections_completeness(outline: Outline, sections: list[Section]) -> float:
    """``completeness`` of a document already laid out by ``document_items``."""
    flags = {item.key: item.recorded for section in sections for item in section.facts}
    texts = {item.key: item.value for section in sections for item in section.texts}
    return completeness(outline, flags, {k: v for k, v in texts.items() if v is not None})
