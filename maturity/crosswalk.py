"""Where an assessment places the organisation on public MLOps maturity models (Microsoft, Google Cloud, AWS).

The crosswalk is data: ``maturity/data/crosswalk/*.yaml``, one file per version, each public level defined in our
own words with its source cited, and the answers it requires (question key and minimum level). A public level is
reached when its requirements and those of every level below it are met, so the placement is criteria-based, not
a rescaling of the overall score; what is missing for the next level is listed requirement by requirement.

Reading the file and placing an assessment are plain functions with no database access.
"""

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError

from governance.core.catalogues import SLUG, files_in_order, is_text, parse_yaml, version_sort_key
from maturity.models import MAX_LEVEL

DATA_DIR = Path(__file__).resolve().parent / "data" / "crosswalk"
MAX_DEFINITION = 600
MAX_WHY = 200


@dataclass(frozen=True)
class Requirement:
    question: str
    min_level: int
    why: str


@dataclass(frozen=True)
class PublicLevel:
    level: int
    name: str
    definition: str
    requires: tuple[Requirement, ...]


@dataclass(frozen=True)
class PublicModel:
    key: str
    name: str
    publisher: str
    source_url: str
    source_title: str
    levels: tuple[PublicLevel, ...]


@dataclass(frozen=True)
class Crosswalk:
    version: str
    title: str
    models: tuple[PublicModel, ...]

    def question_keys(self) -> set[str]:
        return {r.question for m in self.models for lv in m.levels for r in lv.requires}


@dataclass(frozen=True)
class Gap:
    """A requirement of the next public level that the answers do not meet yet."""

    requirement: Requirement
    current: int | None  # None: not answered or not applicable
    question_text: str = ""


@dataclass(frozen=True)
class Placement:
    model: PublicModel
    level: PublicLevel
    next_level: PublicLevel | None
    missing: tuple[Gap, ...]

    @property
    def is_top(self) -> bool:
        return self.next_level is None


def place(
    model: PublicModel, levels: Mapping[str, int | None], texts: Mapping[str, str] | None = None
) -> Placement:
    """The highest public level whose requirements, and those of every level below, the answers meet.

    ``levels`` maps question keys to the answered level (None or absent: not answered or N/A, which meets no
    requirement: a practice marked not applicable is not evidence of it). ``texts`` adds question texts to gaps.
    """
    texts = texts or {}
    reached = model.levels[0]
    for public in model.levels[1:]:
        if all(_met(r, levels) for r in public.requires):
            reached = public
        else:
            break
    position = model.levels.index(reached)
    following = model.levels[position + 1] if position + 1 < len(model.levels) else None
    missing: tuple[Gap, ...] = ()
    if following is not None:
        # The levels below were met to get here, so what stands in the way is the next level's own requirements.
        missing = tuple(
            Gap(requirement=r, current=levels.get(r.question), question_text=texts.get(r.question, ""))
            for r in following.requires
            if not _met(r, levels)
        )
    return Placement(model=model, level=reached, next_level=following, missing=missing)


def _met(requirement: Requirement, levels: Mapping[str, int | None]) -> bool:
    level = levels.get(requirement.question)
    return level is not None and level >= requirement.min_level


def shipped_files(directory: Path = DATA_DIR) -> list[Path]:
    return files_in_order(
        directory,
        lambda p: version_sort_key(str(parse_yaml(p.read_bytes(), p, "version").get("version", ""))),
    )


@functools.cache
def current(directory: Path = DATA_DIR) -> Crosswalk:
    """The newest shipped crosswalk (read once per process: the files are part of the release)."""
    files = shipped_files(directory)
    if not files:
        raise ValidationError({"file": [f"No crosswalk file in {directory}."]})
    return read(files[-1])


