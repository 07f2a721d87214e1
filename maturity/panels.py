"""The maturity app's panel on the home page: the organisation-wide maturity score and its trend, each unit's
score beside it.

Registered at start-up on governance's home-panel registry (``MaturityConfig.ready``).
"""

import json
from datetime import date
from typing import Any

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from governance.core.registry import (
    EXECUTIVE_HOME,
    HomeContext,
    HomePanel,
    ReminderSource,
    WaitingCount,
    WaitingSource,
    home_panels,
    reminder_sources,
    waiting_sources,
)
from governance.core.roles import Permission, role_allows
from governance.models import Membership, Organisation
from governance.selectors.counting import count_subquery
from governance.services.reminders import ReminderItem, absolute_url
from maturity import charts
from maturity.models import OPEN_IMPROVEMENT_STATUSES, Answer, Assessment, AssessmentStatus, ImprovementAction
from maturity.selectors import latest_approved_by_scope

TREND_POINTS = 12  # the latest organisation-wide assessments the home page's trend shows


def maturity_change(latest: Assessment | None) -> float | None:
    """Change of the overall score since the previous approved assessment of the same scope."""
    previous_score = getattr(latest, "previous_score", None)
    if latest is None or latest.overall_score is None or previous_score is None:
        return None
    return latest.overall_score - previous_score


def maturity_panel(home: HomeContext) -> dict[str, Any]:
    """The panel's context, in two queries: each scope's latest approved assessment, and the organisation-wide
    trend. ``latest`` is the organisation-wide assessment, never a unit's: a unit's score read as "the"
    maturity score misled (issue 14); units are listed beside it with theirs."""
    organisation = home.organisation
    scopes = latest_approved_by_scope(organisation)
    latest = next((assessment for assessment in scopes if assessment.business_unit_id is None), None)
    units = [
        {"assessment": assessment, "change": maturity_change(assessment)}
        for assessment in scopes
        if assessment.business_unit_id is not None
    ]
    trend = organisation_trend(organisation) if latest is not None else []
    return {
        "latest": latest,
        "change": maturity_change(latest),
        "units": units,
        "trend": trend,
        "figure": _figure_json(charts.overall_trend_figure(trend)) if len(trend) > 1 else None,
        "summary": trend_summary(trend),
        "dashboard_url": reverse("maturity:dashboard"),
    }


def organisation_trend(organisation: Organisation) -> list[tuple[date, float, str]]:
    """(approved on, overall score, title) of the latest ``TREND_POINTS`` organisation-wide approved
    assessments, oldest first: one query."""
    rows = (
        Assessment.objects.filter(
            organisation=organisation,
            business_unit__isnull=True,
            status=AssessmentStatus.APPROVED,
            approved_at__isnull=False,
            overall_score__isnull=False,
        )
        .order_by("-approved_at", "-pk")
        .values_list("approved_at", "overall_score", "title")[:TREND_POINTS]
    )
    return [(timezone.localdate(approved_at), score, title) for approved_at, score, title in reversed(rows)]


def trend_summary(trend: list[tuple[date, float, str]]) -> str:
    """The trend in one sentence, for screen readers and for whoever cannot see the chart."""
    if len(trend) < 2:
        return ""
    (first_day, first, _), (last_day, last, _) = trend[0], trend[-1]
    return (
        f"Overall maturity went from {first:.2f} on {first_day.isoformat()} to {last:.2f} on "
        f"{last_day.isoformat()} over {len(trend)} approved organisation-wide assessments."
    )


def _figure_json(figure) -> dict[str, Any]:
    return json.loads(figure.to_json())


def waiting_counts(organisation: Organisation, user, role: str, today: date) -> list[WaitingCount]:
    """Maturity's part of "Waiting for you": assessments to decide or to finish, prefilled answers to confirm,
    improvement actions owned."""
    counts = []
    if role_allows(role, Permission.ASSESSMENT_APPROVE):
        to_decide = Assessment.objects.filter(
            organisation=organisation, status=AssessmentStatus.SUBMITTED
        ).exclude(submitted_by=user)
        counts.append(
            WaitingCount(
                key="waiting_assessments",
                singular="assessment waiting for your approval",
                plural="assessments waiting for your approval",
                url=reverse("maturity:assessment-list") + "?status=submitted",
                count=count_subquery(to_decide),
            )
        )
    if role_allows(role, Permission.ASSESSMENT_SUBMIT):
        drafts = Assessment.objects.filter(organisation=organisation, status=AssessmentStatus.DRAFT)
        counts.append(
            WaitingCount(
                key="waiting_drafts",
                singular="draft assessment to complete and submit",
                plural="draft assessments to complete and submit",
                url=reverse("maturity:assessment-list") + "?status=draft",
                count=count_subquery(drafts),
            )
        )
    if role_allows(role, Permission.ASSESSMENT_EDIT):
        to_confirm = Answer.objects.filter(
            assessment__organisation=organisation,
            assessment__status=AssessmentStatus.DRAFT,
            needs_confirmation=True,
        )
        counts.append(
            WaitingCount(
                key="waiting_confirmations",
                singular="prefilled answer to confirm",
                plural="prefilled answers to confirm",
                url=reverse("maturity:assessment-list") + "?status=draft",
                count=count_subquery(to_confirm),
            )
        )
    mine = ImprovementAction.objects.filter(
        organisation=organisation, owner=user, status__in=OPEN_IMPROVEMENT_STATUSES
    )
    counts.append(
        WaitingCount(
            key="waiting_improvements",
            singular="improvement action you own",
            plural="improvement actions you own",
            url=reverse("maturity:action-list") + "?mine=1",
            count=count_subquery(mine),
        )
    )
    return counts


def register() -> None:
    """Called from ``MaturityConfig.ready``."""
    waiting_sources.register(WaitingSource(key="maturity", counts=waiting_counts, order=10))
    reminder_sources.register(
        ReminderSource(
            key=IMPROVEMENT_REMINDER,
            label="Improvement actions you own",
            collect=improvement_reminders,
            order=10,
        )
    )
    home_panels.register(
        HomePanel(
            key="maturity",
            template="maturity/home/panel.html",
            stat_template="maturity/home/stat.html",
            build=maturity_panel,
            # The executive's home opens with maturity now and its trend.
            homes={EXECUTIVE_HOME: 10},
            wide=True,
        ),
    )


IMPROVEMENT_REMINDER = "improvement_action"


def improvement_reminders(today: date, horizon: date, add) -> None:
    """Open improvement actions due by ``horizon`` or overdue → their owners, while still members (one query)."""
    due = (
        ImprovementAction.objects.filter(status__in=OPEN_IMPROVEMENT_STATUSES, due_date__lte=horizon)
        .filter(
            Exists(
                Membership.objects.filter(
                    organisation_id=OuterRef("organisation_id"), user_id=OuterRef("owner_id")
                )
            )
        )
        .select_related("organisation")
        .order_by("due_date", "pk")
    )
    for action in due:
        add(
            action.owner_id,
            ReminderItem(
                kind=IMPROVEMENT_REMINDER,
                organisation_id=action.organisation_id,
                organisation=action.organisation.name,
                title=f"{action.factor_name}: {action.question_text[:80]} ({action.from_level} → {action.to_level})",
                url=absolute_url(reverse("maturity:action-list") + f"#action-{action.pk}"),
                due=action.due_date,
                overdue_days=max((today - action.due_date).days, 0),
                detail=action.action[:200],
            ),
        )
