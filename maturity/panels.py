"""The maturity app's panel on the home page: the latest approved maturity score and its change.

Registered at start-up on governance's home-panel registry (``MaturityConfig.ready``).
"""

from datetime import date
from typing import Any

from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from governance.core.registry import HomePanel, home_panels
from governance.models import Organisation
from maturity.models import Assessment, AssessmentStatus


def latest_maturity(organisation: Organisation) -> Assessment | None:
    """The most recently approved assessment (any scope), with ``previous_score``: the overall score of the
    approved assessment of the same scope before it (None when there is none). One query."""
    approved = Assessment.objects.filter(status=AssessmentStatus.APPROVED, approved_at__isnull=False)
    # The same scope and order as maturity.selectors.previous_approved; the organisation-wide scope has no unit,
    # and NULL = NULL is not true in SQL, so units are compared as 0 for none.
    previous = (
        approved.annotate(unit_key=Coalesce("business_unit_id", 0))
        .filter(
            organisation_id=OuterRef("organisation_id"), unit_key=Coalesce(OuterRef("business_unit_id"), 0)
        )
        .filter(
            Q(approved_at__lt=OuterRef("approved_at"))
            | Q(approved_at=OuterRef("approved_at"), pk__lt=OuterRef("pk"))
        )
        .order_by("-approved_at", "-pk")
        .values("overall_score")[:1]
    )
    return (
        approved.filter(organisation=organisation)
        .select_related("business_unit")
        .annotate(previous_score=Subquery(previous))
        .order_by("-approved_at", "-pk")
        .first()
    )


def maturity_change(latest: Assessment | None) -> float | None:
    """Change of the overall score since the previous approved assessment of the same scope."""
    previous_score = getattr(latest, "previous_score", None)
    if latest is None or latest.overall_score is None or previous_score is None:
        return None
    return latest.overall_score - previous_score


def maturity_panel(organisation: Organisation, today: date) -> dict[str, Any]:
    """The panel's context, in one query."""
    latest = latest_maturity(organisation)
    return {
        "latest": latest,
        "change": maturity_change(latest),
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
