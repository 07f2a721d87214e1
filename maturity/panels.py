"""The maturity app's panel on the home page: the organisation-wide maturity score, each unit's beside it.

Registered at start-up on governance's home-panel registry (``MaturityConfig.ready``).
"""

from datetime import date
from typing import Any

from django.urls import reverse

from governance.core.registry import HomePanel, home_panels
from governance.models import Organisation
from maturity.models import Assessment
from maturity.selectors import latest_approved_by_scope


def maturity_change(latest: Assessment | None) -> float | None:
    """Change of the overall score since the previous approved assessment of the same scope."""
    previous_score = getattr(latest, "previous_score", None)
    if latest is None or latest.overall_score is None or previous_score is None:
        return None
    return latest.overall_score - previous_score


def maturity_panel(organisation: Organisation, today: date) -> dict[str, Any]:
    """The panel's context, in one query. ``latest`` is the organisation-wide assessment, never a unit's: a
    unit's score read as "the" maturity score misled (issue 14); units are listed beside it with theirs."""
    scopes = latest_approved_by_scope(organisation)
    latest = next((assessment for assessment in scopes if assessment.business_unit_id is None), None)
    units = [
        {"assessment": assessment, "change": maturity_change(assessment)}
        for assessment in scopes
        if assessment.business_unit_id is not None
    ]
    return {
        "latest": latest,
        "change": maturity_change(latest),
        "units": units,
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