def read(path: Path) -> Crosswalk:
    """Parse and validate one crosswalk file; a ValidationError names every problem by its place in the file."""
    data = parse_yaml(Path(path).read_bytes(), Path(path), "version, title, models")
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    for extra in sorted(set(data) - {"version", "title", "questionnaire_keys_from", "models"}, key=str):
        add(str(extra), f"Unknown top-level entry '{extra}'.")
    if not is_text(data.get("version")):
        add("version", "'version' must be a non-empty string.")
    if not is_text(data.get("title")):
        add("title", "'title' must be a non-empty string.")
    raw_models = data.get("models")
    if not isinstance(raw_models, list) or not raw_models:
        add("models", "'models' must list the public maturity models.")
        raw_models = []
    models: list[PublicModel] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_models):
        label = (
            raw.get("key")
            if isinstance(raw, dict) and isinstance(raw.get("key"), str)
            else f"models[{index}]"
        )
        if not isinstance(raw, dict):
            add(label, f"Model #{index + 1} must be a mapping.")
            continue
        if not SLUG.match(str(raw.get("key", ""))) or raw["key"] in seen:
            add(label, f"Model '{label}': key must be a unique lower-case slug.")
        seen.add(str(raw.get("key")))
        for name in ("name", "publisher", "source_url", "source_title"):
            if not is_text(raw.get(name)):
                add(label, f"Model '{label}' needs '{name}' (the source is cited for every model).")
        levels = _read_levels(add, label, raw.get("levels"))
        if levels:
            models.append(
                PublicModel(
                    key=raw["key"],
                    name=raw["name"].strip(),
                    publisher=str(raw.get("publisher", "")).strip(),
                    source_url=str(raw.get("source_url", "")).strip(),
                    source_title=str(raw.get("source_title", "")).strip(),
                    levels=levels,
                )
            )
    if errors:
        raise ValidationError(errors)
    return Crosswalk(version=data["version"].strip(), title=data["title"].strip(), models=tuple(models))


def _read_levels(add, label: str, raw_levels: Any) -> tuple[PublicLevel, ...]:
    if not isinstance(raw_levels, list) or len(raw_levels) < 2:
        add(label, f"Model '{label}' needs at least two levels.")
        return ()
    levels = []
    for position, raw in enumerate(raw_levels):
        where = f"Model '{label}', level #{position + 1}"
        if not isinstance(raw, dict) or raw.get("level") != position:
            add(label, f"{where}: levels must be numbered from 0 in order.")
            return ()
        if not is_text(raw.get("name")):
            add(label, f"{where} needs a name.")
        definition = raw.get("definition")
        if not is_text(definition) or len(definition) > MAX_DEFINITION:
            add(
                label, f"{where} needs a definition of at most {MAX_DEFINITION} characters, in our own words."
            )
        requires = raw.get("requires") or []
        if position == 0 and requires:
            add(label, f"{where}: the lowest level requires nothing.")
        if position > 0 and not requires:
            add(label, f"{where}: a level above the lowest must require something.")
        parsed = []
        questions_here: set[str] = set()
        for item in requires if isinstance(requires, list) else []:
            question = item.get("question") if isinstance(item, dict) else None
            minimum = item.get("min_level") if isinstance(item, dict) else None
            why = item.get("why", "") if isinstance(item, dict) else ""
            if not isinstance(question, str) or not SLUG.match(question) or question in questions_here:
                add(label, f"{where}: requirement {item!r} must name a question once.")
                continue
            if not isinstance(minimum, int) or isinstance(minimum, bool) or not 1 <= minimum <= MAX_LEVEL:
                add(label, f"{where}: '{question}' needs min_level from 1 to {MAX_LEVEL}.")
                continue
            if not is_text(why) or len(why) > MAX_WHY:
                add(label, f"{where}: '{question}' needs a 'why' of at most {MAX_WHY} characters.")
            questions_here.add(question)
            parsed.append(Requirement(question=question, min_level=minimum, why=str(why).strip()))
        levels.append(
            PublicLevel(
                level=position,
                name=str(raw.get("name", "")).strip(),
                definition=str(definition or "").strip(),
                requires=tuple(parsed),
            )
        )
    return tuple(levels)
