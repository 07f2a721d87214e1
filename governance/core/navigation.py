"""The main navigation: the entries each app registered (``nav_entries``); one whose URL is not installed is
left out."""

from django.urls import NoReverseMatch, reverse

from governance.core.registry import NavEntry, nav_entries

# Governance's sections; the maturity app registers its own (Maturity, Assessments, Compare units) before them.
GOVERNANCE_ENTRIES: tuple[NavEntry, ...] = (
    NavEntry(
        "Models", "governance:model-list", "The inventory of every ML model, its versions and owners.", 40
    ),
    NavEntry(
        "Approvals", "governance:approval-list", "Stage changes and promotions waiting for a decision.", 50
    ),
    NavEntry(
        "Release policy",
        "governance:release-policy",
        "What must hold before a model enters validation or production, per risk tier.",
        55,
    ),
    NavEntry("Risks", "governance:risk-heatmap", "Inherent and residual risk across the inventory.", 60),
    NavEntry(
        "Compliance",
        "governance:compliance-overview",
        "Coverage against EU AI Act, NIST AI RMF, ISO/IEC 42001, SR 11-7.",
        70,
    ),
    NavEntry("Incidents", "governance:incident-list", "What went wrong, its impact and what was done.", 80),
    NavEntry("Audit log", "governance:audit-log", "Every change to a governed record, hash-chained.", 90),
    NavEntry("Reports", "governance:report-list", "Audit-ready PDF reports.", 100),
    NavEntry(
        "Integrations",
        "governance:registry-list",
        "MLflow registries kept in step with the inventory, and signed webhooks to your other tools.",
        110,
    ),
)


def nav_items() -> list[dict[str, str]]:
    items = []
    for entry in nav_entries:
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": entry.label, "url": url, "description": entry.description})
    return items
