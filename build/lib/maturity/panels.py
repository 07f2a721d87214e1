"""The maturity app's panel on the home page: the latest approved maturity score and its change.

Registered at start-up on governance's home-panel registry (``MaturityConfig.ready``).
"""

from datetime import date
from typing import Any

from django.urls import reverse

from governance.core.registry import HomePanel, home_panels
from governance.models import Organisation
from maturity.models import Assessment, AssessmentStatus
from maturity.selectors import previous_approved


def latest_maturity(organisation: Organisation) -> tuple[Assessment | None, Assessment | None]:
    """The most recently approved assessment (any scope) and the approved one of that scope before it."""
    latest = (
        Assessment.objects.filter(
            organisation=organisation, status=AssessmentStatus.APPROVED, approved_at__isnull=False
        )
        .select_related("business_unit")
        .order_by("-approved_at", "-pk")
        .first()
    )
    return latest, (previous_approved(latest) if latest else None)


def maturity_change(latest: Assessment | None, previous: Assessment | None) -> float | None:
    """Change of the overall score since the previous approved assessment of the same scope."""
    if latest is None or previous is None or latest.overall_score is None or previous.overall_score is None:
        return None
    return latest.overall_score - previous.overall_score


def maturity_panel(organisation: Organisation, today: date) -> dict[str, Any]:
    """The panel's context, in two queries."""
    latest, previous = latest_maturity(organisation)
    return {
        "latest": latest,
        "previous": previous,
        "change": maturity_change(latest, previous),
        "dashboard_url": reverse("maturity:dashboard"),
    }


def register() -> None:
    """Called from ``MaturityConfig.ready``."""
    home_panels.register(
        HomePanel(
            key="maturity",
            template="maturity/home/panel.html",
            stat_template="maturity/home/stat.html",
            build=maturity_panel,
            order=100,
        ),
    )
