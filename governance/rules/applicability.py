"""Statement of Applicability rules: what an issued statement holds per control, and what changed between two.

Plain data in, plain data out (no ORM): ``entries`` are the dicts ``IssuedStatement.entries`` keeps, one per
Annex A control, keyed by ``ref``.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# The fields an auditor compares between two issues, with the words the diff page uses for them.
COMPARED_FIELDS = {
    "applicable": "Applicability",
    "implementation_status": "Implementation status",
    "justification": "Justification",
    "owner": "Owner",
    "evidence": "Evidence",
}


def entries_sha256(entries: list[Mapping[str, Any]]) -> str:
    """SHA-256 of the canonical JSON of an issued statement's entries (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(list(entries), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def applicability_label(applicable: bool | None) -> str:
    return "Applicable" if applicable else "Not applicable" if applicable is False else "Not decided"


def _evidence(entry: Mapping[str, Any]) -> str:
    parts = [entry.get("evidence_link") or "", entry.get("evidence_sha256") or ""]
    return " ".join(p for p in parts if p)


def _value(entry: Mapping[str, Any], name: str) -> Any:
    return _evidence(entry) if name == "evidence" else entry.get(name)


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ControlChange:
    """One control whose entry differs between two issues (or that only one of them lists)."""

    ref: str
    title: str
    kind: str  # "changed", "added" (only in the newer issue) or "removed" (only in the older one)
    changes: tuple[FieldChange, ...] = ()

    @property
    def applicability_changed(self) -> bool:
        return any(c.field == "applicable" for c in self.changes)

    @property
    def status_changed(self) -> bool:
        return any(c.field == "implementation_status" for c in self.changes)


def statement_changes(
    older: Iterable[Mapping[str, Any]], newer: Iterable[Mapping[str, Any]]
) -> list[ControlChange]:
    """The controls whose applicability, status, justification, owner or evidence differ, in the newer issue's
    order (controls only in the older one last)."""
    before = {entry["ref"]: entry for entry in older}
    changes: list[ControlChange] = []
    seen = set()
    for entry in newer:
        ref = entry["ref"]
        seen.add(ref)
        previous = before.get(ref)
        if previous is None:
            changes.append(ControlChange(ref, entry.get("title", ""), "added"))
            continue
        fields = tuple(
            FieldChange(name, label, _value(previous, name), _value(entry, name))
            for name, label in COMPARED_FIELDS.items()
            if _value(previous, name) != _value(entry, name)
        )
        if fields:
            changes.append(ControlChange(ref, entry.get("title", ""), "changed", fields))
    changes.extend(
        ControlChange(ref, entry.get("title", ""), "removed")
        for ref, entry in before.items()
        if ref not in seen
    )
    return changes


def statement_counts(entries: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many controls are applicable, excluded, undecided and implemented (of the applicable ones)."""
    counts = {"controls": 0, "applicable": 0, "excluded": 0, "undecided": 0, "implemented": 0}
    for entry in entries:
        counts["controls"] += 1
        if entry.get("applicable") is True:
            counts["applicable"] += 1
            counts["implemented"] += entry.get("implementation_status") == "implemented"
        elif entry.get("applicable") is False:
            counts["excluded"] += 1
        else:
            counts["undecided"] += 1
    return counts
