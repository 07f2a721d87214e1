"""Statement of Applicability reads: the Annex A controls of the current ISO/IEC 42001 catalogue with the
organisation's decision on each, the issued statements, and what changed between two of them.

Entries are matched to controls by their citation (``ref``) across catalogue versions, so a decision taken on
an earlier version of the catalogue still shows (marked as such) until it is reviewed against the current one.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet
from django.utils import timezone

from governance.core.exports import Column
from governance.models import (
    ControlApplicability,
    Framework,
    ImplementationStatus,
    IssuedStatement,
    Organisation,
    Requirement,
)
from governance.rules.applicability import applicability_label, statement_counts

ISO_42001 = "iso-iec-42001"
ANNEX_A_PREFIX = "A."


def annex_a_framework() -> Framework | None:
    """The current version of the ISO/IEC 42001 catalogue, or None when it is not loaded."""
    return Framework.objects.filter(key=ISO_42001, is_current=True).first()


def annex_a_controls(framework: Framework) -> QuerySet[Requirement]:
    """The catalogue's Annex A controls (refs "A.x.y") in catalogue order; the clauses 4-10 are not controls."""
    return framework.requirements.filter(ref__startswith=ANNEX_A_PREFIX).order_by("position")


@dataclass(frozen=True)
class StatementRow:
    """One Annex A control with the organisation's entry for it (None: never decided)."""

    control: Requirement
    entry: ControlApplicability | None
    # The entry was decided against an earlier catalogue version (same ref) and not reviewed since.
    from_earlier_version: bool = False

    @property
    def applicability(self) -> str:
        return applicability_label(self.entry.applicable if self.entry else None)

    @property
    def review_overdue(self) -> bool:
        due = self.entry.next_review_due if self.entry else None
        return due is not None and due < timezone.localdate()


def statement_rows(organisation: Organisation, framework: Framework) -> list[StatementRow]:
    """Every Annex A control of ``framework`` with the organisation's entry, in two queries."""
    controls = list(annex_a_controls(framework))
    entries = (
        ControlApplicability.objects.filter(
            organisation=organisation, requirement__framework__key=framework.key
        )
        .select_related("owner", "reviewed_by", "requirement__framework")
        .order_by("requirement__framework__loaded_at", "pk")
    )
    by_ref: dict[str, ControlApplicability] = {}
    for entry in entries:  # later catalogue versions win
        by_ref[entry.ref] = entry
    rows = []
    for control in controls:
        entry = by_ref.get(control.ref)
        earlier = entry is not None and entry.requirement.framework_id != framework.pk
        rows.append(StatementRow(control, entry, earlier))
    return rows


def entry_for(organisation: Organisation, control: Requirement) -> tuple[ControlApplicability | None, bool]:
    """The organisation's entry for ``control`` (or the newest one with the same ref on an earlier version of the
    catalogue), and whether it is from an earlier version."""
    entry = (
        ControlApplicability.objects.filter(
            organisation=organisation, ref=control.ref, requirement__framework__key=control.framework.key
        )
        .select_related("owner", "reviewed_by", "requirement__framework")
        .order_by("-requirement__framework__loaded_at")
        .first()
    )
    return entry, bool(entry and entry.requirement_id != control.pk)


def entry_snapshot(row: StatementRow) -> dict:
    """What an issued statement keeps of one control: plain JSON values, names rather than ids."""
    entry = row.entry
    owner = entry.owner if entry else None
    return {
        "ref": row.control.ref,
        "section": row.control.section,
        "title": row.control.title,
        "applicable": entry.applicable if entry else None,
        "justification": entry.justification if entry else "",
        "implementation_status": entry.implementation_status if entry and entry.applicable else "",
        "owner": (owner.get_full_name() or owner.get_username()) if owner else "",
        "evidence_link": entry.evidence_link if entry else "",
        "evidence_file": entry.evidence_file.name.rsplit("/", 1)[-1] if entry and entry.evidence_file else "",
        "evidence_sha256": entry.evidence_sha256 if entry else "",
        "reviewed_at": entry.reviewed_at.isoformat() if entry and entry.reviewed_at else None,
        "next_review_due": entry.next_review_due.isoformat() if entry and entry.next_review_due else None,
    }


STATUS_LABELS = dict(ImplementationStatus.choices)


@dataclass(frozen=True)
class StatementSummary:
    controls: int
    applicable: int
    excluded: int
    undecided: int
    implemented: int
    overdue: int

    @property
    def ready_to_issue(self) -> bool:
        return self.controls > 0 and self.undecided == 0


def statement_summary(rows: list[StatementRow], today: date | None = None) -> StatementSummary:
    counts = statement_counts(
        {
            "applicable": row.entry.applicable if row.entry else None,
            "implementation_status": row.entry.implementation_status if row.entry else "",
        }
        for row in rows
    )
    today = today or timezone.localdate()
    overdue = sum(
        1 for row in rows if row.entry and row.entry.next_review_due and row.entry.next_review_due < today
    )
    return StatementSummary(overdue=overdue, **counts)


def issued_statements(organisation: Organisation) -> QuerySet[IssuedStatement]:
    """The organisation's issued statements, newest first (without their entries: lists only show headers)."""
    return (
        IssuedStatement.objects.filter(organisation=organisation)
        .select_related("issued_by", "framework")
        .defer("entries")
        .order_by("-number")
    )


def issued_statement(organisation: Organisation, number: int) -> IssuedStatement | None:
    return (
        IssuedStatement.objects.filter(organisation=organisation, number=number)
        .select_related("issued_by", "framework")
        .first()
    )


# --- Spreadsheet export -------------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    Column("control", width=10),
    Column("section", width=32),
    Column("title", width=44),
    Column("applicable", "bool", 11),
    Column("justification", width=60),
    Column("implementation_status", width=22),
    Column("owner", width=20),
    Column("evidence_link", width=40),
    Column("evidence_file", width=28),
    Column("evidence_sha256", width=66),
    Column("last_reviewed", "datetime", 22),
    Column("next_review_due", "date", 14),
)


def _parse_datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def export_rows(entries: Iterable[dict]) -> Iterator[tuple]:
    """One row per control of a statement (the current one's snapshots, or an issued one's entries)."""
    for entry in entries:
        yield (
            entry["ref"],
            entry["section"],
            entry["title"],
            entry["applicable"],
            entry["justification"],
            STATUS_LABELS.get(entry["implementation_status"], ""),
            entry["owner"],
            entry["evidence_link"],
            entry["evidence_file"],
            entry["evidence_sha256"],
            _parse_datetime(entry["reviewed_at"]),
            _parse_date(entry["next_review_due"]),
        )
