"""The main navigation: the entries each app registered (``nav_entries``), grouped into the sidebar's sections
(``NavGroup``); one whose URL is not installed is left out. The entry whose URL is the longest prefix of the page's
path is the current one."""

from django.urls import NoReverseMatch, reverse

from governance.core.registry import NavEntry, NavGroup, nav_entries

# Governance's sections; the maturity app registers its own (Maturity group) in its AppConfig.ready().
GOVERNANCE_ENTRIES: tuple[NavEntry, ...] = (
    NavEntry(
        "Models",
        "governance:model-list",
        "The inventory of every ML model, its versions and owners.",
        40,
        NavGroup.INVENTORY,
    ),
    NavEntry(
        "Approvals",
        "governance:approval-list",
        "Stage changes and promotions waiting for a decision.",
        50,
        NavGroup.INVENTORY,
    ),
    NavEntry(
        "Release policy",
        "governance:release-policy",
        "What must hold before a model enters validation or production, per risk tier.",
        55,
        NavGroup.INVENTORY,
    ),
    NavEntry(
        "Risks",
        "governance:risk-heatmap",
        "Inherent and residual risk across the inventory.",
        60,
        NavGroup.RISK_AND_COMPLIANCE,
    ),
    NavEntry(
        "Compliance",
        "governance:compliance-overview",
        "Coverage against EU AI Act, NIST AI RMF, ISO/IEC 42001, SR 11-7.",
        70,
        NavGroup.RISK_AND_COMPLIANCE,
    ),
    NavEntry(
        "Statement of applicability",
        "governance:applicability",
        "Which ISO/IEC 42001 controls apply, why, and how far they are implemented.",
        75,
        NavGroup.RISK_AND_COMPLIANCE,
    ),
    NavEntry(
        "Incidents",
        "governance:incident-list",
        "What went wrong, its impact and what was done.",
        80,
        NavGroup.MONITORING,
    ),
    NavEntry(
        "Integrations",
        "governance:registry-list",
        "MLflow registries kept in step with the inventory, and signed webhooks to your other tools.",
        85,
        NavGroup.MONITORING,
    ),
    NavEntry("Reports", "governance:report-list", "Audit-ready PDF reports.", 100, NavGroup.REPORTS),
    NavEntry(
        "Scheduled reports",
        "governance:report-schedule-list",
        "Reports generated and emailed on a fixed schedule.",
        105,
        NavGroup.REPORTS,
    ),
    NavEntry(
        "Audit log",
        "governance:audit-log",
        "Every change to a governed record, hash-chained.",
        110,
        NavGroup.ADMINISTRATION,
    ),
    NavEntry(
        "Audit integrity",
        "governance:audit-integrity",
        "The audit trail's verification, signed checkpoints and evidence bundles.",
        115,
        NavGroup.ADMINISTRATION,
    ),
    NavEntry(
        "API documentation",
        "api-docs",
        "The REST API's operations, for pipelines and other tools.",
        130,
        NavGroup.ADMINISTRATION,
    ),
)


def nav_items() -> list[dict[str, str]]:
    """Every installed entry, in registration order: label, url, description and group."""
    items = []
    for entry in nav_entries:
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        items.append(
            {"label": entry.label, "url": url, "description": entry.description, "group": entry.group}
        )
    return items


def nav_groups(path: str) -> list[dict]:
    """The sidebar: one ``{"label", "items"}`` per group that has entries, in ``NavGroup`` order, each item marked
    ``current`` when it is the page's section (the longest URL that prefixes ``path``)."""
    items = nav_items()
    matching = [
        item["url"] for item in items if path == item["url"] or path.startswith(item["url"].rstrip("/") + "/")
    ]
    current_url = max(matching, key=len, default=None)
    order = {group.value: rank for rank, group in enumerate(NavGroup)}
    groups: dict[str, list[dict]] = {}
    for item in items:
        groups.setdefault(str(item["group"]), []).append({**item, "current": item["url"] == current_url})
    return [
        {"label": label, "items": entries}
        for label, entries in sorted(groups.items(), key=lambda pair: order.get(pair[0], len(order)))
    ]
