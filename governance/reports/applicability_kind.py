"""The "Statement of Applicability" report kind: one issued statement (ISO/IEC 42001 Annex A) as a PDF.

The subject is an ``IssuedStatement``, so the PDF shows exactly what was issued (and its SHA-256), however the
live statement has changed since; rendering it again gives the same content.
"""

from typing import Any

from django.utils import timezone
from django.utils.safestring import mark_safe

from governance.core.registry import ReportKindSpec, report_kinds
from governance.core.roles import Role
from governance.models import IssuedStatement, Report
from governance.reports.charts import horizontal_bar_svg
from governance.reports.render import SubjectError
from governance.rules.applicability import entries_sha256, statement_changes, statement_counts
from governance.selectors.applicability import STATUS_LABELS, annex_a_controls, annex_a_framework

STATEMENT_OF_APPLICABILITY = "statement_of_applicability"


def _context(report: Report) -> dict[str, Any]:
    issued = (
        IssuedStatement.objects.filter(organisation=report.organisation, pk=report.subject_id)
        .select_related("issued_by", "framework")
        .first()
    )
    if issued is None:
        raise SubjectError(f"Issued statement #{report.subject_id} does not exist in {report.organisation}.")
    previous = (
        IssuedStatement.objects.filter(organisation=report.organisation, number__lt=issued.number)
        .order_by("-number")
        .first()
    )
    entries = [
        {**entry, "status_label": STATUS_LABELS.get(entry["implementation_status"], "")}
        for entry in issued.entries
    ]
    sections: dict[str, list[dict]] = {}
    for entry in entries:
        sections.setdefault(entry["section"], []).append(entry)
    counts = statement_counts(issued.entries)
    applicable = [e for e in entries if e["applicable"]]
    status_items = [
        (label, sum(1 for e in applicable if e["implementation_status"] == value))
        for value, label in STATUS_LABELS.items()
    ]
    return {
        "scope": f"{issued}, issued {issued.issued_at:%Y-%m-%d} against {issued.framework}",
        "issued": issued,
        # Recomputed from the stored entries: the PDF states the hash only if the entries still match it.
        "hash_matches": entries_sha256(issued.entries) == issued.sha256,
        "sections_by_name": sections,
        "counts": counts,
        "excluded": [e for e in entries if e["applicable"] is False],
        "evidence": [e for e in entries if e["evidence_link"] or e["evidence_file"]],
        "previous": previous,
        "changes": statement_changes(previous.entries, issued.entries) if previous else [],
        "status_labels": STATUS_LABELS,
        "status_chart": mark_safe(
            horizontal_bar_svg("Applicable controls by implementation status", status_items)
        ),
        "sections": [
            ("summary", "Summary"),
            ("statement", "Statement per control"),
            ("exclusions", "Excluded controls and why"),
            ("changes", "Changes since the previous issue"),
            ("appendix", "Appendix: evidence references"),
            ("signoff", "Sign-off"),
        ],
    }


def _benchmark_case(context: dict[str, Any]) -> tuple[int, dict[str, Any], str] | None:
    """An issued statement over every Annex A control of the shipped catalogue, in the benchmark organisation."""
    framework = annex_a_framework()
    if framework is None:
        return None
    controls = list(annex_a_controls(framework))
    entries = [
        {
            "ref": control.ref,
            "section": control.section,
            "title": control.title,
            "applicable": index % 7 != 0,
            "justification": "Treats the AI risks recorded in the register for the models in scope.",
            "implementation_status": "implemented" if index % 3 else "partial",
            "owner": "Head of model risk",
            "evidence_link": f"https://dms.example.com/aims/{control.ref}",
            "evidence_file": "",
            "evidence_sha256": "",
            "reviewed_at": timezone.now().isoformat(),
            "next_review_due": None,
        }
        for index, control in enumerate(controls)
    ]
    issued = IssuedStatement.objects.create(
        organisation=context["organisation"],
        framework=framework,
        number=(IssuedStatement.objects.filter(organisation=context["organisation"]).count() + 1),
        issued_at=timezone.now(),
        issued_by=context["people"][Role.RISK_OFFICER],
        entries=entries,
        sha256=entries_sha256(entries),
    )
    return issued.pk, {}, f"{len(entries)} controls"


def register() -> None:
    """Called from ``GovernanceConfig.ready``."""
    report_kinds.register(
        ReportKindSpec(
            key=STATEMENT_OF_APPLICABILITY,
            label="Statement of Applicability (ISO/IEC 42001)",
            template="governance/pdf/statement_of_applicability.html",
            build_context=_context,
            title="Statement of Applicability: {subject}",
            order=55,
            subject_model=IssuedStatement,
            subject_field="subject",
            subject_label="Issued statement",
            subject_help="Only for a Statement of Applicability: the issue to render (issue it first on the "
            "Statement of Applicability page).",
            subject_choices=lambda organisation: (
                IssuedStatement.objects.filter(organisation=organisation).defer("entries").order_by("-number")
            ),
            benchmark_case=_benchmark_case,
        )
    )
