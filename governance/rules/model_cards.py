"""What a model card holds and how it reads as Markdown (pure functions; no database access).

The sections follow Mitchell et al., "Model Cards for Model Reporting" (2019). The version's own metrics are
never part of the card's text: they are shown beside its quantitative analyses, from the version's record, so
the card cannot disagree with what the pipeline registered.
"""

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CardSection:
    key: str  # the ModelCard field, and the API's field name
    heading: str
    help: str  # what the section should say (form help text and API schema description)


SECTIONS: tuple[CardSection, ...] = (
    CardSection(
        "intended_use",
        "Intended use",
        "The decisions the model is built to inform, for whom, and in which process.",
    ),
    CardSection(
        "out_of_scope_uses",
        "Out-of-scope uses",
        "Uses the model was not built or validated for, and must not be put to.",
    ),
    CardSection(
        "factors",
        "Factors",
        "Groups, environments and conditions the model is evaluated across (segments, channels, products).",
    ),
    CardSection("metrics", "Metrics", "Which measures are reported and why they were chosen."),
    CardSection(
        "evaluation_data",
        "Evaluation data",
        "The data the reported results come from: source, period, size, and how it was sampled.",
    ),
    CardSection(
        "training_data",
        "Training data",
        "The data the model learned from: source, period, size, exclusions and preprocessing.",
    ),
    CardSection(
        "quantitative_analyses",
        "Quantitative analyses",
        "Results overall and across the factors above; the version's registered metrics are shown beside it.",
    ),
    CardSection(
        "ethical_considerations",
        "Ethical considerations",
        "Sensitive data, fairness risks, effects on the people the decisions concern, and mitigations.",
    ),
    CardSection(
        "caveats_and_recommendations",
        "Caveats and recommendations",
        "Known limitations, conditions for use, and what users and reviewers should watch.",
    ),
)
FIELDS: tuple[str, ...] = tuple(section.key for section in SECTIONS)
# Long enough for a thorough section, short enough that a runaway pipeline cannot fill the page (or the PDF).
MAX_TEXT = 20_000
NOT_RECORDED = "Not recorded"


def metric_rows(metrics: Any) -> list[tuple[str, str]]:
    """The version's metrics as (name, value) text pairs, by name; nested values as compact JSON."""
    if not isinstance(metrics, Mapping):
        return []
    return [(str(name), format_metric(metrics[name])) for name in sorted(metrics, key=str)]


def format_metric(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, int | str):
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(", ", ": "), default=str)


# Characters that start or change Markdown formatting inline; a backslash before each keeps it literal.
_INLINE_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def escape_inline(text: str) -> str:
    """``text`` as literal Markdown on one line: specials escaped, line breaks as spaces (a table row or a
    heading ends at the line's end)."""
    return _INLINE_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def escape_cell(text: str) -> str:
    """A table cell's text: escaped like any inline text, and never empty (an empty cell shifts some viewers)."""
    return escape_inline(text) or "—"


def render_markdown(
    *,
    model_name: str,
    version_label: str,
    details: Iterable[tuple[str, str]],
    texts: Mapping[str, str],
    metrics: Any,
    updated: str = "",
) -> str:
    """The card as a Markdown document: title, model details, each section ("Not recorded" when empty) and
    the version's metrics as a table under the quantitative analyses.

    ``details`` are (label, value) pairs of the inventory and lineage; ``texts`` the card's sections by key,
    written by people or pipelines and kept as they wrote them (they may use Markdown themselves).
    """
    lines = [f"# Model card: {escape_inline(model_name)} {escape_inline(version_label)}", ""]
    if updated:
        lines += [f"_{escape_inline(updated)}_", ""]
    lines += ["## Model details", "", "| | |", "|---|---|"]
    lines += [f"| {escape_cell(label)} | {escape_cell(value)} |" for label, value in details]
    lines.append("")
    for section in SECTIONS:
        text = (texts.get(section.key) or "").strip()
        lines += [
            f"## {section.heading}",
            "",
            text.replace("\r\n", "\n") if text else f"_{NOT_RECORDED}_",
            "",
        ]
        if section.key == "quantitative_analyses":
            lines += ["### Metrics registered with this version", ""]
            rows = metric_rows(metrics)
            if rows:
                lines += ["| Metric | Value |", "|---|---:|"]
                lines += [f"| {escape_cell(name)} | {escape_cell(value)} |" for name, value in rows]
            else:
                lines.append(f"_{NOT_RECORDED}_")
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
