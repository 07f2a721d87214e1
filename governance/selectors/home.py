"""Governance's home panels, one per thing a role looks at first (issue 16): the executive's inventory by tier,
KPI breaches, top risks and decisions waiting; the model owner's models, reviews and KPIs; the risk officer's
compliance coverage, open findings and overdue work; the auditor's trail integrity, reports and evidence; the
administrator's members and connections.

Each ``build`` reads in a fixed number of queries whatever the data size; a figure two panels show is read once
per page through ``HomeContext.shared``. Registered from ``GovernanceConfig.ready``; the maturity app registers
its own panel the same way.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from governance import charts
from governance.core.registry import (
    ADMIN_HOME,
    AUDIT_HOME,
    EXECUTIVE_HOME,
    OWNER_HOME,
    RISK_HOME,
    HomeContext,
    HomePanel,
    home_panels,
)
from governance.core.roles import Role
from governance.models import (
    AIModel,
    ComplianceRecord,
    ComplianceStatus,
    DeliveryStatus,
    FindingSeverity,
    FindingStatus,
    KPIDefinition,
    LifecycleStage,
    Membership,
    Organisation,
    Report,
    ReportStatus,
    Risk,
    RiskStatus,
    ValidationFinding,
    WebhookDelivery,
)
from governance.selectors import audit, compliance, dashboard
from governance.selectors.counting import count_subquery, first_rows_with_total
from governance.selectors.inventory import overdue_q, pending_approvals
from governance.selectors.release import release_panel

MY_MODEL_ROWS = 10
MY_KPI_ROWS = 10
FINDING_ROWS = 8
OVERDUE_ROWS = 8
REPORT_ROWS = 5
BUNDLE_ROWS = 3


def _inventory(home: HomeContext) -> dashboard.StageTierTable:
    return home.shared("inventory", lambda: dashboard.inventory_table(home.organisation))


def _compliance(home: HomeContext) -> list[compliance.FrameworkSummary]:
    return home.shared("compliance", lambda: compliance.compliance_overview(home.organisation, home.today))


# --- Executive --------------------------------------------------------------------------------------------


def inventory_panel(home: HomeContext) -> dict[str, Any]:
    """Models by risk tier (the chart) and by stage and tier (the table beside it): one grouped query."""
    inventory = _inventory(home)
    return {
        "inventory": inventory,
        "figure": charts.figure_json(charts.tier_figure(inventory.tiers)) if inventory.total else None,
        "summary": charts.count_summary("model", inventory.tiers),
    }


def unapproved_promotions_panel(home: HomeContext) -> dict[str, Any] | None:
    """Models whose registry champion moved without an approval; no query for the list unless one is flagged
    (the inventory's grouped count carries the number)."""
    inventory = _inventory(home)
    if not inventory.unapproved_promotions:
        return None
    return {
        "count": inventory.unapproved_promotions,
        "models": dashboard.unapproved_promotions(home.organisation),
    }


def kpi_breaches_panel(home: HomeContext) -> dict[str, Any]:
    """The organisation's breaching KPIs, worst first, and every KPI's status as a chart: two queries."""
    kpis = dashboard.kpi_breaches(home.organisation)
    return _kpi_context(kpis)


def _kpi_context(kpis: dashboard.KPIBreaches) -> dict[str, Any]:
    return {
        "kpis": kpis,
        "figure": charts.figure_json(charts.kpi_status_figure(kpis.by_status)) if kpis.kpi_total else None,
        "summary": charts.count_summary("KPI", kpis.by_status),
    }


def top_risks_panel(home: HomeContext) -> dict[str, Any]:
    risks, total = dashboard.top_residual_risks(home.organisation)
    return {"risks": risks, "total": total}


def decisions_panel(home: HomeContext) -> dict[str, Any]:
    """Approval requests waiting for a decision, oldest first, with their total: one query."""
    approvals, total = first_rows_with_total(pending_approvals(home.organisation), dashboard.APPROVAL_ROWS)
    return {"approvals": approvals, "total": total}


def incidents_panel(home: HomeContext) -> dict[str, Any]:
    incidents, counts, total = dashboard.open_incidents(home.organisation)
    return {"incidents": incidents, "counts": counts, "total": total}


def release_gates_panel(home: HomeContext) -> dict[str, Any]:
    return release_panel(home.organisation, home.today)


# --- Model owner ------------------------------------------------------------------------------------------


def my_models_panel(home: HomeContext) -> dict[str, Any]:
    """The models ``home.user`` owns (not retired first, then by next review), each with its number of KPIs in
    breach: one query."""
    breaching = KPIDefinition.objects.filter(model=OuterRef("pk"), latest_status__in=dashboard.BREACHES)
    mine = (
        AIModel.objects.filter(organisation=home.organisation, owner=home.user)
        .annotate(
            retired=Case(
                When(lifecycle_stage=LifecycleStage.RETIRED, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
            kpis_in_breach=count_subquery(breaching),
        )
        .order_by("retired", F("next_review_due").asc(nulls_last=True), "name")
    )
    models, total = first_rows_with_total(mine, MY_MODEL_ROWS)
    return {
        "models": models,
        "total": total,
        "today": home.today,
        "list_url": f"{reverse('governance:model-list')}?owner={home.user.pk}",
    }


def my_reviews_panel(home: HomeContext) -> dict[str, Any]:
    """Reviews of ``home.user``'s models overdue or due within the horizon: two queries."""
    reviews, overdue, due_soon = dashboard.review_summary(home.organisation, home.today, owner=home.user)
    return {
        "reviews": reviews,
        "overdue": overdue,
        "due_soon": due_soon,
        "today": home.today,
        "horizon": home.today + timedelta(days=dashboard.REVIEW_HORIZON_DAYS),
    }


def my_kpis_panel(home: HomeContext) -> dict[str, Any]:
    """The KPIs of ``home.user``'s models by status (the chart) and the worst of them: two queries."""
    return _kpi_context(dashboard.kpi_breaches(home.organisation, owner=home.user))


# --- Risk officer -----------------------------------------------------------------------------------------


def compliance_coverage_panel(home: HomeContext) -> dict[str, Any]:
    """Coverage per current framework (the chart and the table): the compliance overview's three queries."""
    summaries = _compliance(home)
    return {"summaries": summaries, **coverage_chart(summaries)}


def coverage_chart(summaries: list[compliance.FrameworkSummary]) -> dict[str, Any]:
    """The coverage bar chart of ``summaries`` and the sentence that says the same, for the home panel and the
    compliance overview."""
    rows = [(summary.framework.name, summary.coverage.percent) for summary in summaries]
    parts = ", ".join(f"{name} {'no requirement in scope' if p is None else f'{p:g} %'}" for name, p in rows)
    return {
        "figure": charts.figure_json(charts.coverage_figure(rows)) if rows else None,
        "summary": f"Coverage per framework: {parts}." if rows else "",
    }


_FINDING_RANK = Case(
    *(When(severity=value, then=Value(rank)) for rank, value in enumerate(FindingSeverity.values)),
    default=Value(len(FindingSeverity.values)),
    output_field=IntegerField(),
)


def open_findings_panel(home: HomeContext) -> dict[str, Any]:
    """Validation findings still open, most severe and most overdue first, with the count per severity: one
    query (the counts ride on the rows as scalar subqueries)."""
    still_open = ValidationFinding.objects.filter(
        validation__organisation=home.organisation, status=FindingStatus.OPEN
    )
    per_severity = {
        f"open_{value}": count_subquery(still_open.filter(severity=value)) for value in FindingSeverity.values
    }
    overdue = count_subquery(still_open.filter(due_date__lt=home.today))
    rows = list(
        still_open.select_related("validation__model", "owner")
        .annotate(severity_rank=_FINDING_RANK, overdue_total=overdue, **per_severity)
        .order_by("severity_rank", F("due_date").asc(nulls_last=True), "pk")[:FINDING_ROWS]
    )
    counts = [
        (value, label, (getattr(rows[0], f"open_{value}") or 0) if rows else 0)
        for value, label in FindingSeverity.choices
    ]
    return {
        "findings": rows,
        "counts": counts,
        "total": sum(n for *_, n in counts),
        "overdue": (rows[0].overdue_total or 0) if rows else 0,
        "today": home.today,
    }


def overdue_panel(home: HomeContext) -> dict[str, Any]:
    """Risk treatments past their due date and model reviews past theirs (two queries, each list with its
    total), and compliance reviews overdue (from the coverage figures the page reads anyway)."""
    risks = (
        Risk.objects.filter(
            organisation=home.organisation,
            status__in=[RiskStatus.OPEN, RiskStatus.MITIGATING],
            due_date__lt=home.today,
        )
        .select_related("model", "owner")
        .order_by("due_date", "pk")
    )
    reviews = (
        AIModel.objects.filter(organisation=home.organisation)
        .filter(overdue_q(home.today))
        .select_related("owner")
        .order_by("next_review_due", "name")
    )
    risk_rows, risk_total = first_rows_with_total(risks, OVERDUE_ROWS)
    review_rows, review_total = first_rows_with_total(reviews, OVERDUE_ROWS)
    return {
        "risks": risk_rows,
        "risk_total": risk_total,
        "reviews": review_rows,
        "review_total": review_total,
        "compliance_overdue": sum(summary.overdue for summary in _compliance(home)),
        "today": home.today,
    }


# --- Auditor ----------------------------------------------------------------------------------------------


def audit_integrity_panel(home: HomeContext) -> dict[str, Any]:
    """The trail's last verification and signed checkpoint, as the audit log shows them: two queries."""
    verification = audit.last_verification(home.organisation)
    stale_before = timezone.now() - timedelta(minutes=2 * settings.AUDIT_VERIFY_MINUTES)
    return {
        "verification": verification,
        "verification_stale": verification is not None and verification.verified_at < stale_before,
        "last_checkpoint": audit.last_checkpoint(home.organisation),
    }


def recent_reports_panel(home: HomeContext) -> dict[str, Any]:
    """The latest issued reports with their fingerprints, newest first, and how many were issued: one query."""
    issued = (
        Report.objects.filter(organisation=home.organisation, status=ReportStatus.SUCCEEDED)
        .select_related("requested_by")
        .order_by("-finished_at", "-pk")
    )
    reports, total = first_rows_with_total(issued, REPORT_ROWS)
    return {"reports": reports, "total": total}


def evidence_panel(home: HomeContext) -> dict[str, Any]:
    """How much of what is claimed compliant has evidence attached (one aggregate), and the latest evidence
    bundles of the trail (one query)."""
    evidenced = ~Q(evidence_file="") | ~Q(evidence_link="")
    claimed = ComplianceRecord.objects.filter(
        organisation=home.organisation, status__in=[ComplianceStatus.COMPLIANT, ComplianceStatus.PARTIAL]
    )
    counts = claimed.aggregate(claimed=Count("pk"), evidenced=Count("pk", filter=evidenced))
    return {
        "claimed": counts["claimed"],
        "evidenced": counts["evidenced"],
        "unevidenced": counts["claimed"] - counts["evidenced"],
        "bundles": audit.recent_bundles(home.organisation, limit=BUNDLE_ROWS),
    }


# --- Administrator ----------------------------------------------------------------------------------------


def administration_panel(home: HomeContext) -> dict[str, Any]:
    """Members per role and the organisation's connections (report schedules, webhooks, model registries, webhook
    deliveries that failed), all counted on the organisation's row: one query."""
    organisation = home.organisation
    members = Membership.objects.filter(organisation=organisation)
    role_counts = {f"role_{value}": count_subquery(members.filter(role=value)) for value in Role.values}
    counts = (
        Organisation.objects.filter(pk=organisation.pk)
        .annotate(
            schedules=count_subquery(organisation.report_schedules.filter(active=True)),
            webhooks=count_subquery(organisation.webhook_endpoints.filter(active=True)),
            registries=count_subquery(organisation.registry_connections.filter(active=True)),
            failed_deliveries=count_subquery(
                WebhookDelivery.objects.filter(organisation=organisation, status=DeliveryStatus.FAILED)
            ),
            **role_counts,
        )
        .values("schedules", "webhooks", "registries", "failed_deliveries", *role_counts)
        .first()
    ) or {}
    counts = {key: value or 0 for key, value in counts.items()}
    roles = [(value, label, counts.get(f"role_{value}", 0)) for value, label in Role.choices]
    return {"roles": roles, "members": sum(n for *_, n in roles), "counts": counts}


# --- Registration -----------------------------------------------------------------------------------------


def _panel(key: str, build, homes: dict[str, int], *, stat: bool = False, wide: bool = False) -> HomePanel:
    return HomePanel(
        key=key,
        template=f"governance/home/{key}.html",
        stat_template=f"governance/home/{key}_stat.html" if stat else "",
        build=build,
        homes=homes,
        wide=wide,
    )


PANELS: tuple[HomePanel, ...] = (
    _panel(
        "unapproved_promotions", unapproved_promotions_panel, {EXECUTIVE_HOME: 5, RISK_HOME: 5}, wide=True
    ),
    _panel("inventory", inventory_panel, {EXECUTIVE_HOME: 20}, stat=True, wide=True),
    _panel("top_risks", top_risks_panel, {EXECUTIVE_HOME: 30, RISK_HOME: 40}, wide=True),
    _panel("kpi_breaches", kpi_breaches_panel, {EXECUTIVE_HOME: 40}, stat=True, wide=True),
    _panel("decisions", decisions_panel, {EXECUTIVE_HOME: 50, RISK_HOME: 60}, stat=True),
    _panel("release", release_gates_panel, {EXECUTIVE_HOME: 55}, stat=True),
    _panel("incidents", incidents_panel, {EXECUTIVE_HOME: 60, RISK_HOME: 50}, stat=True, wide=True),
    _panel("my_models", my_models_panel, {OWNER_HOME: 10}, stat=True, wide=True),
    _panel("my_reviews", my_reviews_panel, {OWNER_HOME: 20}, stat=True),
    _panel("my_kpis", my_kpis_panel, {OWNER_HOME: 30}, stat=True),
    _panel("compliance_coverage", compliance_coverage_panel, {RISK_HOME: 10, AUDIT_HOME: 40}, stat=True),
    _panel("open_findings", open_findings_panel, {RISK_HOME: 20}, stat=True),
    _panel("overdue", overdue_panel, {RISK_HOME: 30}, stat=True),
    _panel("audit_integrity", audit_integrity_panel, {AUDIT_HOME: 10}, wide=True),
    _panel("recent_reports", recent_reports_panel, {AUDIT_HOME: 20}, stat=True),
    _panel("evidence", evidence_panel, {AUDIT_HOME: 30}, stat=True),
    _panel("administration", administration_panel, {ADMIN_HOME: 10}, wide=True),
)


def register() -> None:
    """Called from ``GovernanceConfig.ready``."""
    home_panels.register(*PANELS)
