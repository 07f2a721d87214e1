""" "Waiting for you": what one person should act on in one organisation, counted in a single query.

Every app contributes counts through ``governance.core.registry.waiting_sources``; each count is a scalar
subquery, and all of them are read on the organisation's row together, so the panel costs one query whatever
the number of sources or records. Governance's own counts are at the bottom.
"""

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse

from governance.core.registry import WaitingCount, WaitingSource, waiting_sources
from governance.core.roles import Permission, role_allows
from governance.core.tenancy import role_in
from governance.models import (
    AIModel,
    ApprovalRequest,
    ApprovalStatus,
    ComplianceRecord,
    LifecycleStage,
    Organisation,
    Risk,
    RiskStatus,
)
from governance.selectors.counting import count_subquery

# Reviews and treatments due within this many days count as waiting (as in the daily reminder digest).
DUE_SOON_DAYS = 30


@dataclass(frozen=True)
class Waiting:
    count: int
    label: str
    url: str


def waiting_for(organisation: Organisation, user, today: datetime.date) -> list[Waiting]:
    """The things ``user`` should act on in ``organisation``, as counts with links; kinds with none left out."""
    role = role_in(user, organisation)
    if role is None:
        return []
    counts = [count for source in waiting_sources for count in source.counts(organisation, user, role, today)]
    if not counts:
        return []
    values = (
        Organisation.objects.filter(pk=organisation.pk)
        .annotate(**{count.key: Coalesce(count.count, 0) for count in counts})
        .values(*(count.key for count in counts))
        .first()
    ) or {}
    waiting = []
    for count in counts:
        number = values.get(count.key) or 0
        if number:
            waiting.append(Waiting(number, count.singular if number == 1 else count.plural, count.url))
    return waiting


def _governance_counts(
    organisation: Organisation, user, role: str, today: datetime.date
) -> list[WaitingCount]:
    due_by = today + datetime.timedelta(days=DUE_SOON_DAYS)
    counts = []
    if role_allows(role, Permission.MODEL_APPROVE):
        decidable = (
            ApprovalRequest.objects.filter(organisation=organisation, status=ApprovalStatus.PENDING)
            .exclude(requested_by=user)
            .exclude(model__owner=user)
        )
        counts.append(
            WaitingCount(
                key="waiting_approvals",
                singular="approval request you may decide",
                plural="approval requests you may decide",
                url=reverse("governance:approval-list"),
                count=count_subquery(decidable),
            )
        )
    reviews = AIModel.objects.filter(
        organisation=organisation, owner=user, next_review_due__lte=due_by
    ).exclude(lifecycle_stage=LifecycleStage.RETIRED)
    counts.append(
        WaitingCount(
            key="waiting_model_reviews",
            singular=f"model review of yours due within {DUE_SOON_DAYS} days or overdue",
            plural=f"model reviews of yours due within {DUE_SOON_DAYS} days or overdue",
            url=reverse("governance:model-list") + "?" + urlencode({"owner": user.pk}),
            count=count_subquery(reviews),
        )
    )
    treatments = Risk.objects.filter(
        organisation=organisation,
        owner=user,
        status__in=[RiskStatus.OPEN, RiskStatus.MITIGATING],
        due_date__lte=due_by,
    )
    counts.append(
        WaitingCount(
            key="waiting_risks",
            singular="risk treatment of yours due soon or overdue",
            plural="risk treatments of yours due soon or overdue",
            url=reverse("governance:risk-heatmap") + "?" + urlencode({"owner": user.pk}) + "#register",
            count=count_subquery(treatments),
        )
    )
    if role_allows(role, Permission.COMPLIANCE_EDIT):
        compliance = ComplianceRecord.objects.filter(
            organisation=organisation, next_review_due__lte=due_by
        ).filter(Q(reviewer=user) | Q(reviewer__isnull=True, model__owner=user))
        counts.append(
            WaitingCount(
                key="waiting_compliance",
                singular="compliance review of yours due soon or overdue",
                plural="compliance reviews of yours due soon or overdue",
                url=reverse("governance:compliance-overview"),
                count=count_subquery(compliance),
            )
        )
    return counts


def register() -> None:
    """Called from ``GovernanceConfig.ready``."""
    waiting_sources.register(WaitingSource(key="governance", counts=_governance_counts, order=20))
