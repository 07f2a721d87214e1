"""The main navigation: one entry per section; a section whose URL is not installed is left out."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    description: str


NAV_ENTRIES: tuple[NavEntry, ...] = (
    NavEntry("Maturity", "maturity:dashboard", "Overall and factor scores over time."),
    NavEntry("Assessments", "maturity:assessment-list", "Answer, submit and approve maturity assessments."),
    NavEntry("Compare units", "maturity:compare", "Business units side by side, factor by factor."),
    NavEntry("Models", "governance:model-list", "The inventory of every ML model, its versions and owners."),
    NavEntry("Approvals", "governance:approval-list", "Stage changes and promotions waiting for a decision."),
    NavEntry("Risks", "governance:risk-heatmap", "Inherent and residual risk across the inventory."),
    NavEntry(
        "Compliance",
        "governance:compliance-overview",
        "Coverage against EU AI Act, NIST AI RMF, ISO/IEC 42001, SR 11-7.",
    ),
    NavEntry("Incidents", "governance:incident-list", "What went wrong, its impact and what was done."),
    NavEntry("Audit log", "governance:audit-log", "Every change to a governed record, hash-chained."),
    NavEntry("Reports", "governance:report-list", "Audit-ready PDF reports."),
)


def nav_items() -> list[dict[str, str]]:
    items = []
    for entry in NAV_ENTRIES:
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": entry.label, "url": url, "description": entry.description})
    return items
