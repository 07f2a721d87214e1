"""What a model registry's state means for the inventory (pure; no ORM): the label an imported version gets, the
metrics it carries, and whether the registry's champion alias agrees with Plumbline's approved champion.
"""

import math
import re
from collections.abc import Collection, Mapping
from enum import StrEnum
from typing import Any

# A tag on an MLflow model version that names its Plumbline version label (e.g. "2.3.0"); without it (or when
# the label is taken) the registry's version number is the label.
VERSION_TAG = "plumbline.version"
VERSION_LABEL_MAX = 64
# Run parameters sit beside the run's metrics in ``ModelVersion.metrics`` under this prefix, as text: comparisons
# and model cards read numbers only, so a parameter never passes for a metric.
PARAM_PREFIX = "param."
# MLflow refuses "latest" and "v<number>" as alias names (they name versions); ours are plain words.
ALIAS_PATTERN = re.compile(r"^[A-Za-z0-9_\-]{1,60}$")
RESERVED_ALIAS = re.compile(r"^(latest|[vV]\d+)$")


def clean_text(value: Any, limit: int | None = None) -> str:
    """Text as the database takes it: no NUL character (PostgreSQL refuses one), at most ``limit`` characters."""
    text = str(value).replace("\x00", "")
    return text[:limit] if limit is not None else text


def version_label(number: str, tag: str | None, taken: Collection[str]) -> str:
    """The label of a newly imported version: its ``plumbline.version`` tag when usable and free, else the
    registry's number, else the number marked as the registry's (``"3-mlflow"``) when a manual label took it."""
    candidates = []
    if tag is not None and (tagged := clean_text(tag).strip()) and len(tagged) <= VERSION_LABEL_MAX:
        candidates.append(tagged)
    candidates += [number, f"{number}-mlflow"[:VERSION_LABEL_MAX]]
    for candidate in candidates:
        if candidate not in taken:
            return candidate
    suffix = 2
    while f"{number}-mlflow-{suffix}" in taken:
        suffix += 1
    return f"{number}-mlflow-{suffix}"


def version_metrics(metrics: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """A version's metrics: the run's latest metrics (finite numbers only; JSON has no NaN) and its parameters
    as text under ``param.``. A metric wins over a parameter of the same prefixed name."""
    result: dict[str, Any] = {f"{PARAM_PREFIX}{clean_text(k)}": clean_text(v) for k, v in params.items()}
    for key, value in metrics.items():
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            result[clean_text(key)] = value
    return result


def alias_problems(alias: Any) -> list[str]:
    if not isinstance(alias, str) or not ALIAS_PATTERN.match(alias):
        return ["Use 1 to 60 letters, digits, hyphens or underscores, e.g. champion."]
    if RESERVED_ALIAS.match(alias):
        return ["MLflow reserves “latest” and “v<number>” for versions; choose another alias."]
    return []


class Verdict(StrEnum):
    # The alias points to Plumbline's approved champion, or no version carries it: nothing to flag.
    AGREE = "agree"
    # Plumbline approved a champion whose alias is not set yet (the task runs after the approval commits).
    PENDING = "pending"
    # Where it was when Plumbline first saw the model, or already judged: leave the model as it is.
    UNCHANGED = "unchanged"
    # The alias moved to a version Plumbline did not approve.
    UNAPPROVED = "unapproved"


def champion_verdict(
    *,
    alias_version: str | None,
    champion_version: str | None,
    previous_alias_version: str | None,
    first_seen: bool,
    alias_set_pending: bool,
    flagged: bool,
) -> Verdict:
    """Whether the registry's champion alias is an unapproved promotion.

    ``alias_version`` is where the alias points now, ``previous_alias_version`` where the last sync (or the last
    alias Plumbline set) saw it, ``champion_version`` the registry number of Plumbline's approved champion.
    An alias found on a model's first import is its baseline: it was there before Plumbline watched, so only a
    later move is flagged. A flagged model stays flagged until the alias and Plumbline agree again.
    """
    if alias_version is not None and alias_version == champion_version:
        return Verdict.AGREE
    if alias_set_pending and champion_version is not None:
        return Verdict.PENDING
    if alias_version is None:
        return Verdict.AGREE
    if first_seen or (alias_version == previous_alias_version and not flagged):
        return Verdict.UNCHANGED
    return Verdict.UNAPPROVED
